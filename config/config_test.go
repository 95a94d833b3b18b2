package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/interceptor"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/source"
)

// Minimal components, so these tests exercise the config stage alone.

type testSourceConfig struct {
	Port  int `hcl:"port"`
	Batch int `hcl:"batch_size,optional"`
}

func (c *testSourceConfig) Validate() error {
	if c.Port < 0 || c.Port > 65535 {
		return schema.Errorf("port", "must be between 0 and 65535, got %d", c.Port)
	}
	return nil
}
func (c *testSourceConfig) BatchLimit() source.BatchLimit {
	return source.BatchLimit{Events: c.Batch, Attr: "batch_size"}
}

// testWholeConfig is a source that answers its clients for whole calls, like http.
type testWholeConfig struct {
	Port      int `hcl:"port"`
	MaxEvents int `hcl:"max_batch_events,optional"`
}

func (c *testWholeConfig) BatchLimit() source.BatchLimit {
	return source.BatchLimit{Events: c.MaxEvents, Attr: "max_batch_events", Whole: true}
}

type testChannelConfig struct {
	Capacity int `hcl:"capacity,optional"`
	TxCap    int `hcl:"transaction_capacity,optional"`
}

func (c *testChannelConfig) TransactionCapacity() int { return c.TxCap }

type testSinkConfig struct {
	Path string `hcl:"path,optional"`
}

type testProcConfig struct {
	Priority map[string]int `hcl:"priority,optional"`
}

func (c *testProcConfig) ReferencedSinks() map[string]hcl.Range {
	out := map[string]hcl.Range{}
	for k := range c.Priority {
		out[k] = hcl.Range{}
	}
	return out
}

type testSelectorConfig struct {
	Mapping map[string][]string `hcl:"mapping,optional"`
}

func (c *testSelectorConfig) ReferencedChannels() map[string]hcl.Range {
	out := map[string]hcl.Range{}
	for _, cs := range c.Mapping {
		for _, ch := range cs {
			out[ch] = hcl.Range{}
		}
	}
	return out
}

type nothing struct{}

func testComponents() Components {
	errNo := errors.New("not built in config tests")
	return Components{
		Sources: []source.Factory{source.NewFactory("netcat", func() *testSourceConfig { return &testSourceConfig{Batch: 1} },
			func(*testSourceConfig, source.Settings) (source.Source, error) { return nil, errNo }),
			source.NewFactory("http", func() *testWholeConfig { return &testWholeConfig{MaxEvents: 100000} },
				func(*testWholeConfig, source.Settings) (source.Source, error) { return nil, errNo })},
		Channels: []channel.Factory{channel.NewFactory("memory", func() *testChannelConfig { return &testChannelConfig{Capacity: 100, TxCap: 100} },
			func(*testChannelConfig, channel.Settings) (channel.Channel, error) { return nil, errNo })},
		Sinks: []sink.Factory{sink.NewFactory("logger", func() *testSinkConfig { return &testSinkConfig{} },
			func(*testSinkConfig, sink.Settings) (sink.Sink, error) { return nil, errNo })},
		Processors: []sink.ProcessorFactory{sink.NewProcessorFactory("failover", func() *testProcConfig { return &testProcConfig{} },
			func(*testProcConfig, sink.ProcessorSettings, []sink.Member) (sink.Sink, error) { return nil, errNo })},
		Interceptors: []interceptor.Factory{interceptor.NewFactory("timestamp", func() *nothing { return &nothing{} },
			func(*nothing, interceptor.Settings) (interceptor.Interceptor, error) { return nil, errNo })},
		Selectors: []interceptor.SelectorFactory{interceptor.NewSelectorFactory("multiplexing", func() *testSelectorConfig { return &testSelectorConfig{} },
			func(*testSelectorConfig, interceptor.SelectorSettings) (interceptor.Selector, error) {
				return nil, errNo
			})},
	}
}

func load(t *testing.T, src string, name string) (*Agent, string) {
	t.Helper()
	a, _, diags := Load("flume.hcl", []byte(src), name, testComponents())
	var buf bytes.Buffer
	WriteDiagnostics(&buf, diags)
	return a, buf.String()
}

func TestValidAgentDecodesEveryPart(t *testing.T) {
	t.Setenv("FLUMEGO_TEST_PORT", "4444")
	a, out := load(t, `
agent "a1" {
  data_dir = "/var/lib/flumego"
  source "netcat" "r1" {
    channels = ["c1", "c2"]
    port     = env("FLUMEGO_TEST_PORT")
    interceptor "timestamp" {}
    selector "multiplexing" {
      mapping = { a = ["c1"], b = ["c2"] }
    }
  }
  channel "memory" "c1" {}
  channel "memory" "c2" { transaction_capacity = 10 }
  sink "logger" "k1" { channel = "c1" }
  sink "logger" "k2" {
    channel    = "c2"
    batch_size = 10
  }
  sink "logger" "k3" {
    channel    = "c2"
    batch_size = 5
  }
  sink_group "g1" {
    sinks = ["k2", "k3"]
    processor "failover" { priority = { k2 = 10, k3 = 5 } }
  }
  metrics { listen = "127.0.0.1:41414" }
}`, "")
	if a == nil {
		t.Fatalf("expected a valid agent, got:\n%s", out)
	}
	if out != "" {
		t.Errorf("unexpected diagnostics:\n%s", out)
	}
	if a.Name != "a1" || a.DataDir != "/var/lib/flumego" || a.Metrics.Listen != "127.0.0.1:41414" {
		t.Errorf("agent = %+v", a)
	}
	src := a.Sources[0]
	if got := src.Config.(*testSourceConfig).Port; got != 4444 {
		t.Errorf("env() port = %d, want 4444", got)
	}
	if strings.Join(src.Channels, ",") != "c1,c2" || len(src.Interceptors) != 1 || src.Selector == nil {
		t.Errorf("source = %+v", src)
	}
	// k1 left batch_size out: the default is lowered to c1's transaction_capacity.
	if a.Sinks[0].BatchSize != 100 || a.Sinks[1].BatchSize != 10 {
		t.Errorf("batch sizes = %d, %d", a.Sinks[0].BatchSize, a.Sinks[1].BatchSize)
	}
	if g := a.SinkGroups[0]; g.Processor.Type != "failover" || strings.Join(g.Sinks, ",") != "k2,k3" {
		t.Errorf("group = %+v", g)
	}
}

func TestEveryMistakeIsReportedAtItsPosition(t *testing.T) {
	_, out := load(t, `agent "a1" {
  source "netcatt" "r1" {
    channels = ["c1"]
  }
  source "netcat" "r2" {
    channels = ["c1", "nope"]
    port     = 70000
    colour   = "blue"
  }
  channel "memory" "c1" { transaction_capacity = 10 }
  channel "memory" "idle" {}
  sink "logger" "k1" {
    channel    = "c1"
    batch_size = 50
  }
  sink "logger" "k2" { channel = "c1" }
  sink_group "g1" {
    sinks = ["k1", "k2"]
    processor "failover" { priority = { k9 = 1 } }
  }
  sink_group "g2" {
    sinks = ["k2"]
    processor "failover" {}
  }
  sink "logger" "k3" {}
}`, "")
	want := []string{
		`flume.hcl:2:10: error: source "netcatt" "r1": unknown source type "netcatt"; did you mean "netcat"?`,
		`flume.hcl:6:23: error: channel "nope" is not declared in agent "a1"`,
		`flume.hcl:7:16: error: source "netcat" "r2": port: must be between 0 and 65535, got 70000`,
		`flume.hcl:8:5: error: source "netcat" "r2": Unsupported argument`,
		`    An argument named "colour" is not expected here.`,
		`flume.hcl:11:3: warning: channel "memory" "idle" is not used by any source or sink`,
		`flume.hcl:12:3: error: sink "logger" "k1": batch_size 50 is above channel "c1"'s transaction_capacity 10`,
		`flume.hcl:19:5: error: sink_group "g1": processor "failover" names sink "k9", which is not in the group's sinks (k1, k2)`,
		`flume.hcl:21:3: error: sink_group "g2": sink "k2" is already in sink_group "g1"`,
		`flume.hcl:25:22: error: sink "logger" "k3": Missing required argument`,
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("missing diagnostic\n  %s\nin:\n%s", w, out)
		}
	}
}

func TestChoosingAnAgent(t *testing.T) {
	two := `agent "a1" {
  channel "memory" "c1" {}
}
agent "a2" {
  channel "memory" "c1" {}
}`
	if _, out := load(t, two, ""); !strings.Contains(out, "holds several agents (a1, a2): choose one with -n NAME") {
		t.Errorf("no -n with two agents: %s", out)
	}
	if _, out := load(t, two, "a3"); !strings.Contains(out, `has no agent "a3" (it has: a1, a2)`) {
		t.Errorf("-n a3: %s", out)
	}
	if a, _ := load(t, two, "a2"); a == nil || a.Name != "a2" {
		t.Errorf("-n a2 = %+v", a)
	}
}

func TestSelectorNamingAChannelOutsideItsSource(t *testing.T) {
	_, out := load(t, `agent "a1" {
  source "netcat" "r1" {
    channels = ["c1"]
    port     = 1
    selector "multiplexing" {
      mapping = { x = ["c2"] }
    }
  }
  channel "memory" "c1" {}
  channel "memory" "c2" {}
  sink "logger" "k1" { channel = "c1" }
  sink "logger" "k2" { channel = "c2" }
}`, "")
	if !strings.Contains(out, `flume.hcl:5:5: error: source "netcat" "r1": selector "multiplexing" names channel "c2", which is not in the source's channels (c1)`) {
		t.Errorf("got:\n%s", out)
	}
}

func TestUnsetEnvironmentVariableIsAnError(t *testing.T) {
	_, out := load(t, `agent "a1" {
  channel "memory" "c1" { capacity = env("FLUMEGO_SURELY_UNSET") }
}`, "")
	if !strings.Contains(out, "flume.hcl:2:") || !strings.Contains(out, "FLUMEGO_SURELY_UNSET is not set") {
		t.Errorf("got:\n%s", out)
	}
	if _, out := load(t, `agent "a1" {
  channel "memory" "c1" { capacity = env("FLUMEGO_SURELY_UNSET", "7") }
}`, ""); strings.Contains(out, "error") {
		t.Errorf("env with default: %s", out)
	}
}

func TestSyntaxErrorStopsEarlyWithPosition(t *testing.T) {
	_, out := load(t, "agent \"a1\" {\n  channel \"memory\" \"c1\" {\n", "")
	if !strings.HasPrefix(out, "flume.hcl:") || !strings.Contains(out, "error") {
		t.Errorf("got:\n%s", out)
	}
}

func TestChannelThatSourcesFillAndNoSinkDrainsIsWarnedAbout(t *testing.T) {
	_, out := load(t, `agent "a1" {
  source "netcat" "r1" {
    channels = ["c1", "c2"]
    port     = 1
  }
  channel "memory" "c1" {}
  channel "memory" "c2" {}
  sink "logger" "k1" { channel = "c2" }
}`, "")
	if !strings.Contains(out, `flume.hcl:6:3: warning: channel "memory" "c1" is filled by source "r1" and drained by no sink`) {
		t.Errorf("got:\n%s", out)
	}
	if strings.Contains(out, `"c2" is filled`) {
		t.Errorf("a drained channel is warned about:\n%s", out)
	}
}

func TestAgentThatRunsNothingIsWarnedAbout(t *testing.T) {
	_, out := load(t, `agent "a1" {
  channel "memory" "c1" {}
}`, "")
	if !strings.Contains(out, `flume.hcl:1:1: warning: agent "a1" has no sources and no sinks: it runs nothing`) {
		t.Errorf("got:\n%s", out)
	}
}

func TestFlumePropertiesFileGetsTheConvertHint(t *testing.T) {
	_, out := load(t, "# Flume\na1.sources = r1\na1.channels = c1\na1.sources.r1.type = netcat\n", "")
	if !strings.Contains(out, "error: flume.hcl is an Apache Flume properties file (a1.sources = ...), not flumego HCL: convert it with `agent convert flume.hcl > flume.hcl`") {
		t.Errorf("got:\n%s", out)
	}
	if strings.Contains(out, "Argument or block definition required") {
		t.Errorf("HCL's parse error is shown too:\n%s", out)
	}
}

func TestFlumeHeaderEscapeInAStringSaysHowToWriteIt(t *testing.T) {
	_, out := load(t, `agent "a1" {
  channel "memory" "c1" { capacity = "%{host}" }
}`, "")
	if !strings.Contains(out, "flume.hcl:2:") || !strings.Contains(out, "Flume's header escape %{NAME} is written %%{NAME}") {
		t.Errorf("got:\n%s", out)
	}
}

func TestComponentListedTwiceIsAnErrorNamingIt(t *testing.T) {
	comps := testComponents()
	comps.Sources = append(comps.Sources, comps.Sources[0])
	comps.Sinks = append(comps.Sinks, comps.Sinks[0])
	_, _, diags := Load("flume.hcl", []byte(`agent "a1" {}`), "", comps)
	var buf bytes.Buffer
	WriteDiagnostics(&buf, diags)
	out := buf.String()
	for _, want := range []string{`two source factories of type "netcat"`, `two sink factories of type "logger"`} {
		if !strings.Contains(out, want) {
			t.Errorf("diagnostics do not say %q:\n%s", want, out)
		}
	}
}

func TestFactoryWhoseDecodePanicsIsReportedOnItsBlock(t *testing.T) {
	comps := testComponents()
	comps.Sinks = append(comps.Sinks, panicDecoder{})
	_, _, diags := Load("flume.hcl", []byte(`agent "a1" {
  source "netcat" "r1" {
    channels = ["c1"]
    port     = 1
  }
  channel "memory" "c1" {}
  sink "broken" "k1" {
    channel = "c1"
  }
}`), "", comps)
	var buf bytes.Buffer
	WriteDiagnostics(&buf, diags)
	if out := buf.String(); !strings.Contains(out, `flume.hcl:7:3: error: sink "broken" "k1": decoding its settings panicked: a bug in a custom factory`) {
		t.Errorf("diagnostics:\n%s", out)
	}
}

// panicDecoder is a sink factory whose Decode panics.
type panicDecoder struct{}

func (panicDecoder) Type() string { return "broken" }
func (panicDecoder) Decode(hcl.Body, *hcl.EvalContext, string, hcl.Range) (any, hcl.Diagnostics) {
	panic("a bug in a custom factory")
}
func (panicDecoder) Create(any, sink.Settings) (sink.Sink, error) { return nil, errors.New("unused") }

func TestSourcePutsAreHeldAgainstTransactionCapacity(t *testing.T) {
	a, out := load(t, `agent "a1" {
  source "http" "h1" {
    channels         = ["c1"]
    port             = 1
    max_batch_events = 500
  }
  source "http" "h2" {
    channels = ["c1"]
    port     = 2
  }
  source "netcat" "n1" {
    channels   = ["c1"]
    port       = 3
    batch_size = 500
  }
  channel "memory" "c1" {
    transaction_capacity = 100
  }
  sink "logger" "k1" { channel = "c1" }
}`, "")
	want := []string{
		// Both positions: the source's attribute, and the channel's transaction_capacity.
		`flume.hcl:5:24: error: source "http" "h1": max_batch_events 500 is above channel "c1"'s transaction_capacity 100 (flume.hcl:17:28): a call is acknowledged for all its events or none, so it cannot be split`,
		`flume.hcl:14:18: warning: source "netcat" "n1": batch_size 500 is above channel "c1"'s transaction_capacity 100 (flume.hcl:17:28): each batch is put in transactions of at most 100 events`,
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("missing diagnostic\n  %s\nin:\n%s", w, out)
		}
	}
	if strings.Contains(out, `"h2"`) {
		t.Errorf("a default max_batch_events was reported; defaults must validate:\n%s", out)
	}
	if a != nil {
		t.Error("an agent whose http source can never put a full call was accepted")
	}
}

func TestMaxInflightBytes(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  schema.Size
		err   string
	}{
		{"", DefaultMaxInflightBytes, ""},
		{`max_inflight_bytes = "1GiB"`, 1 << 30, ""},
		{`max_inflight_bytes = 1048576`, 1 << 20, ""},
		{`max_inflight_bytes = 0`, 0, ""},
		{`max_inflight_bytes = "lots"`, 0, `flume.hcl:2:24: error: agent "a1": max_inflight_bytes: invalid size "lots"`},
		{`max_inflight_bytes = -1`, 0, `flume.hcl:2:24: error: agent "a1": max_inflight_bytes: want a number of bytes`},
	} {
		a, out := load(t, "agent \"a1\" {\n  "+tt.value+"\n  source \"netcat\" \"r1\" {\n    channels = [\"c1\"]\n    port = 1\n  }\n  channel \"memory\" \"c1\" {}\n  sink \"logger\" \"k1\" { channel = \"c1\" }\n}", "")
		switch {
		case tt.err != "" && !strings.Contains(out, tt.err):
			t.Errorf("%s: diagnostics %q, want %q", tt.value, out, tt.err)
		case tt.err == "" && (a == nil || a.MaxInflightBytes != tt.want):
			t.Errorf("%s: got %v (%s), want %v", tt.value, a, out, tt.want)
		}
	}
}
