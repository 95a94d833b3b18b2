package interceptor

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/flumego/flumego/channel"
)

// names turns selector indices back into channel names.
func names(channels []string, idx []int) []string {
	out := []string{}
	for _, i := range idx {
		out = append(out, channels[i])
	}
	return out
}

func createSelector(t *testing.T, f SelectorFactory, src string, channels ...string) Selector {
	t.Helper()
	s, err := f.Create(mustDecode(t, f, src), SelectorSettings{Source: "r1", Channels: channels})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return s
}

func TestReplicating(t *testing.T) {
	chans := []string{"c1", "c2", "c3"}
	tests := []struct {
		name          string
		cfg           string
		req, optional []string
	}{
		{"every channel required by default", ``, []string{"c1", "c2", "c3"}, []string{}},
		{"optional channels", `optional = ["c3", "c1"]`, []string{"c2"}, []string{"c3", "c1"}},
		{"a channel named twice counts once", `optional = ["c2", "c2"]`, []string{"c1", "c3"}, []string{"c2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := createSelector(t, NewReplicatingFactory(), tt.cfg, chans...)
			e := ev("x")
			req, opt := s.Select(&e)
			if got := names(chans, req); !slices.Equal(got, tt.req) {
				t.Errorf("required = %v, want %v", got, tt.req)
			}
			if got := names(chans, opt); !slices.Equal(got, tt.optional) {
				t.Errorf("optional = %v, want %v", got, tt.optional)
			}
			e2 := ev("y")
			req2, _ := s.Select(&e2)
			if len(req) > 0 && &req[0] != &req2[0] {
				t.Error("Select does not return the same shared slice for every event")
			}
		})
	}
}

func TestReplicatingUnknownChannel(t *testing.T) {
	f := NewReplicatingFactory()
	_, err := f.Create(mustDecode(t, f, `optional = ["c9"]`), SelectorSettings{Channels: []string{"c1", "c2"}})
	if err == nil || !strings.Contains(err.Error(), `channel "c9" is not one of the source's channels (c1, c2)`) {
		t.Errorf("err = %v, want one naming c9 and the source's channels", err)
	}
}

func TestMultiplexing(t *testing.T) {
	chans := []string{"durable", "c2", "c3", "c4"}
	cfg := `
		header   = "type"
		mapping  = { letter = ["durable"], number = ["c2"], both = ["c2", "durable"] }
		default  = ["durable"]
		optional = { letter = ["c3", "durable"], other = ["c4"] }
	`
	s := createSelector(t, NewMultiplexingFactory(), cfg, chans...)
	tests := []struct {
		name          string
		in            channel.Event
		req, optional []string
	}{
		{"mapped value", ev("a", "type", "number"), []string{"c2"}, []string{}},
		{"several channels in mapping order", ev("a", "type", "both"), []string{"c2", "durable"}, []string{}},
		{"optional channels of a value, less the required ones", ev("a", "type", "letter"), []string{"durable"}, []string{"c3"}},
		{"unmapped value goes to default, with its optional channels", ev("a", "type", "other"), []string{"durable"}, []string{"c4"}},
		{"unknown value goes to default", ev("a", "type", "symbol"), []string{"durable"}, []string{}},
		{"missing header goes to default", ev("a"), []string{"durable"}, []string{}},
		{"blank header goes to default", ev("a", "type", "  "), []string{"durable"}, []string{}},
		{"the value is case-sensitive", ev("a", "type", "Number"), []string{"durable"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, opt := s.Select(&tt.in)
			if got := names(chans, req); !slices.Equal(got, tt.req) {
				t.Errorf("required = %v, want %v", got, tt.req)
			}
			if got := names(chans, opt); !slices.Equal(got, tt.optional) {
				t.Errorf("optional = %v, want %v", got, tt.optional)
			}
		})
	}
}

func TestMultiplexingWithoutDefault(t *testing.T) {
	f := NewMultiplexingFactory()
	cfg, diags := decode(t, f, `
header  = "type"
mapping = { first = ["c1"], second = ["c2"] }
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || !strings.Contains(diags[0].Summary, `events whose "type" header matches no mapping will be dropped`) {
		t.Errorf("diagnostics = %v, want one warning about dropped events", diagLines(diags))
	}
	s, err := f.Create(cfg, SelectorSettings{Channels: []string{"c1", "c2"}})
	if err != nil {
		t.Fatal(err)
	}
	e := ev("x", "type", "third")
	if req, opt := s.Select(&e); len(req)+len(opt) != 0 {
		t.Errorf("unmatched event goes to %v / %v, want nowhere", req, opt)
	}
}

// TestMultiplexingWithNothingToRouteDropsEverything keeps Flume's meaning of a selector with
// neither mapping nor default: valid, with a warning, and every event goes nowhere.
func TestMultiplexingWithNothingToRouteDropsEverything(t *testing.T) {
	f := NewMultiplexingFactory()
	cfg, diags := decode(t, f, `header = "type"`)
	if diags.HasErrors() || len(diags) != 1 || !strings.Contains(diags[0].Summary, "neither mapping nor default is set: every event is dropped") {
		t.Fatalf("diagnostics = %v, want one warning", diagLines(diags))
	}
	s, err := f.Create(cfg, SelectorSettings{Channels: []string{"c1"}})
	if err != nil {
		t.Fatal(err)
	}
	e := ev("x", "type", "any")
	if req, opt := s.Select(&e); len(req)+len(opt) != 0 {
		t.Errorf("event goes to %v / %v, want nowhere", req, opt)
	}
}

func TestMultiplexingDiagnostics(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		line  int
		parts []string
	}{
		{"header is required", `
mapping = { a = ["c1"] }
default = ["c1"]
`, 1, []string{`"header" is required`}},
		{"a value mapped to no channel", `
header  = "type"
mapping = { a = [] }
default = ["c1"]
`, 3, []string{`mapping: value "a" maps to no channel`}},
		{"mapping must be a map of lists", `
header  = "type"
mapping = ["c1"]
`, 3, []string{`interceptor "x"`, "Unsuitable value type"}},
		{"unknown attribute", `
header   = "type"
defaults = ["c1"]
`, 3, []string{"Unsupported argument", `"defaults"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := decode(t, NewMultiplexingFactory(), tt.body)
			if !diags.HasErrors() {
				t.Fatalf("no error; got %v", diagLines(diags))
			}
			wantDiag(t, diags, tt.line, tt.parts...)
		})
	}
}

func TestMultiplexingUnknownChannel(t *testing.T) {
	f := NewMultiplexingFactory()
	cfg := mustDecode(t, f, `
header   = "type"
mapping  = { a = ["c1"], b = ["c9"] }
default  = ["c8"]
`)
	_, err := f.Create(cfg, SelectorSettings{Channels: []string{"c1"}})
	if err == nil {
		t.Fatal("no error for undeclared channels")
	}
	for _, want := range []string{`default: channel "c8" is not one of the source's channels (c1)`, `mapping "b": channel "c9"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to contain %q", err, want)
		}
	}
}

// TestReferencedChannels checks that each channel name is reported where it is written, so the
// config stage can point at an undeclared one.
func TestReferencedChannels(t *testing.T) {
	src := `
header   = "type"
mapping  = { letter = ["durable"],
             number = ["c2", "durable"] }
default  = chans
optional = { letter = ["c3"] }
`
	file, diags := hclsyntax.ParseConfig([]byte(src), "flume.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ectx := &hcl.EvalContext{Variables: map[string]cty.Value{"chans": cty.ListVal([]cty.Value{cty.StringVal("c4")})}}
	cfg, diags := NewMultiplexingFactory().Decode(file.Body, ectx, `selector "multiplexing"`, subject)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	refs := cfg.(ChannelRefs).ReferencedChannels()
	want := map[string]string{
		"durable": "flume.hcl:3,24-33", // its first mention
		"c2":      "flume.hcl:4,24-28",
		"c3":      "flume.hcl:6,24-28",
		"c4":      "flume.hcl:5,12-17", // not written literally: the attribute's value
	}
	if len(refs) != len(want) {
		t.Errorf("refs = %v, want %d names", refs, len(want))
	}
	for n, w := range want {
		r, ok := refs[n]
		if got := r.String(); !ok || got != w {
			t.Errorf("%s at %q, want %q", n, got, w)
		}
	}

	rcfg := mustDecode(t, NewReplicatingFactory(), "\noptional = [\"c9\"]\n")
	if got := rcfg.(ChannelRefs).ReferencedChannels()["c9"].String(); got != "flume.hcl:2,13-17" {
		t.Errorf("replicating optional c9 at %q, want flume.hcl:2,13-17", got)
	}
	// A config built in code has no positions but still names its channels.
	if refs := (&ReplicatingConfig{Optional: []string{"c1"}}).ReferencedChannels(); len(refs) != 1 {
		t.Errorf("refs = %v, want c1", refs)
	}
}
