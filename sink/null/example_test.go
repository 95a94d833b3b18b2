package null

import (
	"context"
	"os"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/sink"
)

// TestExample decodes every null block of example.hcl through the factory (the attributes
// common to all sinks, channel and batch_size, are the config stage's) and creates the sink.
func TestExample(t *testing.T) {
	src, err := os.ReadFile("example.hcl")
	if err != nil {
		t.Fatal(err)
	}
	file, diags := hclsyntax.ParseConfig(src, "example.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	common := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "channel"}, {Name: "batch_size"}}}
	f := NewFactory()
	n := 0
	for _, b := range file.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "sink" || len(b.Labels) != 2 || b.Labels[0] != "null" {
			continue
		}
		n++
		_, rest, diags := b.Body.PartialContent(common)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		cfg, diags := f.Decode(rest, nil, `sink "null" "`+b.Labels[1]+`"`, b.DefRange())
		if diags.HasErrors() {
			t.Fatalf("%s: %v", b.Labels[1], diags)
		}
		adapt(t, cfg)
		s, err := f.Create(cfg, sink.Settings{Name: b.Labels[1], Type: "null", BatchSize: 100})
		if err != nil {
			t.Fatalf("%s: %v", b.Labels[1], err)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 {
		t.Fatal("example.hcl holds no null sink")
	}
}

func adapt(*testing.T, any) {}
