package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/memory"
	"github.com/flumego/flumego/internal/testkit"
)

// picky is a sink that refuses for good the events whose body starts with "bad" (with an
// error naming the rest of the body up to its first digit, so bad-x1 and bad-y1 fail for
// different reasons) and delivers the others, recording them. With whole set it refuses the
// whole batch when any event is bad; with alsoDown it fails retryably as well.
type picky struct {
	flaky
	whole    bool
	alsoDown bool
}

func (p *picky) Write(ctx context.Context, events []channel.Event) error {
	byReason := map[string][]int{}
	var reasons []string
	var good []channel.Event
	for i, e := range events {
		b := string(e.Body)
		if !strings.HasPrefix(b, "bad") {
			good = append(good, e)
			continue
		}
		r := strings.TrimRight(b, "0123456789")
		if _, ok := byReason[r]; !ok {
			reasons = append(reasons, r)
		}
		byReason[r] = append(byReason[r], i)
	}
	if len(reasons) == 0 {
		return p.flaky.Write(ctx, events)
	}
	if p.whole {
		return fmt.Errorf("write: %w", Permanent(errors.New("batch holds "+reasons[0])))
	}
	var errs []error
	for _, r := range reasons {
		errs = append(errs, Permanent(errors.New("cannot deliver "+r), byReason[r]...))
	}
	if p.alsoDown {
		errs = append(errs, errDown)
	}
	if err := p.flaky.Write(ctx, good); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// bodiesOf returns the test's events: name + a number.
func bodiesOf(names ...string) []channel.Event {
	out := make([]channel.Event, len(names))
	for i, n := range names {
		out[i] = channel.Event{Headers: map[string]string{"n": fmt.Sprint(i)}, Body: []byte(n)}
	}
	return out
}

func newMemory(t *testing.T, capacity int) channel.Channel {
	t.Helper()
	ch, err := memory.New(&memory.Config{Capacity: capacity, TxCapacity: capacity, ByteCapacityBufferPercentage: 20, KeepAlive: 10 * time.Millisecond}, channel.Settings{Name: "dlq"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.Close(context.Background()) })
	return ch
}

// drainAll takes every event of ch, one transaction at a time.
func drainAll(t *testing.T, ch channel.Channel) []channel.Event {
	t.Helper()
	var out []channel.Event
	for {
		tx := ch.BeginTake()
		evs, err := tx.Take(100)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, evs...)
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
	}
}

func TestRunnerDropsRefusedEventsAndDeliversTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch, s, logs := &fifo{}, &picky{}, &logRecorder{}
		mem := member("k1", s)
		r := NewRunner(RunnerConfig{Name: "k1", Channel: ch, Sink: NewDefaultProcessor(mem, 10), BatchSize: 10, Metrics: mem.Metrics, Logger: logs.logger()})
		ch.put(t, bodiesOf("a", "bad1", "b", "c", "bad2")...)
		if _, err := r.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := s.delivered(); !slices.Equal(got, []string{"a", "b", "c"}) || len(ch.contents()) != 0 {
			t.Errorf("delivered %v, left %v; want a b c delivered once and nothing left", got, ch.contents())
		}
		checkCounters(t, mem.Metrics, map[string]int64{
			"EventDrainAttemptCount": 5, "EventDrainSuccessCount": 3, "EventWriteFail": 2,
			"EventDroppedCount": 2, "EventDeadLetterCount": 0,
		})
		if st := mem.Metrics.Health().State(time.Now(), time.Nanosecond); st.Failing() {
			t.Errorf("a write that delivered events left the sink failing: %+v", st)
		}

		// The same error again within a minute is not logged again; after a minute it is, with
		// the events it covered meanwhile.
		for range 3 {
			ch.put(t, bodiesOf("bad3")...)
			r.Drain(t.Context())
		}
		if n := logs.count(slog.LevelWarn, "refused for good"); n != 1 {
			t.Errorf("%d warnings for one distinct error, want 1:\n%v", n, logs.lines())
		}
		time.Sleep(time.Minute)
		ch.put(t, bodiesOf("bad4")...)
		r.Drain(t.Context())
		lines := logs.lines()
		if n := logs.count(slog.LevelWarn, "refused for good"); n != 2 || !strings.Contains(lines[len(lines)-1], "more_events_since_last_logged=3") {
			t.Errorf("after a minute: %d warnings, want 2, the last counting 3 events since:\n%v", n, lines)
		}
		if got := mem.Metrics.EventDroppedCount.Load(); got != 6 {
			t.Errorf("EventDroppedCount = %d, want 6", got)
		}
	})
}

func TestRunnerDeadLettersRefusedEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch, s, dlq := &fifo{}, &picky{}, newMemory(t, 100)
		mem := member("k1", s)
		mem.SetAside = SetAside{Policy: DeadLetter, Channel: dlq, ChannelName: "dlq"}
		r := NewRunner(RunnerConfig{Name: "k1", Channel: ch, Sink: NewDefaultProcessor(mem, 10), BatchSize: 10, Metrics: mem.Metrics})
		in := bodiesOf("a", "bad-x1", "b", "bad-y1", "bad-x2")
		ch.put(t, in...)
		if _, err := r.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := s.delivered(); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("delivered %v, want a b", got)
		}
		out := drainAll(t, dlq)
		if got := testkit.Bodies(out); !slices.Equal(got, []string{"bad-x1", "bad-y1", "bad-x2"}) {
			t.Fatalf("dead-letter channel holds %v, want the three refused events in order", got)
		}
		for i, want := range []string{"cannot deliver bad-x", "cannot deliver bad-y", "cannot deliver bad-x"} {
			h := out[i].Headers
			if h[HeaderDeadLetterSink] != "k1" || h[HeaderDeadLetterError] != want || h["n"] == "" {
				t.Errorf("dead letter %d headers = %v, want sink k1, error %q and its own headers", i, h, want)
			}
			if _, err := time.Parse(time.RFC3339, h[HeaderDeadLetterTime]); err != nil {
				t.Errorf("dead letter %d time %q: %v", i, h[HeaderDeadLetterTime], err)
			}
		}
		if _, ok := in[1].Headers[HeaderDeadLetterSink]; ok {
			t.Error("the original event's headers map was changed: it may be shared with another channel")
		}
		checkCounters(t, mem.Metrics, map[string]int64{"EventDeadLetterCount": 3, "EventDroppedCount": 0, "EventDrainSuccessCount": 2})
	})
}

func TestRunnerSetsAsideWholeBatchOnlyWhenTheSinkSaysSo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch, s, dlq := &fifo{}, &picky{whole: true}, newMemory(t, 100)
		mem := member("k1", s)
		mem.SetAside = SetAside{Policy: DeadLetter, Channel: dlq, ChannelName: "dlq"}
		r := NewRunner(RunnerConfig{Name: "k1", Channel: ch, Sink: NewDefaultProcessor(mem, 3), BatchSize: 3, Metrics: mem.Metrics})
		ch.put(t, bodiesOf("a", "bad1", "b", "c")...)
		if _, err := r.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got, dl := s.delivered(), testkit.Bodies(drainAll(t, dlq)); !slices.Equal(got, []string{"c"}) || !slices.Equal(dl, []string{"a", "bad1", "b"}) {
			t.Errorf("delivered %v, dead-lettered %v; want the whole first batch dead-lettered, c delivered", got, dl)
		}
		// A write that delivered nothing is a failure for the sink's health.
		if st := mem.Metrics.Health().State(time.Now(), time.Hour); st.Failures != 0 {
			t.Errorf("health %+v after a later write delivered", st)
		}
	})
}

func TestRunnerRetriesPermanentJoinedWithRetryable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch, s := &fifo{}, &picky{alsoDown: true}
		mem := member("k1", s)
		r := NewRunner(RunnerConfig{Name: "k1", Channel: ch, Sink: NewDefaultProcessor(mem, 10), BatchSize: 10, Metrics: mem.Metrics,
			MinBackoff: time.Second, MaxBackoff: time.Second})
		ch.put(t, bodiesOf("a", "bad1")...)
		ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
		defer cancel()
		if _, err := r.Drain(ctx); !errors.Is(err, errDown) {
			t.Fatalf("Drain = %v, want the retryable failure", err)
		}
		if got := ch.contents(); !slices.Equal(got, []string{"a", "bad1"}) || mem.Metrics.EventDroppedCount.Load() != 0 {
			t.Errorf("channel holds %v, dropped %d; want the batch rolled back whole, nothing set aside", got, mem.Metrics.EventDroppedCount.Load())
		}
	})
}

func TestRunnerHoldsTheBatchWhileTheDeadLetterChannelIsFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch, s, dlq := &fifo{}, &picky{}, newMemory(t, 2)
		channel.PutBatch(t.Context(), dlq, bodiesOf("old1", "old2")) // full
		mem := member("k1", s)
		mem.SetAside = SetAside{Policy: DeadLetter, Channel: dlq, ChannelName: "dlq"}
		logs := &logRecorder{}
		r := NewRunner(RunnerConfig{Name: "k1", Channel: ch, Sink: NewDefaultProcessor(mem, 10), BatchSize: 10, Metrics: mem.Metrics,
			Logger: logs.logger(), MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
		ch.put(t, bodiesOf("a", "bad1")...)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()

		time.Sleep(5 * time.Second)
		synctest.Wait()
		if got := s.delivered(); !slices.Equal(got, []string{"a"}) {
			t.Errorf("delivered %v while the dead-letter channel was full, want a once (the take is held, not retried)", got)
		}
		fails := mem.Metrics.DeadLetterPutFail.Load()
		st := mem.Metrics.Health().State(time.Now(), 4*time.Second)
		if fails < 5 || st.Healthy || !strings.Contains(st.LastError, `dead-letter channel "dlq"`) {
			t.Errorf("DeadLetterPutFail = %d, health %+v; want refusals counted and the sink unhealthy", fails, st)
		}
		if mem.Metrics.EventDeadLetterCount.Load() != 0 {
			t.Error("EventDeadLetterCount grew before the put committed")
		}

		if got := testkit.Bodies(drainAll(t, dlq)); !slices.Equal(got, []string{"old1", "old2"}) {
			t.Fatalf("dead-letter channel held %v", got)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		cancel()
		<-done
		if got := testkit.Bodies(drainAll(t, dlq)); !slices.Equal(got, []string{"bad1"}) || len(ch.contents()) != 0 {
			t.Errorf("dead-letter channel holds %v, channel %v; want bad1 set aside and the take committed", got, ch.contents())
		}
		if st := mem.Metrics.Health().State(time.Now(), time.Second); st.Failing() {
			t.Errorf("health %+v after the dead-letter put committed", st)
		}
		if logs.count(slog.LevelWarn, "dead-letter channel refuses") != 1 || logs.count(slog.LevelInfo, "takes events again") != 1 {
			t.Errorf("want one warning and one recovery line:\n%v", logs.lines())
		}
	})
}

func TestGroupPassesRefusalsToTheRunnerWithTheMembersPolicy(t *testing.T) {
	for _, tt := range []struct {
		factory ProcessorFactory
		src     string
	}{
		{NewFailoverFactory(), `priority = { k1 = 10, k2 = 5 }`},
		{NewLoadBalanceFactory(), "backoff = true"},
	} {
		t.Run(tt.factory.Type(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				k1, k2 := &picky{}, &picky{}
				dlq := newMemory(t, 100)
				m1, m2 := member("k1", k1), member("k2", k2)
				m1.SetAside = SetAside{Policy: DeadLetter, Channel: dlq, ChannelName: "dlq"}
				p := newProcessor(t, tt.factory, tt.src, []Member{m1, m2})
				ch := &fifo{}
				r := NewRunner(RunnerConfig{Name: "g1", Channel: ch, Sink: p, BatchSize: 10, Metrics: m1.Metrics})
				for range 4 { // round robin alternates the members
					ch.put(t, bodiesOf("a", "bad1")...)
					if _, err := r.Drain(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
				d1, d2 := k1.delivered(), k2.delivered()
				if len(d1)+len(d2) != 4 || slices.Contains(d1, "bad1") || slices.Contains(d2, "bad1") {
					t.Errorf("delivered k1 %v, k2 %v; want each good event once, no bad one", d1, d2)
				}
				if tt.factory.Type() == "failover" && len(d2) != 0 {
					t.Errorf("failover sent %v to k2: a refusal is not k1's failure", d2)
				}
				dl := m1.Metrics.EventDeadLetterCount.Load()
				dropped := m2.Metrics.EventDroppedCount.Load()
				if dl != int64(len(d1)) || dropped != int64(len(d2)) || len(drainAll(t, dlq)) != len(d1) {
					t.Errorf("k1 dead-lettered %d, k2 dropped %d; want each member's own policy for the batches it refused", dl, dropped)
				}
			})
		})
	}
}
