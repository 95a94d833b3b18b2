package kafka

import (
	"testing"

	"github.com/flumego/flumego/internal/exampletest"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/source"
)

// TestExample decodes every kafka source block of example.hcl through the factory (channels and
// interceptors are the config stage's) and creates the source.
func TestExample(t *testing.T) {
	blocks := exampletest.Decode(t, "source", "kafka", NewFactory())
	for _, b := range blocks {
		b.Config.(*Config).TLS = nil // the example's CA file does not exist here
		s, err := NewFactory().Create(b.Config, source.Settings{Name: b.Name, Type: "kafka", Processor: &sourcetest.Processor{}})
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		s.(*Source).cl.Close()
	}
	if n := len(blocks); n != 2 {
		t.Fatalf("example.hcl holds %d kafka sources, want 2", n)
	}
}
