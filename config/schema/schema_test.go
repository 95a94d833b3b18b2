package schema

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

type rule struct {
	Value string `hcl:"value,label"`
	Regex string `hcl:"regex"`
}

type multiline struct {
	Pattern  string `hcl:"pattern"`
	MaxLines int    `hcl:"max_lines,optional"`
}

type sample struct {
	Port      int               `hcl:"port"`
	KeepAlive time.Duration     `hcl:"keep_alive,optional"`
	Roll      time.Duration     `hcl:"roll_interval,optional"`
	Capacity  Size              `hcl:"byte_capacity,optional"`
	Headers   map[string]string `hcl:"headers,optional"`
	Channels  []string          `hcl:"channels,optional"`
	Rules     []rule            `hcl:"rule,block"`
	Multiline *multiline        `hcl:"multiline,block"`
}

func (s *sample) Validate() error {
	var errs []error
	if s.Port > 65535 {
		errs = append(errs, Errorf("port", "must be 0-65535, got %d", s.Port))
	}
	for _, r := range s.Rules {
		if r.Regex == "(" {
			errs = append(errs, Errorf("rule."+r.Value+".regex", "invalid regex %q", r.Regex))
		}
	}
	if s.Multiline != nil && s.Multiline.MaxLines < 0 {
		errs = append(errs, Errorf("multiline.max_lines", "must not be negative"))
	}
	return errors.Join(errs...)
}

func decode(t *testing.T, src string) (*sample, string) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "x.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s := &sample{KeepAlive: 3 * time.Second}
	diags = Decode(f.Body, nil, s, `source "x" "r1"`, hcl.Range{Filename: "x.hcl"})
	var out []string
	for _, d := range diags {
		out = append(out, fmt.Sprintf("%d:%d %s %s", d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail))
	}
	return s, strings.Join(out, "\n")
}

func TestDecodeTypesAndDefaults(t *testing.T) {
	s, out := decode(t, `
port          = 44444
roll_interval = 30
byte_capacity = "64KiB"
headers       = { a = "b" }
channels      = ["c1"]
rule "number" { regex = "^[0-9]" }
rule "letter" { regex = "^[a-z]" }
multiline {
  pattern = "^\\s"
}
`)
	if out != "" {
		t.Fatal(out)
	}
	if s.Port != 44444 || s.KeepAlive != 3*time.Second || s.Roll != 30*time.Second || s.Capacity != 64<<10 {
		t.Errorf("decoded %+v", s)
	}
	if len(s.Rules) != 2 || s.Rules[1].Value != "letter" || s.Rules[1].Regex != "^[a-z]" {
		t.Errorf("rules %+v", s.Rules)
	}
	if s.Multiline == nil || s.Multiline.Pattern != `^\s` {
		t.Errorf("multiline %+v", s.Multiline)
	}
}

func TestDecodeErrorsPointAtTheAttribute(t *testing.T) {
	_, out := decode(t, `port = 70000
keep_alive = "3 seconds"
byte_capacity = "12 parsecs"
rule "bad" {
  regex = "("
}
multiline {
  pattern   = "x"
  max_lines = -1
}
colour = "blue"
`)
	for _, want := range []string{
		`1:8 source "x" "r1": port: must be 0-65535, got 70000`,
		`2:14 source "x" "r1": keep_alive: invalid duration "3 seconds"`,
		`3:17 source "x" "r1": byte_capacity: invalid size "12 parsecs"`,
		`5:11 source "x" "r1": rule.bad.regex: invalid regex "("`,
		`9:15 source "x" "r1": multiline.max_lines: must not be negative`,
		`11:1 source "x" "r1": Unsupported argument`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestRequiredAttributeMissingIsReportedOnce(t *testing.T) {
	_, out := decode(t, `keep_alive = "1s"`)
	if strings.Count(out, `"port"`) != 1 || !strings.Contains(out, "Missing required argument") {
		t.Errorf("got:\n%s", out)
	}
}

func TestWholeNumbersOnly(t *testing.T) {
	_, out := decode(t, `port = 1.5`)
	if !strings.Contains(out, "port: want a whole number, got 1.5") {
		t.Errorf("got:\n%s", out)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]Size{"0": 0, "512": 512, "64KiB": 64 << 10, "128MB": 128e6, "1.5GiB": 3 << 29, "2k": 2000, "1 mib": 1 << 20} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "KiB", "-1", "12 parsecs"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		}
	}
	if got := Size(128 << 20).String(); got != "128MiB" {
		t.Errorf("String = %q", got)
	}
}

// codec is a block whose attributes depend on its label, decoded by itself.
type codec struct {
	Type  string `hcl:"type,label"`
	Level int
}

func (c *codec) DecodeBlock(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) hcl.Diagnostics {
	if c.Type != "gzip" {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: what + ": unknown codec", Subject: &subject}}
	}
	var cfg struct {
		Level int `hcl:"level,optional"`
	}
	diags := Decode(body, ectx, &cfg, what, subject)
	c.Level = cfg.Level
	return diags
}

type withCodec struct {
	Path  string `hcl:"path"`
	Codec codec  `hcl:"codec,block,optional"`
}

func TestBlockDecoderGetsTheBlockByItsLabel(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want codec
		diag string
	}{
		{"path = \"x\"\ncodec \"gzip\" { level = 9 }", codec{Type: "gzip", Level: 9}, ""},
		{`path = "x"`, codec{}, ""},
		{"path = \"x\"\ncodec \"gzip\" { lvl = 9 }", codec{Type: "gzip"}, `x.hcl:2,16-19: sink "s": codec "gzip": Unsupported argument`},
		{"path = \"x\"\ncodec \"xz\" {}", codec{Type: "xz"}, `x.hcl:2,1-11: sink "s": codec "xz": unknown codec`},
	} {
		f, _ := hclsyntax.ParseConfig([]byte(tt.src), "x.hcl", hcl.InitialPos)
		var got withCodec
		diags := Decode(f.Body, nil, &got, `sink "s"`, hcl.Range{Filename: "x.hcl"})
		if got.Codec != tt.want {
			t.Errorf("%q: decoded %+v, want %+v", tt.src, got.Codec, tt.want)
		}
		if msg := diags.Error(); tt.diag == "" && diags.HasErrors() || !strings.HasPrefix(msg, tt.diag) {
			t.Errorf("%q: diagnostics %q, want %q", tt.src, msg, tt.diag)
		}
	}
}
