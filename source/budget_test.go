package source_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

// grower runs r.Grow in a goroutine and reports when it returns.
func grower(r *source.Reservation, ctx context.Context, n int64) <-chan error {
	done := make(chan error, 1)
	go func() { done <- r.Grow(ctx, n, time.Time{}) }()
	return done
}

func returned(c <-chan error) bool {
	select {
	case err := <-c:
		if err != nil {
			panic(err)
		}
		return true
	default:
		return false
	}
}

func TestBudgetBoundsWhatSourcesHoldAcrossTheAgent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		agent := source.NewBudget(100)
		m := metrics.NewRegistry("a1").Source("r1", "avro")
		r1 := source.Settings{InFlight: agent, Metrics: m}.Budget(0)
		r2 := source.Settings{InFlight: agent}.Budget(30) // its own, smaller bound

		a, b := r1.Reserve(), r2.Reserve()
		if !a.TryGrow(60) || !b.TryGrow(30) {
			t.Fatal("reservations within both budgets refused")
		}
		if c := r2.Reserve(); c.TryGrow(1) {
			t.Fatal("r2 went past its own max_inflight_bytes")
		}
		d := r1.Reserve()
		if d.TryGrow(20) {
			t.Fatal("r1 went past the agent's budget")
		}
		if got := m.Component.Gauge("InflightBytes").Load(); got != 60 {
			t.Errorf("InflightBytes = %d, want 60", got)
		}
		if got := m.Component.Counter("InflightWaitCount").Load(); got != 1 {
			t.Errorf("InflightWaitCount = %d, want 1", got)
		}

		waiting := grower(&d, t.Context(), 20)
		synctest.Wait()
		if returned(waiting) {
			t.Fatal("a reservation beyond the budget did not wait")
		}
		b.Release()
		synctest.Wait()
		if !returned(waiting) {
			t.Fatal("the waiting reservation was not granted once the budget had room")
		}
		if agent.Used() != 80 || r1.Used() != 80 || r2.Used() != 0 {
			t.Errorf("used: agent %d, r1 %d, r2 %d; want 80, 80, 0", agent.Used(), r1.Used(), r2.Used())
		}
		a.Release()
		d.Release()
		d.Release() // safe twice
		if agent.Used() != 0 || m.Component.Gauge("InflightBytes").Load() != 0 {
			t.Errorf("after release: agent %d, gauge %d", agent.Used(), m.Component.Gauge("InflightBytes").Load())
		}
	})
}

func TestBudgetLetsACallLargerThanItselfThroughAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := source.NewBudget(10)
		big := b.Reserve()
		if !big.TryGrow(25) || !big.TryGrow(25) {
			t.Fatal("a call alone in flight was refused more than the budget")
		}
		other := b.Reserve()
		waiting := grower(&other, t.Context(), 1)
		synctest.Wait()
		if returned(waiting) {
			t.Fatal("a second call got in beside the oversized one")
		}
		big.Release()
		synctest.Wait()
		if !returned(waiting) {
			t.Fatal("the second call did not get in after the oversized one")
		}
	})
}

func TestBudgetServesCallsThatHoldBytesBeforeNewOnes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := source.NewBudget(100)
		started, other := b.Reserve(), b.Reserve()
		started.TryGrow(40)
		other.TryGrow(50)
		fresh := b.Reserve()
		newCall := grower(&fresh, t.Context(), 40) // first in the queue
		synctest.Wait()
		more := grower(&started, t.Context(), 30) // a call half read, second in the queue
		synctest.Wait()
		other.Release() // 60 free: enough for one of them
		synctest.Wait()
		if !returned(more) || returned(newCall) {
			t.Fatal("the call already holding bytes was not served before the new one")
		}
		started.Release()
		synctest.Wait()
		if !returned(newCall) {
			t.Fatal("the new call was not served once the started one finished")
		}
	})
}

func TestBudgetWaitEndsWithItsContextOrDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		agent := source.NewBudget(10)
		own := source.Settings{InFlight: agent}.Budget(0)
		hold := own.Reserve()
		hold.TryGrow(10)
		r := own.Reserve()
		start := time.Now()
		err := r.Grow(t.Context(), 5, start.Add(3*time.Second))
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 3*time.Second || r.Held() != 0 {
			t.Fatalf("Grow = %v after %v holding %d; want the deadline after 3s, nothing held", err, time.Since(start), r.Held())
		}
		ctx, cancel := context.WithCancel(t.Context())
		waiting := make(chan error, 1)
		go func() { waiting <- r.Grow(ctx, 5, time.Time{}) }()
		synctest.Wait()
		cancel()
		if err := <-waiting; !errors.Is(err, context.Canceled) {
			t.Fatalf("Grow = %v, want context.Canceled", err)
		}
		hold.Release()
		if agent.Used() != 0 || own.Used() != 0 {
			t.Fatalf("abandoned waits left bytes reserved: agent %d, source %d", agent.Used(), own.Used())
		}
	})
}

func TestBudgetSetLimitGrantsWaitersThatNowFit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := source.NewBudget(10)
		hold, r := b.Reserve(), b.Reserve()
		hold.TryGrow(10)
		waiting := grower(&r, t.Context(), 10)
		synctest.Wait()
		b.SetLimit(20)
		synctest.Wait()
		if !returned(waiting) {
			t.Fatal("raising the limit did not grant the waiting reservation")
		}
	})
}

func TestNilBudgetIsNoBound(t *testing.T) {
	var b *source.Budget
	r := b.Reserve()
	if !r.TryGrow(1<<40) || r.Grow(context.Background(), 1<<40, time.Time{}) != nil {
		t.Fatal("a nil budget refused")
	}
	r.Release()
	unbounded := source.Settings{}.Budget(0)
	u := unbounded.Reserve()
	if !u.TryGrow(1 << 40) {
		t.Fatal("a source budget without limits refused")
	}
}
