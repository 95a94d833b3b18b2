package kafka

import (
	"context"
	"testing"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/exampletest"
)

// TestExample decodes every kafka channel block of example.hcl through the factory and creates
// the channel (which does not need the brokers to start).
func TestExample(t *testing.T) {
	blocks := exampletest.Decode(t, "channel", "kafka", NewFactory())
	for _, b := range blocks {
		b.Config.(*Config).TLS = nil // the example's CA file does not exist here
		ch, err := NewFactory().Create(b.Config, channel.Settings{Name: b.Name, Type: "kafka"})
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		if err := ch.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(blocks); n != 2 {
		t.Fatalf("example.hcl holds %d kafka channels, want 2", n)
	}
}
