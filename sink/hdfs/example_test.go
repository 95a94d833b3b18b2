package hdfs

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/sink"
)

// TestExample decodes every hdfs block of example.hcl through the factory and creates the
// sink (remote paths are pointed at the test's temporary directory instead).
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
		if b.Type != "sink" || len(b.Labels) != 2 || b.Labels[0] != "hdfs" {
			continue
		}
		n++
		_, rest, diags := b.Body.PartialContent(common)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		cfg, diags := f.Decode(rest, nil, `sink "hdfs" "`+b.Labels[1]+`"`, b.DefRange())
		if diags.HasErrors() {
			t.Fatalf("%s: %v", b.Labels[1], diags)
		}
		c := cfg.(*Config)
		_, dir, _ := strings.Cut(strings.SplitN(c.Path, "://", 2)[1], "/")
		c.Path = "file://" + t.TempDir() + "/" + dir
		s, err := f.Create(cfg, sink.Settings{Name: b.Labels[1], Type: "hdfs", BatchSize: 100})
		if err != nil {
			t.Fatalf("%s: %v", b.Labels[1], err)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n != 3 {
		t.Fatalf("example.hcl holds %d hdfs sinks, want 3", n)
	}
}
