package backoff

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// fixed returns a random source that always answers the same fraction of n.
func fixed(num, den int64) func(int64) int64 {
	return func(n int64) int64 { return (n - 1) * num / den }
}

func TestNextDoublesUpToMaxWithEqualJitter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rnd      func(int64) int64
		want     []time.Duration
		afterMax time.Duration
	}{
		// The lowest draw keeps half of each step, the highest the whole step.
		{"lowest", fixed(0, 1), []time.Duration{50, 100, 200, 400, 500, 500}, 500},
		{"highest", fixed(1, 1), []time.Duration{100, 200, 400, 800, 1000, 1000}, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &Backoff{Min: 100 * time.Millisecond, Max: time.Second, Rand: tc.rnd}
			for i, w := range tc.want {
				if got := b.Next(); got != w*time.Millisecond {
					t.Fatalf("delay %d: got %v, want %v", i+1, got, w*time.Millisecond)
				}
			}
			b.Reset()
			if got, w := b.Next(), tc.want[0]*time.Millisecond; got != w {
				t.Fatalf("after Reset: got %v, want %v", got, w)
			}
		})
	}
}

func TestJitterStaysWithinHalfToWholeAndSpreads(t *testing.T) {
	const d = 10 * time.Second
	seen := map[time.Duration]bool{}
	for range 1000 {
		j := Jitter(d)
		if j < d/2 || j > d {
			t.Fatalf("Jitter(%v) = %v, outside [%v, %v]", d, j, d/2, d)
		}
		seen[j] = true
	}
	// A thousand draws from five billion nanoseconds: lock-step would give one value.
	if len(seen) < 900 {
		t.Fatalf("only %d distinct delays out of 1000: not jittered", len(seen))
	}
	if Jitter(0) != 0 || Jitter(1) != 1 {
		t.Fatal("Jitter of 0 or 1ns must stay as it is")
	}
}

func TestFuncFollowsTheSameSequence(t *testing.T) {
	f := Func(250*time.Millisecond, 2*time.Second)
	for n, step := range []time.Duration{250, 500, 1000, 2000, 2000, 2000} {
		d := f(n + 1)
		if lo, hi := step*time.Millisecond/2, step*time.Millisecond; d < lo || d > hi {
			t.Fatalf("retry %d: %v outside [%v, %v]", n+1, d, lo, hi)
		}
	}
}

func TestWaitSleepsTheJitteredDelayOrUntilWokenOrCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &Backoff{Min: time.Second, Max: 8 * time.Second, Rand: fixed(1, 2)}
		start := time.Now()
		if err := b.Wait(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		// Half of the first step plus half of the random half: 750ms.
		if got := time.Since(start); got != 750*time.Millisecond {
			t.Fatalf("first wait took %v, want 750ms", got)
		}

		wake := make(chan struct{})
		done := make(chan error)
		go func() { done <- b.Wait(t.Context(), wake) }()
		synctest.Wait()
		close(wake)
		if err := <-done; err != nil {
			t.Fatalf("woken wait: %v", err)
		}

		ctx, cancel := context.WithCancel(t.Context())
		go func() { done <- b.Wait(ctx, nil) }()
		synctest.Wait()
		cancel()
		if err := <-done; err != context.Canceled {
			t.Fatalf("cancelled wait: %v, want context.Canceled", err)
		}
	})
}
