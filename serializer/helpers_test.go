package serializer

import (
	"testing"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/exampletest"
	"github.com/flumego/flumego/metrics"
)

// build decodes a serializer block body of type typ and creates the serializer, with its
// counters on a fresh component.
func build(t testing.TB, typ, body string) (Serializer, *metrics.Component) {
	t.Helper()
	var f Factory
	for _, b := range Builtin() {
		if b.Type() == typ {
			f = b
		}
	}
	cfg, diags := exampletest.DecodeSnippet(t.(*testing.T), f, `serializer "`+typ+`"`, body)
	if len(diags) > 0 {
		t.Fatalf("decode: %q", diags)
	}
	m := metrics.NewRegistry("").Sink("k1", "kafka").Component
	s, err := f.Create(cfg, Settings{Metrics: m, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return s, m
}

func record(t testing.TB, s Serializer, headers map[string]string, body string) string {
	t.Helper()
	b, err := s.AppendRecord(nil, &channel.Event{Headers: headers, Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func counter(c *metrics.Component, name string) int64 {
	for _, v := range c.Values() {
		if v.Name() == name {
			return v.Load()
		}
	}
	return -1
}
