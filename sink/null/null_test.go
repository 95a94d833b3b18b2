package null

import (
	"context"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/sink"
)

func TestNullAcceptsAndDiscards(t *testing.T) {
	file, _ := hclsyntax.ParseConfig([]byte(""), "flume.hcl", hcl.InitialPos)
	f := NewFactory()
	cfg, diags := f.Decode(file.Body, nil, `sink "null" "k1"`, hcl.Range{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s, err := f.Create(cfg, sink.Settings{Name: "k1", Type: "null", BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), []channel.Event{{Body: []byte("a")}, {Body: []byte("b")}}); err != nil {
		t.Errorf("Write = %v", err)
	}
	for range 2 {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("Close = %v", err)
		}
	}
}

func TestNullRejectsAttributes(t *testing.T) {
	file, _ := hclsyntax.ParseConfig([]byte(`directory = "/tmp"`), "flume.hcl", hcl.InitialPos)
	if _, diags := NewFactory().Decode(file.Body, nil, `sink "null" "k1"`, hcl.Range{}); !diags.HasErrors() {
		t.Error("an unknown attribute was accepted")
	}
}
