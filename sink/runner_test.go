package sink

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/memory"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/metrics"
)

// runnerFixture is a runner over a fifo channel and a flaky lone sink.
type runnerFixture struct {
	ch   *fifo
	sink *flaky
	m    *metrics.Sink
	logs *logRecorder
	r    *Runner
}

func newRunnerFixture(batch int, min, max time.Duration) *runnerFixture {
	f := &runnerFixture{ch: &fifo{}, sink: &flaky{}, logs: &logRecorder{}}
	mem := member("k1", f.sink)
	f.m = mem.Metrics
	f.r = NewRunner(RunnerConfig{
		Name: "k1", Channel: f.ch, Sink: NewDefaultProcessor(mem, batch), BatchSize: batch,
		Metrics: f.m, Logger: f.logs.logger(), MinBackoff: min, MaxBackoff: max,
	})
	return f
}

// start runs the runner until the returned stop is called; stop waits for Run to return.
func (f *runnerFixture) start(t *testing.T) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.r.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v, want nil on cancel", err)
		}
	}
}

func TestRunnerCommitsDeliveredBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newRunnerFixture(10, 0, 0)
		f.ch.put(t, numbered(0, 25)...)
		stop := f.start(t)
		synctest.Wait()
		stop()

		if got, want := f.sink.delivered(), numberedBodies(0, 25); !slices.Equal(got, want) {
			t.Errorf("delivered %v, want %v", got, want)
		}
		if got := f.ch.contents(); len(got) != 0 {
			t.Errorf("channel still holds %v after commits", got)
		}
		checkCounters(t, f.m, map[string]int64{
			"EventDrainAttemptCount": 25, "EventDrainSuccessCount": 25, "EventWriteFail": 0,
			"BatchCompleteCount": 2, "BatchUnderflowCount": 1, "ChannelReadFail": 0,
		})
		if f.m.BatchEmptyCount.Load() == 0 {
			t.Error("BatchEmptyCount = 0 after the runner found the channel empty")
		}
	})
}

func TestRunnerRollsBackAndRetriesFailedWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newRunnerFixture(10, 10*time.Millisecond, time.Second)
		f.sink.failNext = 3
		f.ch.put(t, numbered(0, 25)...)
		stop := f.start(t)
		time.Sleep(time.Second)
		synctest.Wait()
		stop()

		if got, want := f.sink.delivered(), numberedBodies(0, 25); !slices.Equal(got, want) {
			t.Errorf("delivered %v, want every event once and in order %v", got, want)
		}
		// The failed writes were retried after 10ms, 20ms and 40ms, each jittered to [half, all].
		at := f.sink.attemptTimes()
		if len(at) < 4 {
			t.Fatalf("%d write attempts, want at least 4", len(at))
		}
		for i, want := range []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond} {
			if got := at[i+1].Sub(at[i]); got < want/2 || got > want {
				t.Errorf("retry %d came after %s, want %s-%s", i+1, got, want/2, want)
			}
		}
		checkCounters(t, f.m, map[string]int64{
			"EventDrainAttemptCount": 55, "EventDrainSuccessCount": 25, "EventWriteFail": 30,
			"BatchCompleteCount": 2, "BatchUnderflowCount": 1,
		})
		if n := f.logs.count(slog.LevelWarn, "write failed"); n != 1 {
			t.Errorf("%d warnings for one failure streak, want 1; logs:\n%v", n, f.logs.lines())
		}
		if n := f.logs.count(slog.LevelInfo, "delivering again"); n != 1 {
			t.Errorf("%d recovery messages, want 1; logs:\n%v", n, f.logs.lines())
		}
	})
}

func TestRunnerFailureBackoffIsExponentialAndCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newRunnerFixture(10, 10*time.Millisecond, 80*time.Millisecond)
		f.sink.setFailing(true)
		f.ch.put(t, numbered(0, 3)...)
		stop := f.start(t)
		time.Sleep(time.Second)
		stop()

		at := f.sink.attemptTimes()
		want := []time.Duration{10, 20, 40, 80, 80, 80}
		if len(at) < len(want)+1 {
			t.Fatalf("%d attempts in 1s, want more than %d", len(at), len(want))
		}
		for i, w := range want {
			// Each back-off is jittered to [w/2, w] (internal/backoff).
			if got, w := at[i+1].Sub(at[i]), w*time.Millisecond; got < w/2 || got > w {
				t.Errorf("gap %d = %s, want %s-%s", i, got, w/2, w)
			}
		}
		if got, want := f.ch.contents(), numberedBodies(0, 3); !slices.Equal(got, want) {
			t.Errorf("channel holds %v, want the rolled-back %v", got, want)
		}
		if n := f.logs.count(slog.LevelWarn, "write failed"); n != 1 {
			t.Errorf("%d warnings for %d failures, want 1", n, len(at))
		}
	})
}

func TestRunnerWakesAtOnceWhenIdleChannelGetsEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newRunnerFixture(10, 10*time.Millisecond, 5*time.Second)
		stop := f.start(t)
		defer stop()
		time.Sleep(30 * time.Second) // long enough for the idle back-off to reach its cap
		synctest.Wait()
		empties := f.m.BatchEmptyCount.Load()
		if empties == 0 {
			t.Fatal("BatchEmptyCount = 0 while idle")
		}

		before := time.Now()
		f.ch.put(t, numbered(0, 5)...)
		synctest.Wait() // time does not advance here: only the Ready signal can wake the runner
		if got, want := f.sink.delivered(), numberedBodies(0, 5); !slices.Equal(got, want) {
			t.Fatalf("delivered %v, want %v without waiting out the back-off", got, want)
		}
		if d := time.Since(before); d != 0 {
			t.Errorf("delivery took %s of back-off, want 0", d)
		}
	})
}

func TestRunnerCountsTakeFailuresAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newRunnerFixture(10, 10*time.Millisecond, 100*time.Millisecond)
		f.ch.setTakeErr(channel.ErrClosed)
		f.ch.put(t, numbered(0, 5)...)
		stop := f.start(t)
		defer stop()
		time.Sleep(time.Second)
		if f.m.ChannelReadFail.Load() < 5 {
			t.Errorf("ChannelReadFail = %d after a second of failing takes", f.m.ChannelReadFail.Load())
		}
		if n := f.logs.count(slog.LevelWarn, "take from channel failed"); n != 1 {
			t.Errorf("%d take warnings, want 1; logs:\n%v", n, f.logs.lines())
		}
		f.ch.setTakeErr(nil)
		time.Sleep(time.Second)
		if got, want := f.sink.delivered(), numberedBodies(0, 5); !slices.Equal(got, want) {
			t.Errorf("delivered %v, want %v", got, want)
		}
		if n := f.logs.count(slog.LevelInfo, "delivering again"); n != 1 {
			t.Errorf("%d recovery messages, want 1; logs:\n%v", n, f.logs.lines())
		}
	})
}

func TestRunnerCancelDuringWriteRollsBackAndReturnsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newRunnerFixture(10, 0, 0)
		f.sink.block = true
		f.ch.put(t, numbered(0, 5)...)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- f.r.Run(ctx) }()
		synctest.Wait() // the runner is inside Write
		if got := f.ch.contents(); len(got) != 0 {
			t.Fatalf("channel holds %v, want the batch taken by the blocked write", got)
		}
		before := time.Now()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		if d := time.Since(before); d != 0 {
			t.Errorf("Run took %s to return after cancel", d)
		}
		if got, want := f.ch.contents(), numberedBodies(0, 5); !slices.Equal(got, want) {
			t.Errorf("channel holds %v, want the unacknowledged take rolled back: %v", got, want)
		}
		if n := f.logs.count(slog.LevelWarn, ""); n != 0 {
			t.Errorf("a write cut short by shutdown was logged as a failure: %v", f.logs.lines())
		}
	})
}

// ackThenCancel acknowledges a write after its context was cancelled.
type ackThenCancel struct {
	flaky
	cancel context.CancelFunc
}

func (s *ackThenCancel) Write(ctx context.Context, events []channel.Event) error {
	s.cancel()
	return s.flaky.Write(ctx, events)
}

func TestRunnerCommitsAcknowledgedWriteEvenWhenCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := &fifo{}
		ch.put(t, numbered(0, 5)...)
		ctx, cancel := context.WithCancel(t.Context())
		s := &ackThenCancel{cancel: cancel}
		r := NewRunner(RunnerConfig{Name: "k1", Channel: ch, Sink: NewDefaultProcessor(member("k1", s), 10), BatchSize: 10})
		if err := r.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if got := ch.contents(); len(got) != 0 {
			t.Errorf("channel holds %v, want the acknowledged batch committed", got)
		}
		if got, want := s.delivered(), numberedBodies(0, 5); !slices.Equal(got, want) {
			t.Errorf("delivered %v, want %v", got, want)
		}
	})
}

func TestRunnerDrain(t *testing.T) {
	tests := []struct {
		name      string
		failNext  int  // writes that fail before the sink heals
		failing   bool // the sink never heals
		wantN     int
		wantErr   bool
		wantLeft  int
		wantAfter time.Duration // how long Drain ran (fake time)
	}{
		{name: "empties the channel", wantN: 25},
		{name: "retries a failing write", failNext: 2, wantN: 25, wantAfter: 30 * time.Millisecond},
		{name: "stops at the deadline when the sink keeps failing", failing: true, wantErr: true, wantLeft: 25, wantAfter: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newRunnerFixture(10, 10*time.Millisecond, 100*time.Millisecond)
				f.sink.failNext, f.sink.failing = tt.failNext, tt.failing
				f.ch.put(t, numbered(0, 25)...)
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
				defer cancel()
				start := time.Now()
				n, err := f.r.Drain(ctx)
				if n != tt.wantN || (err != nil) != tt.wantErr {
					t.Fatalf("Drain = %d, %v; want %d, error %v", n, err, tt.wantN, tt.wantErr)
				}
				if err != nil && (!errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errDown)) {
					t.Errorf("Drain error %q does not carry both the deadline and the sink's failure", err)
				}
				// Back-offs are jittered to between half their step and all of it.
				if d := time.Since(start); d < tt.wantAfter/2 || d > tt.wantAfter {
					t.Errorf("Drain ran %s, want %s-%s", d, tt.wantAfter/2, tt.wantAfter)
				}
				if got := f.ch.contents(); len(got) != tt.wantLeft {
					t.Errorf("channel holds %d events after Drain, want %d", len(got), tt.wantLeft)
				}
				if got, want := append(f.sink.delivered(), f.ch.contents()...), numberedBodies(0, 25); !slices.Equal(got, want) {
					t.Errorf("delivered then left = %v, want %v", got, want)
				}
			})
		})
	}
}

func checkCounters(t *testing.T, m *metrics.Sink, want map[string]int64) {
	t.Helper()
	for name, w := range want {
		if got := testkit.Counter(m.Component, name); got != w {
			t.Errorf("%s = %d, want %d", name, got, w)
		}
	}
}

func TestRunnerOverGroupDeliversEverythingOnceInOrder(t *testing.T) {
	for _, tt := range []struct {
		factory ProcessorFactory
		src     string
	}{
		{NewFailoverFactory(), `priority = { k1 = 10, k2 = 5 }`},
		{NewLoadBalanceFactory(), ``},
		{NewLoadBalanceFactory(), "selector = \"random\"\nbackoff = true"},
	} {
		t.Run(tt.factory.Type()+" "+tt.src, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sinks, members, tr := group("k1", "k2", "k3")
				p := newProcessor(t, tt.factory, tt.src, members)
				ch := &fifo{}
				r := NewRunner(RunnerConfig{Name: "g1", Channel: ch, Sink: p, BatchSize: 10, Metrics: members[0].Metrics})
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error, 1)
				go func() { done <- r.Run(ctx) }()

				// Members go down and come back while events keep arriving; now and then all are down.
				for i := range 50 {
					sinks["k1"].setFailing(i%3 == 0 || i%7 == 0)
					sinks["k2"].setFailing(i%4 == 0 || i%7 == 0)
					sinks["k3"].setFailing(i%5 != 0 || i%7 == 0)
					ch.put(t, numbered(i*20, 20)...)
					time.Sleep(500 * time.Millisecond)
				}
				for _, s := range sinks {
					s.setFailing(false)
				}
				time.Sleep(time.Minute) // longer than any penalty
				cancel()
				<-done

				if got, want := tr.deliveredList(), numberedBodies(0, 1000); !slices.Equal(got, want) {
					t.Errorf("delivered %d events, want all 1000 once each and in order", len(got))
				}
				if left := ch.contents(); len(left) != 0 {
					t.Errorf("%d events left in the channel", len(left))
				}
				var failed int64
				for _, m := range members {
					failed += m.Metrics.EventWriteFail.Load()
				}
				if failed == 0 {
					t.Error("no write failed: the scenario did not exercise fail-over")
				}
			})
		})
	}
}

func TestRunnerOverMemoryChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch, err := memory.New(&memory.Config{Capacity: 500, TxCapacity: 100, ByteCapacityBufferPercentage: 20, KeepAlive: time.Second}, channel.Settings{Name: "c1"})
		if err != nil {
			t.Fatal(err)
		}
		s := &flaky{}
		mem := member("k1", s)
		r := NewRunner(RunnerConfig{Name: "k1", Channel: ch, Sink: NewDefaultProcessor(mem, 100), BatchSize: 100, Metrics: mem.Metrics})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()

		// A producer fills the small channel faster than the sink, which fails now and then:
		// puts wait for room, takes are rolled back, and everything arrives once, in order.
		for i := range 100 {
			if i%10 == 0 {
				s.mu.Lock()
				s.failNext = 3
				s.mu.Unlock()
			}
			if err := channel.PutBatch(ctx, ch, numbered(i*100, 100)); err != nil {
				t.Fatalf("put %d: %v", i, err)
			}
		}
		time.Sleep(time.Minute)
		cancel()
		<-done
		if got, want := s.delivered(), numberedBodies(0, 10000); !slices.Equal(got, want) {
			t.Errorf("delivered %d events, want all 10000 once and in order", len(got))
		}
		if mem.Metrics.EventWriteFail.Load() == 0 {
			t.Error("no write failed")
		}
		if err := ch.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
}
