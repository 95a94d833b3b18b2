package exampletest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// DecodeSnippet decodes src (a component body, named flume.hcl) through f as the component
// `what` (`source "netcat" "r1"`), and returns the config and its diagnostics as
// "LINE: message" with the component's name taken off. Every diagnostic must name the
// component; one without a position has line -1.
func DecodeSnippet(t testing.TB, f Decoder, what, src string) (any, []string) {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(src), "flume.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg, diags := f.Decode(file.Body, nil, what, hcl.Range{Filename: "flume.hcl"})
	var got []string
	for _, d := range diags {
		if !strings.HasPrefix(d.Summary, what+": ") {
			t.Errorf("diagnostic %q does not name %s", d.Summary, what)
		}
		line := -1
		if d.Subject != nil {
			line = d.Subject.Start.Line
		}
		got = append(got, fmt.Sprintf("%d: %s", line, strings.TrimPrefix(d.Summary, what+": ")))
	}
	return cfg, got
}

// MatchDiagnostics checks that got holds as many diagnostics as want, each starting with its
// counterpart ("3: port: must be").
func MatchDiagnostics(t testing.TB, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("diagnostics = %q, want %d like %q", got, len(want), want)
	}
	for i := range got {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
}
