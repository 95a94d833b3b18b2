// Package backoff is the capped exponential back-off shared by sources that meet a full channel,
// sink runners that meet an empty channel or a failing destination, and sink processors that
// penalise a failed sink.
package backoff

import (
	"context"
	"time"
)

// Backoff doubles its delay from Min up to Max each time Next is called; Reset starts over.
// The zero value is not useful: set Min and Max.
type Backoff struct {
	Min, Max time.Duration
	cur      time.Duration
}

// New returns a back-off from min to max.
func New(min, max time.Duration) *Backoff { return &Backoff{Min: min, Max: max} }

// Next returns the next delay.
func (b *Backoff) Next() time.Duration {
	if b.cur == 0 {
		b.cur = b.Min
	} else {
		b.cur *= 2
	}
	if b.cur > b.Max {
		b.cur = b.Max
	}
	return b.cur
}

// Reset starts the next sequence at Min.
func (b *Backoff) Reset() { b.cur = 0 }

// Wait sleeps for the next delay, or until ctx is done or wake fires (wake may be nil). It
// returns ctx.Err() when ctx ended the wait.
func (b *Backoff) Wait(ctx context.Context, wake <-chan struct{}) error {
	t := time.NewTimer(b.Next())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	case <-wake:
	}
	return nil
}
