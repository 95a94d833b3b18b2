package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/file"
	"github.com/flumego/flumego/channel/memory"
	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/interceptor"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/netcat"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// collector is a test sink type ("collect") whose sinks append what they write to one shared
// list, and fail every write while their config says fail = true.
type collector struct {
	mu     sync.Mutex
	bodies []string
	closed map[string]int // sink name → Close calls
}

type collectConfig struct {
	Fail bool   `hcl:"fail,optional"`
	Tag  string `hcl:"tag,optional"`
}

type collectSink struct {
	c    *collector
	name string
	fail bool
}

func (s *collectSink) Write(_ context.Context, events []channel.Event) error {
	if s.fail {
		return errors.New("collect: failing on purpose")
	}
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	for _, e := range events {
		s.c.bodies = append(s.c.bodies, string(e.Body))
	}
	return nil
}

func (s *collectSink) Close(context.Context) error {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.closed[s.name]++
	return nil
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.bodies)
}

// flaky is a test source type whose Run fails at once while fail = true and otherwise waits.
type flakyConfig struct {
	Fail bool `hcl:"fail,optional"`
}

type flakySource struct{ fail bool }

func (s flakySource) Run(ctx context.Context) error {
	if s.fail {
		return errors.New("flaky: failing on purpose")
	}
	<-ctx.Done()
	return nil
}

func (flakySource) Close(context.Context) error { return nil }

func components(c *collector, flakyFails *bool) config.Components {
	return config.Components{
		Sources: []source.Factory{
			netcat.NewFactory(),
			source.NewFactory("flaky", func() *flakyConfig { return &flakyConfig{} }, func(cfg *flakyConfig, _ source.Settings) (source.Source, error) {
				return flakySource{fail: cfg.Fail || *flakyFails}, nil
			}),
		},
		Channels: []channel.Factory{memory.NewFactory(), file.NewFactory()},
		Sinks: []sink.Factory{sink.NewFactory("collect", func() *collectConfig { return &collectConfig{} }, func(cfg *collectConfig, set sink.Settings) (sink.Sink, error) {
			return &collectSink{c: c, name: set.Name, fail: cfg.Fail}, nil
		})},
		Processors:   []sink.ProcessorFactory{sink.NewFailoverFactory()},
		Interceptors: []interceptor.Factory{interceptor.NewStaticFactory()},
		Selectors:    []interceptor.SelectorFactory{interceptor.NewMultiplexingFactory()},
	}
}

// harness runs one agent built from HCL text and reloads it with other HCL texts.
type harness struct {
	t     *testing.T
	col   *collector
	comps config.Components
	agent *Agent
	flaky bool
}

func newHarness(t *testing.T, hcl string) *harness {
	t.Helper()
	h := &harness{t: t, col: &collector{closed: map[string]int{}}}
	h.comps = components(h.col, &h.flaky)
	a, err := New(h.load(hcl), Options{Logger: slog.New(slog.DiscardHandler), DrainTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop(context.Background()) })
	h.agent = a
	return h
}

func (h *harness) load(src string) *config.Agent {
	h.t.Helper()
	cfg, _, diags := config.Load("test.hcl", []byte(src), "", h.comps)
	if diags.HasErrors() {
		h.t.Fatalf("config: %v", diags)
	}
	return cfg
}

func (h *harness) reload(src string) ReloadSummary {
	h.t.Helper()
	s, err := h.agent.Reload(h.load(src))
	if err != nil {
		h.t.Fatalf("Reload: %v", err)
	}
	return s
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// conn is an open netcat client that sends lines and reads their acks.
type conn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, port int) *conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &conn{t: t, c: c, r: bufio.NewReader(c)}
}

func (c *conn) send(lines ...string) {
	c.t.Helper()
	_ = c.c.SetDeadline(time.Now().Add(10 * time.Second))
	for _, l := range lines {
		if _, err := fmt.Fprintln(c.c, l); err != nil {
			c.t.Fatal(err)
		}
		if ack, err := c.r.ReadString('\n'); err != nil || ack != "OK\n" {
			c.t.Fatalf("ack of %q: %q, %v", l, ack, err)
		}
	}
}

// flow is a netcat → memory → collect agent; extra is added inside the agent block.
func flow(port int, sinkSettings, extra string) string {
	return fmt.Sprintf(`agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = %d
    channels = ["c1"]
  }
  channel "memory" "c1" {
    capacity             = 10000
    transaction_capacity = 100
  }
  sink "collect" "k1" {
    channel = "c1"
    %s
  }
  %s
}`, port, sinkSettings, extra)
}

func TestReloadKeepsWhatDidNotChange(t *testing.T) {
	port := testkit.FreePort(t)
	h := newHarness(t, flow(port, "", ""))
	c := dial(t, port)
	c.send("a", "b")
	waitFor(t, "two events delivered", func() bool { return len(h.col.got()) == 2 })
	srcBefore := h.agent.sources["r1"].src
	chBefore := h.agent.channels["c1"].ch

	// Only comments and layout change: the source ranges move, the settings do not.
	s := h.reload("# a comment that moves every line down\n\n" + strings.ReplaceAll(flow(port, "", ""), "  ", "    "))
	if s.Changed() {
		t.Fatalf("a reload of the same settings changed %+v", s)
	}
	if h.agent.sources["r1"].src != srcBefore || h.agent.channels["c1"].ch != chBefore {
		t.Fatal("an unchanged source or channel was rebuilt")
	}
	c.send("c") // the connection opened before the reload still works
	waitFor(t, "the third event", func() bool { return len(h.col.got()) == 3 })
	if got := h.agent.reg.Source("r1", "netcat").EventAcceptedCount.Load(); got != 3 {
		t.Errorf("EventAcceptedCount = %d, want 3 (counters continue)", got)
	}
}

func TestReloadRestartsAChangedSinkWithoutLosingWhatTheChannelHolds(t *testing.T) {
	port := testkit.FreePort(t)
	h := newHarness(t, flow(port, "fail = true", ""))
	c := dial(t, port)
	var want []string
	for i := range 300 {
		want = append(want, fmt.Sprintf("e%03d", i))
	}
	c.send(want...)
	waitFor(t, "the channel to hold every event", func() bool {
		return h.agent.reg.Channel("c1", "memory").ChannelSize.Load() == 300
	})

	s := h.reload(flow(port, "fail = false", ""))
	if !slices.Equal(s.Restarted, []string{"sink/k1"}) || !slices.Equal(s.Kept, []string{"channel/c1", "source/r1"}) {
		t.Fatalf("summary = %+v, want only sink/k1 restarted", s)
	}
	waitFor(t, "every event delivered by the new sink", func() bool { return len(h.col.got()) == 300 })
	if got := h.col.got(); !slices.Equal(got, want) {
		t.Fatalf("delivered %d events, not exactly the 300 sent in order", len(got))
	}
	if h.col.closed["k1"] != 1 {
		t.Errorf("the old sink was closed %d times, want 1", h.col.closed["k1"])
	}
	c.send("after") // the unchanged source kept its connection
	waitFor(t, "the event sent after the reload", func() bool { return len(h.col.got()) == 301 })
}

func TestReloadRebindsAChangedListenerOnTheSamePort(t *testing.T) {
	port := testkit.FreePort(t)
	h := newHarness(t, flow(port, "", ""))
	old := dial(t, port)
	old.send("before")
	// A changed setting of the source (its interceptors) restarts it on the same port.
	changed := strings.Replace(flow(port, "", ""), `channels = ["c1"]`, `channels = ["c1"]
    interceptor "static" {
      key   = "k"
      value = "v"
    }`, 1)
	s := h.reload(changed)
	if !slices.Equal(s.Restarted, []string{"source/r1"}) {
		t.Fatalf("summary = %+v, want source/r1 restarted", s)
	}
	_ = old.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := old.r.ReadString('\n'); err == nil {
		t.Fatal("the replaced source's connection is still open")
	}
	dial(t, port).send("after")
	waitFor(t, "both events", func() bool { return slices.Equal(h.col.got(), []string{"before", "after"}) })
}

func TestReloadAddsAndRemovesComponents(t *testing.T) {
	port := testkit.FreePort(t)
	h := newHarness(t, flow(port, "", ""))
	dial(t, port).send("one")
	waitFor(t, "the first event", func() bool { return len(h.col.got()) == 1 })

	second := `channel "memory" "c2" {
    capacity             = 1000
    transaction_capacity = 100
  }
  sink "collect" "k2" {
    channel = "c2"
  }
  source "netcat" "r2" {
    bind     = "127.0.0.1"
    port     = %d
    channels = ["c2"]
  }`
	port2 := testkit.FreePort(t)
	s := h.reload(flow(port, "", fmt.Sprintf(second, port2)))
	if !slices.Equal(s.Added, []string{"channel/c2", "sink/k2", "source/r2"}) || len(s.Restarted) != 0 {
		t.Fatalf("summary = %+v", s)
	}
	dial(t, port2).send("two")
	waitFor(t, "the event through the added flow", func() bool { return len(h.col.got()) == 2 })

	s = h.reload(flow(port, "", ""))
	if !slices.Equal(s.Removed, []string{"channel/c2", "sink/k2", "source/r2"}) || len(s.Restarted) != 0 {
		t.Fatalf("summary = %+v", s)
	}
	if _, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port2), time.Second); err == nil {
		t.Error("the removed source still listens")
	}
	for _, c := range h.agent.reg.Components() {
		if c.Name == "r2" || c.Name == "c2" || c.Name == "k2" {
			t.Errorf("the registry still holds removed %s.%s", c.Kind, c.Name)
		}
	}
	if got := h.agent.reg.Sink("k1", "collect").EventDrainSuccessCount.Load(); got != 1 {
		t.Errorf("k1's EventDrainSuccessCount = %d, want 1", got)
	}
}

func TestReloadOfAChangedChannelDrainsItFirst(t *testing.T) {
	port := testkit.FreePort(t)
	h := newHarness(t, flow(port, "", ""))
	c := dial(t, port)
	var want []string
	for i := range 200 {
		want = append(want, fmt.Sprintf("e%03d", i))
	}
	c.send(want...)
	bigger := strings.Replace(flow(port, "", ""), "capacity             = 10000", "capacity             = 20000", 1)
	s := h.reload(bigger)
	if !slices.Equal(s.Restarted, []string{"channel/c1", "sink/k1", "source/r1"}) {
		t.Fatalf("summary = %+v: a changed channel restarts its source and sink", s)
	}
	if got := h.agent.reg.Channel("c1", "memory").ChannelCapacity.Load(); got != 20000 {
		t.Errorf("ChannelCapacity = %d, want 20000", got)
	}
	dial(t, port).send("after")
	waitFor(t, "every event", func() bool { return len(h.col.got()) == 201 })
	if got := h.col.got(); !slices.Equal(got[:200], want) || got[200] != "after" {
		t.Fatal("events lost, duplicated or reordered across the channel's replacement")
	}
}

func TestReloadThatCannotBuildRestoresThePreviousConfiguration(t *testing.T) {
	port := testkit.FreePort(t)
	h := newHarness(t, flow(port, "", ""))
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := taken.Addr().(*net.TCPAddr).Port

	_, err = h.agent.Reload(h.load(flow(busy, "", "")))
	if err == nil {
		t.Fatal("Reload onto a port in use succeeded")
	}
	dial(t, port).send("still here")
	waitFor(t, "the event through the restored source", func() bool { return len(h.col.got()) == 1 })
	if err := h.agent.Health(); err != nil {
		t.Errorf("Health after a restored reload: %v", err)
	}
	// The next reload compares against what runs: the restored source is kept.
	if s := h.reload(flow(port, "", "")); s.Changed() {
		t.Errorf("summary after restore = %+v, want nothing changed", s)
	}
}

func TestReloadRestartsAFailedComponent(t *testing.T) {
	cfg := `agent "a1" {
  source "flaky" "r1" {
    channels = ["c1"]
  }
  channel "memory" "c1" {}
  sink "collect" "k1" {
    channel = "c1"
  }
}`
	h := newHarness(t, `agent "a1" {
  source "flaky" "r1" {
    channels = ["c1"]
    fail     = true
  }
  channel "memory" "c1" {}
  sink "collect" "k1" {
    channel = "c1"
  }
}`)
	waitFor(t, "the source to fail", func() bool { return h.agent.Health() != nil })
	s := h.reload(cfg)
	if !slices.Equal(s.Restarted, []string{"source/r1"}) {
		t.Fatalf("summary = %+v", s)
	}
	if err := h.agent.Health(); err != nil {
		t.Fatalf("Health after the reload: %v", err)
	}
	// A source that failed for a reason outside its config is restarted by a reload of the
	// same config.
	h.flaky = true
	h.reload(`agent "a1" {
  source "flaky" "r1" {
    channels = ["c1", "c2"]
  }
  channel "memory" "c1" {}
  channel "memory" "c2" {}
  sink "collect" "k1" {
    channel = "c1"
  }
  sink "collect" "k2" {
    channel = "c2"
  }
}`)
	waitFor(t, "the source to fail again", func() bool { return h.agent.Health() != nil })
	h.flaky = false
	s = h.reload(`agent "a1" {
  source "flaky" "r1" {
    channels = ["c1", "c2"]
  }
  channel "memory" "c1" {}
  channel "memory" "c2" {}
  sink "collect" "k1" {
    channel = "c1"
  }
  sink "collect" "k2" {
    channel = "c2"
  }
}`)
	if !slices.Equal(s.Restarted, []string{"source/r1"}) || h.agent.Health() != nil {
		t.Fatalf("summary = %+v, health %v", s, h.agent.Health())
	}
}

func TestReloadOfASinkGroup(t *testing.T) {
	port := testkit.FreePort(t)
	group := func(priority string) string {
		return flow(port, "", `sink "collect" "k2" {
    channel = "c1"
  }
  sink_group "g1" {
    sinks = ["k1", "k2"]
    processor "failover" {
      priority = { `+priority+` }
    }
  }`)
	}
	h := newHarness(t, group("k1 = 10, k2 = 5"))
	if s := h.reload(group("k1 = 10, k2 = 5")); s.Changed() {
		t.Fatalf("same group: %+v", s)
	}
	s := h.reload(group("k1 = 5, k2 = 10"))
	if !slices.Equal(s.Restarted, []string{"sink_group/g1"}) {
		t.Fatalf("changed processor: %+v", s)
	}
	s = h.reload(flow(port, "", ""))
	if !slices.Equal(s.Added, []string{"sink/k1"}) || !slices.Equal(s.Removed, []string{"sink_group/g1"}) {
		t.Fatalf("group dissolved: %+v", s)
	}
	dial(t, port).send("x")
	waitFor(t, "delivery by the lone sink", func() bool { return len(h.col.got()) == 1 })
}

func TestReloadOfTheMetricsListener(t *testing.T) {
	port := testkit.FreePort(t)
	withMetrics := func(addr string) string {
		return flow(port, "", fmt.Sprintf(`metrics {
    listen = %q
  }`, addr))
	}
	h := newHarness(t, withMetrics("127.0.0.1:0"))
	addr := h.agent.MetricsAddr()
	h.reload(withMetrics("127.0.0.1:0"))
	if got := h.agent.MetricsAddr(); got != addr {
		t.Fatalf("an unchanged metrics listener moved from %s to %s", addr, got)
	}
	next := fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t))
	h.reload(withMetrics(next))
	if got := h.agent.MetricsAddr(); got != next {
		t.Fatalf("MetricsAddr = %s, want %s", got, next)
	}
	resp, err := http.Get("http://" + next + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Errorf("the old metrics listener %s still answers", addr)
	}
	h.reload(flow(port, "", ""))
	if got := h.agent.MetricsAddr(); got != "" {
		t.Errorf("MetricsAddr after removing the metrics block = %q", got)
	}
}

func TestReloadRejectsARenamedAgentAndAStoppedOne(t *testing.T) {
	port := testkit.FreePort(t)
	h := newHarness(t, flow(port, "", ""))
	if _, err := h.agent.Reload(h.load(strings.Replace(flow(port, "", ""), `agent "a1"`, `agent "a2"`, 1))); err == nil {
		t.Error("a reload that renames the agent succeeded")
	}
	_ = h.agent.Stop(t.Context())
	if _, err := h.agent.Reload(h.load(flow(port, "", ""))); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Reload after Stop = %v, want ErrNotRunning", err)
	}
}

func TestReloadOfAChangedFileChannelKeepsWhatItHolds(t *testing.T) {
	port := testkit.FreePort(t)
	dir := t.TempDir()
	durable := func(capacity int, fail bool) string {
		return strings.Replace(strings.Replace(flow(port, fmt.Sprintf("fail = %v", fail), ""),
			`channel "memory" "c1" {`, fmt.Sprintf(`channel "file" "c1" {
    dir                    = %q
    minimum_required_space = 0`, dir), 1),
			"capacity             = 10000", fmt.Sprintf("capacity             = %d", capacity), 1)
	}
	h := newHarness(t, durable(10000, true))
	var want []string
	for i := range 50 {
		want = append(want, fmt.Sprintf("e%02d", i))
	}
	dial(t, port).send(want...)
	// The channel and the sink change: the failing sink cannot drain the channel within the
	// drain timeout, so the events stay on disk for the new channel on the same dir.
	s := h.reload(durable(20000, false))
	if !slices.Equal(s.Restarted, []string{"channel/c1", "sink/k1", "source/r1"}) {
		t.Fatalf("summary = %+v", s)
	}
	waitFor(t, "the events kept on disk to be delivered", func() bool { return len(h.col.got()) == 50 })
	if got := h.col.got(); !slices.Equal(got, want) {
		t.Fatalf("delivered %q", got)
	}
}

func TestReloadChangesTheInflightBudgetItsKeptSourcesShare(t *testing.T) {
	port := testkit.FreePort(t)
	h := newHarness(t, flow(port, "", ""))
	if got := h.agent.inflight.Limit(); got != config.DefaultMaxInflightBytes {
		t.Fatalf("budget %d, want the default %d", got, config.DefaultMaxInflightBytes)
	}
	src := h.agent.sources["r1"].src
	s := h.reload(flow(port, "", `max_inflight_bytes = "1MiB"`))
	if s.Changed() || h.agent.sources["r1"].src != src {
		t.Fatalf("changing max_inflight_bytes rebuilt components: %+v", s)
	}
	if got := h.agent.inflight.Limit(); got != 1<<20 {
		t.Fatalf("budget %d after the reload, want 1MiB", got)
	}
	c := dial(t, port)
	c.send("still", "flowing")
	waitFor(t, "two events delivered", func() bool { return len(h.col.got()) == 2 })
}
