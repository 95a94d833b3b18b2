package interceptor

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/channel"
)

// decoder is what interceptor and selector factories share.
type decoder interface {
	Decode(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (any, hcl.Diagnostics)
}

// subject is the range diagnostics fall back to: the block header in a real file.
var subject = hcl.Range{Filename: "flume.hcl", Start: hcl.Pos{Line: 1, Column: 1}, End: hcl.Pos{Line: 1, Column: 20}}

// decode parses src as a component body in flume.hcl and decodes it with f.
func decode(t testing.TB, f decoder, src string) (any, hcl.Diagnostics) {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(src), "flume.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse: %v", diags)
	}
	return f.Decode(file.Body, nil, `interceptor "x"`, subject)
}

// mustDecode decodes src and fails the test on any error diagnostic.
func mustDecode(t testing.TB, f decoder, src string) any {
	t.Helper()
	cfg, diags := decode(t, f, src)
	if diags.HasErrors() {
		t.Fatalf("decode %q: %v", src, diags)
	}
	return cfg
}

// mustCreate decodes src with an interceptor factory and creates the interceptor.
func mustCreate(t testing.TB, f Factory, src string) Interceptor {
	t.Helper()
	ic, err := f.Create(mustDecode(t, f, src), Settings{Type: f.Type()})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return ic
}

// diagLines renders diagnostics as "severity line: summary" for comparison.
func diagLines(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		line := 0
		if d.Subject != nil {
			line = d.Subject.Start.Line
		}
		out = append(out, fmt.Sprintf("%s %d: %s", sev, line, d.Summary))
	}
	return out
}

// wantDiag checks that diags holds one diagnostic on line whose summary contains every part.
func wantDiag(t *testing.T, diags hcl.Diagnostics, line int, parts ...string) {
	t.Helper()
	for _, d := range diags {
		if d.Subject == nil || d.Subject.Start.Line != line {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(d.Summary+" "+d.Detail, p)
		}
		if ok {
			return
		}
	}
	t.Errorf("no diagnostic on line %d containing %q; got:\n%s", line, parts, strings.Join(diagLines(diags), "\n"))
}

// ev builds an event from a body and header pairs.
func ev(body string, kv ...string) channel.Event {
	e := channel.Event{Body: []byte(body)}
	for i := 0; i+1 < len(kv); i += 2 {
		e.SetHeader(kv[i], kv[i+1])
	}
	return e
}

// sameMap reports whether two header maps are the same map, not just equal: interceptors must
// not replace a map an event already has.
func sameMap(a, b map[string]string) bool {
	if a == nil || b == nil {
		return false
	}
	const probe = "\x00probe"
	a[probe] = "x"
	_, ok := b[probe]
	delete(a, probe)
	return ok
}
