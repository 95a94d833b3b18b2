package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/memory"
	"github.com/flumego/flumego/interceptor"
	"github.com/flumego/flumego/metrics"
)

// flow is a source's processor with its channels and metrics, as the agent assembles it.
type flow struct {
	p        Processor
	channels map[string]channel.Channel
	m        *metrics.Source
	logs     *syncBuffer
}

type chanSpec struct {
	name      string
	capacity  int
	txCap     int
	keepAlive time.Duration
}

// memChan returns a memory channel; keep_alive 0 makes a full channel refuse a put at once.
func memChan(t testing.TB, s chanSpec) channel.Channel {
	t.Helper()
	if s.txCap == 0 {
		s.txCap = s.capacity
	}
	ch, err := memory.New(&memory.Config{Capacity: s.capacity, TxCapacity: s.txCap, ByteCapacityBufferPercentage: 20, KeepAlive: s.keepAlive},
		channel.Settings{Name: s.name, Type: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.Close(context.Background()) })
	return ch
}

func newFlow(t testing.TB, specs []chanSpec, sel interceptor.Selector, ics ...interceptor.Interceptor) *flow {
	t.Helper()
	f := &flow{channels: map[string]channel.Channel{}, m: metrics.NewRegistry("a1").Source("r1", "netcat"), logs: &syncBuffer{}}
	cfg := ProcessorConfig{Interceptors: ics, Selector: sel, Metrics: f.m,
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, s := range specs {
		ch := memChan(t, s)
		f.channels[s.name] = ch
		cfg.Channels = append(cfg.Channels, ch)
		cfg.ChannelNames = append(cfg.ChannelNames, s.name)
	}
	f.p = NewProcessor(cfg)
	return f
}

// drain takes and commits everything a channel holds.
func drain(t testing.TB, ch channel.Channel) []channel.Event {
	t.Helper()
	var out []channel.Event
	for {
		tx := ch.BeginTake()
		got, err := tx.Take(1000)
		if err != nil && !errors.Is(err, channel.ErrTxFull) {
			t.Fatal(err)
		}
		for _, e := range got {
			out = append(out, channel.Event{Headers: e.Headers, Body: slices.Clone(e.Body)})
		}
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			return out
		}
	}
}

// fill puts n placeholder events into ch, so that it is full.
func fill(t testing.TB, ch channel.Channel, n int) {
	t.Helper()
	if err := channel.PutBatch(context.Background(), ch, batch(fmt.Sprintf("old%%d"), n)); err != nil {
		t.Fatal(err)
	}
}

// batch returns n events whose bodies are format with their index.
func batch(format string, n int) []channel.Event {
	out := make([]channel.Event, n)
	for i := range out {
		out[i].Body = fmt.Appendf(nil, format, i)
	}
	return out
}

func events(bodies ...string) []channel.Event {
	out := make([]channel.Event, len(bodies))
	for i, b := range bodies {
		out[i].Body = []byte(b)
	}
	return out
}

func bodiesOf(events []channel.Event) []string {
	out := []string{}
	for _, e := range events {
		out = append(out, string(e.Body))
	}
	return out
}

type counts struct {
	received, accepted, batchesReceived, batchesAccepted, writeFail, unrouted int64
}

func (f *flow) counts() counts {
	return counts{
		received:        f.m.EventReceivedCount.Load(),
		accepted:        f.m.EventAcceptedCount.Load(),
		batchesReceived: f.m.AppendBatchReceivedCount.Load(),
		batchesAccepted: f.m.AppendBatchAcceptedCount.Load(),
		writeFail:       f.m.ChannelWriteFail.Load(),
		unrouted:        f.m.Component.Counter("EventUnroutedCount").Load(),
	}
}

// syncBuffer is a log destination safe for the processor's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) count(substr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), substr)
}

// decodeHCL builds an interceptor or selector config from an HCL body, as the config stage does.
func decodeHCL(t testing.TB, f interface {
	Decode(hcl.Body, *hcl.EvalContext, string, hcl.Range) (any, hcl.Diagnostics)
}, src string) any {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(src), "flume.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg, diags := f.Decode(file.Body, nil, "test", hcl.Range{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

func TestProcessReplicatesToEveryChannel(t *testing.T) {
	two := []chanSpec{{name: "c1", capacity: 100}, {name: "c2", capacity: 100}}
	replicating, err := interceptor.NewReplicating(&interceptor.ReplicatingConfig{}, interceptor.SelectorSettings{Channels: []string{"c1", "c2"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, sel := range map[string]interceptor.Selector{"no selector": nil, "replicating selector": replicating} {
		t.Run(name, func(t *testing.T) {
			f := newFlow(t, two, sel)
			ctx := context.Background()
			if err := f.p.Process(ctx, events("a", "b", "c")); err != nil {
				t.Fatal(err)
			}
			if err := f.p.Deliver(ctx, events("d")); err != nil {
				t.Fatal(err)
			}
			want := []string{"a", "b", "c", "d"}
			for _, c := range []string{"c1", "c2"} {
				if got := bodiesOf(drain(t, f.channels[c])); !slices.Equal(got, want) {
					t.Errorf("%s holds %q, want %q", c, got, want)
				}
			}
			if got, want := f.counts(), (counts{received: 4, accepted: 4, batchesReceived: 2, batchesAccepted: 2}); got != want {
				t.Errorf("metrics = %+v, want %+v", got, want)
			}
		})
	}
}

func TestOptionalChannelFailureIsOnlyCounted(t *testing.T) {
	sel, err := interceptor.NewReplicating(&interceptor.ReplicatingConfig{Optional: []string{"c2"}}, interceptor.SelectorSettings{Channels: []string{"c1", "c2"}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFlow(t, []chanSpec{{name: "c1", capacity: 100}, {name: "c2", capacity: 2}}, sel)
	fill(t, f.channels["c2"], 2)
	ctx := context.Background()
	for i := range 3 {
		if err := f.p.Process(ctx, events(fmt.Sprint("p", i))); err != nil {
			t.Fatalf("Process with a full optional channel: %v", err)
		}
	}
	if err := f.p.Deliver(ctx, events("d")); err != nil {
		t.Fatalf("Deliver with a full optional channel: %v", err)
	}
	if got, want := f.counts(), (counts{received: 4, accepted: 4, batchesReceived: 4, batchesAccepted: 4, writeFail: 4}); got != want {
		t.Errorf("metrics = %+v, want %+v", got, want)
	}
	if n := f.logs.count("optional channel refused events"); n != 1 {
		t.Errorf("a streak of refusals was logged %d times, want once:\n%s", n, f.logs.b.String())
	}
	if got := bodiesOf(drain(t, f.channels["c1"])); !slices.Equal(got, []string{"p0", "p1", "p2", "d"}) {
		t.Errorf("c1 holds %q", got)
	}
	drain(t, f.channels["c2"])
	if err := f.p.Process(ctx, events("after")); err != nil {
		t.Fatal(err)
	}
	if got := bodiesOf(drain(t, f.channels["c2"])); !slices.Equal(got, []string{"after"}) {
		t.Errorf("c2 holds %q after room was made, want [after]", got)
	}
	if n := f.logs.count("channel accepts events again"); n != 1 {
		t.Errorf("the end of the streak was logged %d times, want once", n)
	}
}

func TestProcessRequiredChannelFull(t *testing.T) {
	f := newFlow(t, []chanSpec{{name: "c1", capacity: 100}, {name: "c2", capacity: 2}}, nil)
	fill(t, f.channels["c2"], 2)
	err := f.p.Process(context.Background(), events("a", "b"))
	if !errors.Is(err, channel.ErrFull) || !strings.Contains(err.Error(), `channel "c2"`) {
		t.Fatalf("err = %v, want ErrFull naming channel c2", err)
	}
	if got, want := f.counts(), (counts{received: 2, batchesReceived: 1, writeFail: 1}); got != want {
		t.Errorf("metrics = %+v, want %+v", got, want)
	}
	// One attempt: c1, before c2, already committed; a client retrying will duplicate there.
	if got := bodiesOf(drain(t, f.channels["c1"])); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("c1 holds %q", got)
	}
}

// TestMultiplexingByContent is DESIGN §3's netcat source end to end through the processor: the
// regex_header interceptor labels lines as number or letter, the multiplexing selector routes
// numbers to c2 and letters (and anything else) to durable.
func TestMultiplexingByContent(t *testing.T) {
	icCfg := decodeHCL(t, interceptor.NewRegexHeaderFactory(), `
		header = "type"
		rule "number" { regex = "^[0-9]" }
		rule "letter" { regex = "^[A-Za-z]" }
	`)
	ic, err := interceptor.NewRegexHeaderFactory().Create(icCfg, interceptor.Settings{Source: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	selCfg := decodeHCL(t, interceptor.NewMultiplexingFactory(), `
		header  = "type"
		mapping = { letter = ["durable"], number = ["c2"] }
		default = ["durable"]
	`)
	sel, err := interceptor.NewMultiplexingFactory().Create(selCfg, interceptor.SelectorSettings{Source: "r1", Channels: []string{"durable", "c2"}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFlow(t, []chanSpec{{name: "durable", capacity: 100}, {name: "c2", capacity: 100}}, sel, ic)
	ctx := context.Background()
	if err := f.p.Deliver(ctx, events("1 apple", "banana", "22 pears", "-- note", "Cherry", "3")); err != nil {
		t.Fatal(err)
	}
	// A batch of one kind takes the fast path; it must land in the same place.
	if err := f.p.Process(ctx, events("4", "5")); err != nil {
		t.Fatal(err)
	}
	durable := drain(t, f.channels["durable"])
	if got, want := bodiesOf(durable), []string{"banana", "-- note", "Cherry"}; !slices.Equal(got, want) {
		t.Errorf("durable holds %q, want %q", got, want)
	}
	if got, want := bodiesOf(drain(t, f.channels["c2"])), []string{"1 apple", "22 pears", "3", "4", "5"}; !slices.Equal(got, want) {
		t.Errorf("c2 holds %q, want %q", got, want)
	}
	if durable[0].Headers["type"] != "letter" || durable[1].Headers != nil {
		t.Errorf("durable headers = %v, %v; want type=letter, then none", durable[0].Headers, durable[1].Headers)
	}
	if got, want := f.counts(), (counts{received: 8, accepted: 8, batchesReceived: 2, batchesAccepted: 2}); got != want {
		t.Errorf("metrics = %+v, want %+v", got, want)
	}
}

// TestUnroutedEventsAreCounted: netcat-interceptor-multiplexing.conf has no default; an event
// whose header matches no mapping goes nowhere and is counted.
func TestUnroutedEventsAreCounted(t *testing.T) {
	sel, err := interceptor.NewMultiplexing(&interceptor.MultiplexingConfig{Header: "type",
		Mapping: map[string][]string{"first": {"c1"}, "second": {"c2"}}}, interceptor.SelectorSettings{Channels: []string{"c1", "c2"}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFlow(t, []chanSpec{{name: "c1", capacity: 100}, {name: "c2", capacity: 100}}, sel)
	ev := func(body, typ string) channel.Event {
		e := channel.Event{Body: []byte(body)}
		if typ != "" {
			e.SetHeader("type", typ)
		}
		return e
	}
	ctx := context.Background()
	if err := f.p.Process(ctx, []channel.Event{ev("a", "first"), ev("b", "third"), ev("c", ""), ev("d", "second")}); err != nil {
		t.Fatal(err)
	}
	if err := f.p.Process(ctx, []channel.Event{ev("e", "fourth"), ev("f", "fourth")}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.counts(), (counts{received: 6, accepted: 6, batchesReceived: 2, batchesAccepted: 2, unrouted: 4}); got != want {
		t.Errorf("metrics = %+v, want %+v", got, want)
	}
	if got := bodiesOf(drain(t, f.channels["c1"])); !slices.Equal(got, []string{"a"}) {
		t.Errorf("c1 holds %q", got)
	}
	if got := bodiesOf(drain(t, f.channels["c2"])); !slices.Equal(got, []string{"d"}) {
		t.Errorf("c2 holds %q", got)
	}
}

func TestPerValueOptionalChannels(t *testing.T) {
	chans := []string{"c1", "c2", "c3"}
	sel, err := interceptor.NewMultiplexing(&interceptor.MultiplexingConfig{Header: "type",
		Mapping: map[string][]string{"a": {"c1"}, "b": {"c2"}}, Default: []string{"c1"},
		Optional: map[string][]string{"a": {"c3"}}}, interceptor.SelectorSettings{Channels: chans})
	if err != nil {
		t.Fatal(err)
	}
	f := newFlow(t, []chanSpec{{name: "c1", capacity: 100}, {name: "c2", capacity: 100}, {name: "c3", capacity: 1}}, sel)
	fill(t, f.channels["c3"], 1)
	in := events("a1", "b1", "a2")
	for i, typ := range []string{"a", "b", "a"} {
		in[i].SetHeader("type", typ)
	}
	if err := f.p.Process(context.Background(), in); err != nil {
		t.Fatalf("a full optional channel failed the batch: %v", err)
	}
	if got := bodiesOf(drain(t, f.channels["c1"])); !slices.Equal(got, []string{"a1", "a2"}) {
		t.Errorf("c1 holds %q", got)
	}
	if got := bodiesOf(drain(t, f.channels["c2"])); !slices.Equal(got, []string{"b1"}) {
		t.Errorf("c2 holds %q", got)
	}
	if got, want := f.counts(), (counts{received: 3, accepted: 3, batchesReceived: 1, batchesAccepted: 1, writeFail: 1}); got != want {
		t.Errorf("metrics = %+v, want %+v", got, want)
	}
}

func TestInterceptorsRunOnceInOrder(t *testing.T) {
	static, err := interceptor.NewStatic(&interceptor.StaticConfig{Key: "env", Value: "prod"}, interceptor.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	filter, err := interceptor.NewRegexFilter(&interceptor.RegexFilterConfig{Regex: "^DEBUG", ExcludeEvents: true}, interceptor.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	counter := interceptorFunc(func(evs []channel.Event) []channel.Event { calls++; return evs })
	f := newFlow(t, []chanSpec{{name: "c1", capacity: 100}}, nil, counter, filter, static)
	if err := f.p.Deliver(context.Background(), events("DEBUG a", "INFO b", "DEBUG c")); err != nil {
		t.Fatal(err)
	}
	if err := f.p.Deliver(context.Background(), events("DEBUG only")); err != nil {
		t.Fatal(err)
	}
	got := drain(t, f.channels["c1"])
	if len(got) != 1 || string(got[0].Body) != "INFO b" || got[0].Headers["env"] != "prod" {
		t.Errorf("c1 holds %v, want one INFO b with env=prod", got)
	}
	if calls != 2 {
		t.Errorf("interceptors ran %d times for 2 batches", calls)
	}
	// Flume counts a batch as accepted even when interceptors dropped some of its events.
	if got, want := f.counts(), (counts{received: 4, accepted: 4, batchesReceived: 2, batchesAccepted: 2}); got != want {
		t.Errorf("metrics = %+v, want %+v", got, want)
	}
}

type interceptorFunc func([]channel.Event) []channel.Event

func (f interceptorFunc) Intercept(evs []channel.Event) []channel.Event { return f(evs) }

// TestDeliverRetriesOnlyTheRefusingChannel: c2 is full; Deliver commits to c1 once, keeps
// retrying c2 with back-off, and finishes when a sink makes room — without putting the batch
// into c1 again.
func TestDeliverRetriesOnlyTheRefusingChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFlow(t, []chanSpec{{name: "c1", capacity: 100}, {name: "c2", capacity: 4}}, nil)
		fill(t, f.channels["c2"], 4)
		done := make(chan error, 1)
		go func() { done <- f.p.Deliver(context.Background(), events("x", "y")) }()

		time.Sleep(3 * time.Second) // 10ms, 20ms ... 1s: several attempts
		synctest.Wait()
		attempts := f.counts().writeFail
		if attempts < 5 {
			t.Errorf("c2 was tried %d times in 3s, want several", attempts)
		}
		if n := f.logs.count("channel refused events; retrying"); n != 1 {
			t.Errorf("the refusals were logged %d times, want once", n)
		}
		select {
		case err := <-done:
			t.Fatalf("Deliver returned %v while c2 was full", err)
		default:
		}

		tx := f.channels["c2"].BeginTake() // a sink takes two events
		if got, err := tx.Take(2); err != nil || len(got) != 2 {
			t.Fatalf("take: %d events, %v", len(got), err)
		}
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		if got := bodiesOf(drain(t, f.channels["c1"])); !slices.Equal(got, []string{"x", "y"}) {
			t.Errorf("c1 holds %q, want the batch once", got)
		}
		if got := bodiesOf(drain(t, f.channels["c2"])); !slices.Equal(got, []string{"old2", "old3", "x", "y"}) {
			t.Errorf("c2 holds %q", got)
		}
		if got, want := f.counts(), (counts{received: 2, accepted: 2, batchesReceived: 1, batchesAccepted: 1, writeFail: attempts}); got.received != want.received ||
			got.accepted != want.accepted || got.batchesReceived != want.batchesReceived || got.batchesAccepted != want.batchesAccepted {
			t.Errorf("metrics = %+v: a retried batch must be counted once", got)
		}
		if n := f.logs.count("channel accepts events again"); n != 1 {
			t.Errorf("recovery logged %d times, want once", n)
		}
	})
}

func TestDeliverReturnsWhenCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFlow(t, []chanSpec{{name: "c1", capacity: 1}}, nil)
		fill(t, f.channels["c1"], 1)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- f.p.Deliver(ctx, events("x")) }()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Deliver = %v, want context.Canceled", err)
		}
		c := f.counts()
		if c.accepted != 0 || c.batchesAccepted != 0 || c.batchesReceived != 1 || c.received != 1 {
			t.Errorf("metrics = %+v: want the batch received once and not accepted", c)
		}
		if got := bodiesOf(drain(t, f.channels["c1"])); !slices.Equal(got, []string{"old0"}) {
			t.Errorf("c1 holds %q", got)
		}
	})
}

// TestDeliverWaitsInsideTheChannel: with keep_alive, the channel's commit itself waits for room,
// and ctx ends that wait too.
func TestDeliverWaitsInsideTheChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFlow(t, []chanSpec{{name: "c1", capacity: 1, keepAlive: time.Hour}}, nil)
		fill(t, f.channels["c1"], 1)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := f.p.Deliver(ctx, events("x"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Deliver = %v, want context.DeadlineExceeded", err)
		}
		if c := f.counts(); c.writeFail != 0 {
			t.Errorf("ChannelWriteFail = %d: a put ended by shutdown is not the channel's failure", c.writeFail)
		}
	})
}

func TestDeliverTxFullIsPermanent(t *testing.T) {
	f := newFlow(t, []chanSpec{{name: "c1", capacity: 100, txCap: 2}}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := f.p.Deliver(ctx, events("a", "b", "c"))
	if !errors.Is(err, channel.ErrTxFull) || !strings.Contains(err.Error(), `channel "c1"`) {
		t.Fatalf("Deliver = %v, want ErrTxFull naming c1 at once", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Deliver retried a batch that can never fit")
	}
}

// TestDeliverSplitsABatchAboveTheTransactionCapacity: a batch larger than the channel's
// transaction capacity goes in transactions that fit, and a retry resumes after the last one
// committed, so nothing is put twice.
func TestDeliverSplitsABatchAboveTheTransactionCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := memChan(t, chanSpec{name: "c1", capacity: 5, txCap: 2})
		m := metrics.NewRegistry("a1").Source("r1", "taildir")
		p := NewProcessor(ProcessorConfig{Channels: []channel.Channel{ch}, ChannelNames: []string{"c1"}, TxCapacities: []int{2}, Metrics: m})
		done := make(chan error, 1)
		go func() { done <- p.Deliver(context.Background(), events("a", "b", "c", "d", "e", "f", "g")) }()
		time.Sleep(time.Second) // a, b and c, d fit; e, f wait for room
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Deliver returned %v with the channel full", err)
		default:
		}
		got := bodiesOf(drain(t, ch))
		if err := <-done; err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		got = append(got, bodiesOf(drain(t, ch))...)
		if want := []string{"a", "b", "c", "d", "e", "f", "g"}; !slices.Equal(got, want) {
			t.Fatalf("the channel received %q, want %q once each", got, want)
		}
		if m.EventAcceptedCount.Load() != 7 || m.AppendBatchAcceptedCount.Load() != 1 {
			t.Errorf("accepted %d events in %d batches, want 7 in 1", m.EventAcceptedCount.Load(), m.AppendBatchAcceptedCount.Load())
		}
		// Process answers for the whole batch: it never splits.
		if err := p.Process(context.Background(), events("x", "y", "z")); !TooLarge(err) {
			t.Errorf("Process of 3 events into a transaction of 2 = %v, want a permanent ErrTxFull", err)
		}
	})
}

func TestEmptyBatch(t *testing.T) {
	f := newFlow(t, []chanSpec{{name: "c1", capacity: 1}}, nil)
	if err := f.p.Deliver(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got, want := f.counts(), (counts{batchesReceived: 1, batchesAccepted: 1}); got != want {
		t.Errorf("metrics = %+v, want %+v", got, want)
	}
}

// TestConcurrentProcess: sources with a goroutine per connection share one processor.
func TestConcurrentProcess(t *testing.T) {
	sel, err := interceptor.NewMultiplexing(&interceptor.MultiplexingConfig{Header: "type",
		Mapping: map[string][]string{"odd": {"c1"}}, Default: []string{"c2"}}, interceptor.SelectorSettings{Channels: []string{"c1", "c2"}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFlow(t, []chanSpec{{name: "c1", capacity: 10000}, {name: "c2", capacity: 10000}}, sel)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for b := range 50 {
				in := batch(fmt.Sprintf("g%d-b%d-%%d", g, b), 10)
				for i := range in {
					if i%2 == 1 {
						in[i].SetHeader("type", "odd")
					}
				}
				if err := f.p.Deliver(context.Background(), in); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	c1, c2 := drain(t, f.channels["c1"]), drain(t, f.channels["c2"])
	if len(c1) != 2000 || len(c2) != 2000 {
		t.Errorf("c1 holds %d and c2 %d events, want 2000 each", len(c1), len(c2))
	}
	for _, e := range c1 {
		if e.Headers["type"] != "odd" {
			t.Fatalf("c1 holds %q without type=odd", e.Body)
		}
	}
}

// nullChannel accepts and forgets every put, so benchmarks measure the processor alone.
type nullChannel struct{}

type nullPut struct{ *nullChannel }

func (c *nullChannel) BeginPut() channel.PutTx     { return nullPut{c} }
func (c *nullChannel) BeginTake() channel.TakeTx   { panic("not used") }
func (c *nullChannel) Ready() <-chan struct{}      { return nil }
func (c *nullChannel) Close(context.Context) error { return nil }
func (nullPut) Put(...channel.Event) error         { return nil }
func (nullPut) Commit(context.Context) error       { return nil }
func (nullPut) Rollback()                          {}

// BenchmarkProcess measures the processor's own cost per batch, into channels that forget, and
// with a memory channel drained after every batch (the seq → memory → null flow).
func BenchmarkProcess(b *testing.B) {
	const size = 1000
	mux, err := interceptor.NewMultiplexing(&interceptor.MultiplexingConfig{Header: "type",
		Mapping: map[string][]string{"a": {"c1"}, "b": {"c2"}}}, interceptor.SelectorSettings{Channels: []string{"c1", "c2"}})
	if err != nil {
		b.Fatal(err)
	}
	repl, err := interceptor.NewReplicating(&interceptor.ReplicatingConfig{}, interceptor.SelectorSettings{Channels: []string{"c1", "c2"}})
	if err != nil {
		b.Fatal(err)
	}
	in := batch("event body number %d of the benchmark", size)
	mixed := batch("event body number %d of the benchmark", size)
	for i := range mixed {
		mixed[i].SetHeader("type", string(rune('a'+i%2)))
	}
	run := func(b *testing.B, p Processor, src []channel.Event, after func()) {
		work := make([]channel.Event, len(src))
		b.ReportAllocs()
		for b.Loop() {
			copy(work, src)
			if err := p.Process(context.Background(), work); err != nil {
				b.Fatal(err)
			}
			if after != nil {
				after()
			}
		}
		b.ReportMetric(float64(b.N)*size/b.Elapsed().Seconds(), "events/s")
	}
	nulls := func(n int) ProcessorConfig {
		cfg := ProcessorConfig{}
		for i := range n {
			cfg.Channels = append(cfg.Channels, &nullChannel{})
			cfg.ChannelNames = append(cfg.ChannelNames, fmt.Sprint("c", i+1))
		}
		return cfg
	}
	b.Run(fmt.Sprintf("null/no-selector/channels=1/batch=%d", size), func(b *testing.B) {
		run(b, NewProcessor(nulls(1)), in, nil)
	})
	b.Run(fmt.Sprintf("null/replicating/channels=2/batch=%d", size), func(b *testing.B) {
		cfg := nulls(2)
		cfg.Selector = repl
		run(b, NewProcessor(cfg), in, nil)
	})
	b.Run(fmt.Sprintf("null/multiplexing-mixed/channels=2/batch=%d", size), func(b *testing.B) {
		cfg := nulls(2)
		cfg.Selector = mux
		run(b, NewProcessor(cfg), mixed, nil)
	})
	b.Run(fmt.Sprintf("memory/no-selector/channels=1/batch=%d", size), func(b *testing.B) {
		ch := memChan(b, chanSpec{name: "c1", capacity: 10 * size, txCap: size})
		p := NewProcessor(ProcessorConfig{Channels: []channel.Channel{ch}, ChannelNames: []string{"c1"}})
		run(b, p, in, func() {
			tx := ch.BeginTake()
			if got, err := tx.Take(size); err != nil || len(got) != size {
				b.Fatalf("take: %d, %v", len(got), err)
			}
			tx.Commit(context.Background())
		})
	})
}

// TestRefusedPutsFeedTheSourcesHealth: a required channel refusing puts starts a failure
// streak on the source's health, an optional one does not, and a put that commits ends it.
func TestRefusedPutsFeedTheSourcesHealth(t *testing.T) {
	sel, err := interceptor.NewReplicating(&interceptor.ReplicatingConfig{Optional: []string{"opt"}},
		interceptor.SelectorSettings{Channels: []string{"c1", "opt"}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFlow(t, []chanSpec{{name: "c1", capacity: 2}, {name: "opt", capacity: 1}}, sel)
	fill(t, f.channels["opt"], 1)
	state := func() metrics.HealthState { return f.m.Health().State(time.Now(), time.Hour) }
	if err := f.p.Process(context.Background(), events("a")); err != nil || state().Failing() {
		t.Fatalf("Process = %v, health %+v: a full optional channel is not the source's failure", err, state())
	}
	fill(t, f.channels["c1"], 1)
	if err := f.p.Process(context.Background(), events("b")); err == nil {
		t.Fatal("Process into a full required channel succeeded")
	}
	if st := state(); st.Failures != 1 || !strings.Contains(st.LastError, `channel "c1"`) {
		t.Errorf("health %+v, want one failure naming c1", st)
	}
	drain(t, f.channels["c1"])
	if err := f.p.Process(context.Background(), events("c")); err != nil || state().Failing() {
		t.Errorf("Process = %v, health %+v after room was made", err, state())
	}
}

// TestAPanickingInterceptorDropsOnlyTheEventsItPanicsOn: a bug in a custom interceptor costs
// the events it cannot handle, counted, not the batch and not the agent.
func TestAPanickingInterceptorDropsOnlyTheEventsItPanicsOn(t *testing.T) {
	boom := interceptorFunc(func(evs []channel.Event) []channel.Event {
		for _, e := range evs {
			if string(e.Body) == "boom" {
				panic("a bug in a custom interceptor")
			}
		}
		return evs
	})
	f := newFlow(t, []chanSpec{{name: "c1", capacity: 100}}, nil, boom)
	if err := f.p.Process(context.Background(), events("a", "boom", "c")); err != nil {
		t.Fatal(err)
	}
	if got := bodiesOf(drain(t, f.channels["c1"])); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("c1 holds %q, want a and c", got)
	}
	if n := f.m.GenericProcessingFail.Load(); n != 1 {
		t.Errorf("GenericProcessingFail = %d, want 1", n)
	}
}
