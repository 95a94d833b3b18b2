// Package backoff is the one retry delay of the agent: a capped exponential back-off with equal
// jitter, shared by sources that meet a full channel, sink runners that meet an empty channel or
// a failing destination, sink processors that penalise a failed sink, the Kafka clients, the
// exec source's restarts, the HDFS sink's retries and the TCP accept loop.
//
// The jitter is "equal jitter": each delay is drawn uniformly from [d/2, d], where d is the
// exponential step (Min, 2×Min, ... capped at Max). Half the step is kept so that a delay is
// never much shorter than configured — a failing destination is not hit faster than its
// max_backoff/2 — and the other half is random so that a fleet of agents that failed together
// (a broker restart) does not retry in lock-step. Max stays a true maximum.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff doubles its step from Min up to Max each time Next is called; Reset starts over.
// The zero value is not useful: set Min and Max (New does). A Backoff is used by one goroutine.
type Backoff struct {
	Min, Max time.Duration
	// Rand returns a uniformly random int64 in [0, n) for n > 0. nil uses math/rand/v2; tests
	// set it to make the delays deterministic.
	Rand func(n int64) int64
	cur  time.Duration
}

// New returns a back-off from min to max.
func New(min, max time.Duration) *Backoff { return &Backoff{Min: min, Max: max} }

// Next returns the next delay: the next exponential step, jittered.
func (b *Backoff) Next() time.Duration {
	if b.cur == 0 {
		b.cur = b.Min
	} else if b.cur < b.Max {
		b.cur *= 2
	}
	if b.cur > b.Max {
		b.cur = b.Max
	}
	return jitter(b.cur, b.Rand)
}

// Reset starts the next sequence at Min.
func (b *Backoff) Reset() { b.cur = 0 }

// Wait sleeps for the next delay, or until ctx is done or wake fires (wake may be nil). It
// returns ctx.Err() when ctx ended the wait.
func (b *Backoff) Wait(ctx context.Context, wake <-chan struct{}) error {
	return Sleep(ctx, b.Next(), wake)
}

// Sleep waits d, or until ctx is done or wake fires (wake may be nil). It returns ctx.Err()
// when ctx ended the wait.
func Sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	case <-wake:
	}
	return nil
}

// Jitter returns d with the package's equal jitter: uniformly random in [d/2, d]. It is for a
// fixed retry interval (Flume's restart_throttle, retry_interval) that has no sequence.
func Jitter(d time.Duration) time.Duration { return jitter(d, nil) }

// Func returns the delay before retry number n (1 for the first), for clients that take a
// back-off function (franz-go's RetryBackoffFn): the same sequence and jitter as a Backoff. It is
// safe for concurrent use.
func Func(min, max time.Duration) func(n int) time.Duration {
	return func(n int) time.Duration {
		d := min
		for i := 1; i < n && d < max; i++ {
			d *= 2
		}
		if d > max {
			d = max
		}
		return jitter(d, nil)
	}
}

func jitter(d time.Duration, rnd func(int64) int64) time.Duration {
	if d <= 1 {
		return d
	}
	if rnd == nil {
		rnd = rand.Int64N
	}
	half := d / 2
	return d - half + time.Duration(rnd(int64(half)+1))
}
