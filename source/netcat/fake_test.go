package netcat_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
)

// fakeProcessor stands in for the channel processor: it records every batch it commits, and on
// demand refuses with channel.ErrFull (Deliver then retries, like the real one), fails for good,
// or blocks until released.
type fakeProcessor struct {
	mu       sync.Mutex
	batches  [][]channel.Event
	events   int
	refusing bool
	refused  int
	fail     error
	gate     chan struct{} // when set, Process waits until it is closed
	onCommit func(committed int)
}

func (p *fakeProcessor) Process(ctx context.Context, events []channel.Event) error {
	p.mu.Lock()
	gate := p.gate
	p.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	if p.refusing {
		p.refused++
		return channel.ErrFull
	}
	p.batches = append(p.batches, events)
	p.events += len(events)
	if p.onCommit != nil {
		p.onCommit(p.events)
	}
	return nil
}

func (p *fakeProcessor) Deliver(ctx context.Context, events []channel.Event) error {
	for {
		err := p.Process(ctx, events)
		if !errors.Is(err, channel.ErrFull) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

func (p *fakeProcessor) setRefusing(v bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refusing = v
}

func (p *fakeProcessor) refusals() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

func (p *fakeProcessor) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.events
}

// bodies returns every committed body, in commit order.
func (p *fakeProcessor) bodies() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, b := range p.batches {
		for _, e := range b {
			out = append(out, string(e.Body))
		}
	}
	return out
}

func (p *fakeProcessor) batchSizes() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for _, b := range p.batches {
		out = append(out, len(b))
	}
	return out
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
