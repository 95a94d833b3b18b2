package kafka

import (
	"context"
	"os"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/channel"
)

// TestExample decodes every kafka channel block of example.hcl through the factory and creates
// the channel (which does not need the brokers to start).
func TestExample(t *testing.T) {
	src, err := os.ReadFile("example.hcl")
	if err != nil {
		t.Fatal(err)
	}
	file, diags := hclsyntax.ParseConfig(src, "example.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	n := 0
	for _, b := range file.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "channel" || b.Labels[0] != "kafka" {
			continue
		}
		n++
		cfg, diags := NewFactory().Decode(b.Body, nil, `channel "kafka" "`+b.Labels[1]+`"`, b.DefRange())
		if diags.HasErrors() {
			t.Fatalf("%s: %v", b.Labels[1], diags)
		}
		cfg.(*Config).TLS = nil // the example's CA file does not exist here
		ch, err := NewFactory().Create(cfg, channel.Settings{Name: b.Labels[1], Type: "kafka"})
		if err != nil {
			t.Fatalf("%s: %v", b.Labels[1], err)
		}
		if err := ch.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n != 2 {
		t.Fatalf("example.hcl holds %d kafka channels, want 2", n)
	}
}
