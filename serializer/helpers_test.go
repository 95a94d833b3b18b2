package serializer

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/exampletest"
	"github.com/flumego/flumego/metrics"
)

// build decodes a serializer block body of type typ and creates the serializer, with its
// counters on a fresh component.
func build(t testing.TB, typ, body string) (Serializer, *metrics.Component) {
	t.Helper()
	f := factory(typ)
	file, diags := hclsyntax.ParseConfig([]byte(body), "flume.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg, diags := f.Decode(file.Body, nil, `serializer "`+typ+`"`, hcl.Range{})
	if diags.HasErrors() {
		t.Fatalf("decode: %v", diags)
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

func factory(typ string) Factory {
	for _, b := range Builtin() {
		if b.Type() == typ {
			return b
		}
	}
	return nil
}

func decodeSnippet(t *testing.T, typ, body string) (any, []string) {
	t.Helper()
	return exampletest.DecodeSnippet(t, factory(typ), `serializer "`+typ+`"`, body)
}

func matchDiagnostics(t *testing.T, got, want []string) {
	t.Helper()
	exampletest.MatchDiagnostics(t, got, want)
}

type ev struct{ e channel.Event }

func eventOf(h map[string]string, body []byte) *ev { return &ev{channel.Event{Headers: h, Body: body}} }
