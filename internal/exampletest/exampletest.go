// Package exampletest loads the example.hcl beside a component for that component's tests: every
// block of the component's type is decoded through its factory the way the config stage hands
// it over, so an example that drifts from the code fails a test. It is imported only by tests.
package exampletest

import (
	"context"
	"os"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/sink"
)

// Decoder is the decoding half of a component factory (source.Factory, channel.Factory,
// sink.Factory, ...).
type Decoder interface {
	Decode(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (any, hcl.Diagnostics)
}

// Block is one component block, decoded.
type Block struct {
	Name   string // the block's second label
	Config any    // what the factory decoded; nil only when it reported errors
}

// owned is what the config stage takes out of a component block of each kind before it hands
// the rest to the factory (config/config.go's sourceSchema and sinkSchema); a channel's body
// goes to the factory whole.
var owned = map[string]*hcl.BodySchema{
	"source": {
		Attributes: []hcl.AttributeSchema{{Name: "channels"}},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "interceptor", LabelNames: []string{"type"}},
			{Type: "selector", LabelNames: []string{"type"}},
		},
	},
	"sink": {Attributes: []hcl.AttributeSchema{{Name: "channel"}, {Name: "batch_size"}}},
}

// DecodeBlocks parses src (named filename in positions) and decodes every block
// `kind "typ" "name" { ... }` through f, after taking out what the config stage owns for that
// kind. It returns the blocks in file order and every diagnostic; a file that does not parse
// fails the test.
func DecodeBlocks(t testing.TB, filename string, src []byte, kind, typ string, f Decoder) ([]Block, hcl.Diagnostics) {
	t.Helper()
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var blocks []Block
	var all hcl.Diagnostics
	for _, b := range file.Body.(*hclsyntax.Body).Blocks {
		if b.Type != kind || len(b.Labels) != 2 || b.Labels[0] != typ {
			continue
		}
		var body hcl.Body = b.Body
		if schema := owned[kind]; schema != nil {
			_, rest, diags := body.PartialContent(schema)
			all = append(all, diags...)
			body = rest
		}
		cfg, diags := f.Decode(body, nil, kind+` "`+typ+`" "`+b.Labels[1]+`"`, b.DefRange())
		all = append(all, diags...)
		blocks = append(blocks, Block{Name: b.Labels[1], Config: cfg})
	}
	return blocks, all
}

// Decode decodes every `kind "typ"` block of example.hcl in the test's directory through f (see
// DecodeBlocks). Any diagnostic, or a file without such a block, fails the test.
func Decode(t testing.TB, kind, typ string, f Decoder) []Block {
	t.Helper()
	src, err := os.ReadFile("example.hcl")
	if err != nil {
		t.Fatal(err)
	}
	blocks, diags := DecodeBlocks(t, "example.hcl", src, kind, typ, f)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(blocks) == 0 {
		t.Fatalf("example.hcl holds no %s %q", kind, typ)
	}
	return blocks
}

// Sinks decodes every sink block of type typ in example.hcl (see Decode), lets adapt (when not
// nil) point the config's paths into the test's temporary directory, then creates each sink
// with a batch size of 100 and closes it, failing the test on any error. It returns how many
// sinks it made.
func Sinks(t testing.TB, typ string, f sink.Factory, adapt func(t testing.TB, cfg any)) int {
	t.Helper()
	blocks := Decode(t, "sink", typ, f)
	for _, b := range blocks {
		if adapt != nil {
			adapt(t, b.Config)
		}
		s, err := f.Create(b.Config, sink.Settings{Name: b.Name, Type: typ, BatchSize: 100, DataDir: t.TempDir()})
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatalf("%s: close: %v", b.Name, err)
		}
	}
	return len(blocks)
}
