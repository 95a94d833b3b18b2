package kafka

import (
	"os"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/source"
)

// TestExample decodes every kafka source block of example.hcl through the factory (channels and
// interceptors are the config stage's) and creates the source.
func TestExample(t *testing.T) {
	src, err := os.ReadFile("example.hcl")
	if err != nil {
		t.Fatal(err)
	}
	file, diags := hclsyntax.ParseConfig(src, "example.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	common := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "channels"}}}
	n := 0
	for _, b := range file.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "source" || b.Labels[0] != "kafka" {
			continue
		}
		n++
		_, rest, _ := b.Body.PartialContent(common)
		cfg, diags := NewFactory().Decode(rest, nil, `source "kafka" "`+b.Labels[1]+`"`, b.DefRange())
		if diags.HasErrors() {
			t.Fatalf("%s: %v", b.Labels[1], diags)
		}
		cfg.(*Config).TLS = nil // the example's CA file does not exist here
		s, err := NewFactory().Create(cfg, source.Settings{Name: b.Labels[1], Type: "kafka", Processor: &collector{}})
		if err != nil {
			t.Fatalf("%s: %v", b.Labels[1], err)
		}
		s.(*Source).cl.Close()
	}
	if n != 2 {
		t.Fatalf("example.hcl holds %d kafka sources, want 2", n)
	}
}
