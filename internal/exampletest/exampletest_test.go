package exampletest_test

import (
	"strings"
	"testing"

	"github.com/flumego/flumego/channel/memory"
	"github.com/flumego/flumego/internal/exampletest"
	"github.com/flumego/flumego/sink/null"
	"github.com/flumego/flumego/source/seq"
)

const agent = `
source "seq" "r1" {
  channels   = ["c1"]
  batch_size = 7
  interceptor "timestamp" {}
  selector "replicating" {}
}
source "seq" "r2" {
  channels = ["c1"]
  totl     = 3
}
source "netcat" "other" {
  channels = ["c1"]
}
channel "memory" "c1" {
  channels = ["c1"]
}
sink "null" "k1" {
  channel    = "c1"
  batch_size = 1000
}
`

func TestDecodeBlocksHandsTheFactoryWhatTheConfigStageWould(t *testing.T) {
	tests := []struct {
		kind, typ string
		f         exampletest.Decoder
		names     []string
		diag      string // a diagnostic expected to contain this, "" for none
	}{
		// A source's channels, interceptors and selector are taken out; its batch_size stays.
		{kind: "source", typ: "seq", f: seq.NewFactory(), names: []string{"r1", "r2"}, diag: `agent.hcl:10,3-7: source "seq" "r2": Unsupported argument`},
		// A channel's body goes to its factory whole.
		{kind: "channel", typ: "memory", f: memory.NewFactory(), names: []string{"c1"}, diag: `Unsupported argument; An argument named "channels"`},
		// A sink's channel and batch_size are taken out.
		{kind: "sink", typ: "null", f: null.NewFactory(), names: []string{"k1"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.typ, func(t *testing.T) {
			blocks, diags := exampletest.DecodeBlocks(t, "agent.hcl", []byte(agent), tt.kind, tt.typ, tt.f)
			var names []string
			for _, b := range blocks {
				names = append(names, b.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.names, ",") {
				t.Errorf("blocks %q, want %q", names, tt.names)
			}
			switch {
			case tt.diag == "" && diags.HasErrors():
				t.Errorf("unexpected diagnostics: %v", diags)
			case tt.diag != "" && (len(diags) != 1 || !strings.Contains(diags.Error(), tt.diag)):
				t.Errorf("diagnostics %v, want one containing %q", diags, tt.diag)
			}
		})
	}
	blocks, _ := exampletest.DecodeBlocks(t, "agent.hcl", []byte(agent), "source", "seq", seq.NewFactory())
	if c := blocks[0].Config.(*seq.Config); c.Batch != 7 {
		t.Errorf("r1 batch_size = %d, want the block's 7", c.Batch)
	}
}
