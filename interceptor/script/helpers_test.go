package script

import (
	"testing"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/interceptor"
	"github.com/flumego/flumego/internal/exampletest"
	"github.com/flumego/flumego/metrics"
)

const what = `interceptor "script"`

// decode decodes an interceptor body as the config stage does, in a file named flume.hcl, and
// returns the config and its diagnostics as "LINE: message".
func decode(t testing.TB, body string) (*Config, []string) {
	t.Helper()
	cfg, diags := exampletest.DecodeSnippet(t, NewFactory(), what, body)
	return cfg.(*Config), diags
}

// build decodes body, which must be valid, and returns the interceptor with the counters it
// counts on.
func build(t testing.TB, body string) (interceptor.Interceptor, *metrics.Component) {
	t.Helper()
	cfg, diags := decode(t, body)
	if len(diags) > 0 {
		t.Fatalf("diagnostics: %q", diags)
	}
	m := metrics.NewRegistry("a1").Source("r1", "netcat").Component
	ic, err := New(cfg, interceptor.Settings{Source: "r1", Type: Type, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	return ic, m
}

// ev is an event with a body and headers given as name, value pairs.
func ev(body string, kv ...string) channel.Event {
	e := channel.Event{Body: []byte(body)}
	for i := 0; i+1 < len(kv); i += 2 {
		e.SetHeader(kv[i], kv[i+1])
	}
	return e
}

func count(m *metrics.Component, name string) int64 { return m.Counter(name).Load() }
