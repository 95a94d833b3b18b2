// Package sourcetest holds what the sources' tests share: a fake channel processor that records
// what it commits and misbehaves on demand, a way to run a source until the test ends and a
// goroutine-safe log buffer. It is imported only by tests; helpers every package's tests share
// are in internal/testkit.
package sourcetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

// Processor stands in for a source's channel processor (source.Processor). It records every
// batch it commits and, on demand, refuses like a full channel (channel.ErrFull, which Deliver
// retries every millisecond like the real one), fails for good, or holds each attempt at a gate.
// Set its fields before the source uses it; change them while it runs with the Set methods.
// The zero value commits everything. Batches are kept as given, not copied.
type Processor struct {
	// Refusing makes every attempt fail with channel.ErrFull.
	Refusing bool
	// RefuseFirst makes that many attempts fail with channel.ErrFull before any commits.
	RefuseFirst int
	// RefuseEvery, when set, refuses every RefuseEvery-th attempt with channel.ErrFull, as a
	// channel that is full now and then.
	RefuseEvery int
	// CopyBodies keeps copies of the bodies committed, as a channel keeps them, for sources
	// whose events share a buffer that is reused once Process returns (avro).
	CopyBodies bool
	// Fail, when set, is returned by every attempt: a failure that retrying does not cure.
	Fail error
	// Gate, when set, holds every attempt until it is closed or the attempt's context ends.
	Gate chan struct{}
	// OnCommit, when set, is called after each commit with the number of events committed so
	// far, before Process returns and outside the processor's lock, so it may call SetRefusing.
	OnCommit func(total int)

	mu       sync.Mutex
	batches  [][]channel.Event
	events   int
	attempts int
	refused  int
}

// Process makes one attempt: it counts it, waits at the gate, then fails, refuses or commits,
// in that order.
func (p *Processor) Process(ctx context.Context, events []channel.Event) error {
	p.mu.Lock()
	p.attempts++
	gate := p.Gate
	p.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.mu.Lock()
	if p.Fail != nil {
		p.mu.Unlock()
		return p.Fail
	}
	if p.Refusing || p.RefuseFirst > 0 || p.RefuseEvery > 0 && p.attempts%p.RefuseEvery == 0 {
		if p.RefuseFirst > 0 {
			p.RefuseFirst--
		}
		p.refused++
		p.mu.Unlock()
		return channel.ErrFull
	}
	if p.CopyBodies {
		kept := make([]channel.Event, len(events))
		for i, e := range events {
			kept[i] = channel.Event{Headers: e.Headers, Body: bytes.Clone(e.Body)}
		}
		events = kept
	}
	p.batches = append(p.batches, events)
	p.events += len(events)
	total, onCommit := p.events, p.OnCommit
	p.mu.Unlock()
	if onCommit != nil {
		onCommit(total)
	}
	return nil
}

// Deliver retries Process every millisecond while it refuses with channel.ErrFull, until it
// commits, fails otherwise, or ctx ends.
func (p *Processor) Deliver(ctx context.Context, events []channel.Event) error {
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

// SetRefusing turns refusing every attempt on or off.
func (p *Processor) SetRefusing(v bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Refusing = v
}

// SetGate sets the gate the next attempts wait at (nil: none).
func (p *Processor) SetGate(gate chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Gate = gate
}

// Attempts is the number of attempts begun, whatever became of them.
func (p *Processor) Attempts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attempts
}

// Refusals is the number of attempts refused with channel.ErrFull.
func (p *Processor) Refusals() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

// Count is the number of events committed.
func (p *Processor) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.events
}

// Batches returns the committed batches, in commit order.
func (p *Processor) Batches() [][]channel.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]channel.Event(nil), p.batches...)
}

// BatchSizes returns the number of events of each committed batch, in commit order.
func (p *Processor) BatchSizes() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]int, len(p.batches))
	for i, b := range p.batches {
		out[i] = len(b)
	}
	return out
}

// Events returns every committed event, in commit order (nil when none).
func (p *Processor) Events() []channel.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []channel.Event
	for _, b := range p.batches {
		out = append(out, b...)
	}
	return out
}

// Bodies returns the body of every committed event, in commit order (nil when none).
func (p *Processor) Bodies() []string {
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

// Run calls src.Run in its own goroutine until the test ends. The stop function it returns,
// which the test's cleanup also calls, cancels Run's context and waits for Run to return: the
// test fails if that takes longer than within, or if Run returns an error. stop is safe to call
// more than once.
func Run(t testing.TB, src source.Source, within time.Duration) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(within):
				t.Fatalf("Run did not return within %v of its context ending", within)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// SyncBuffer is a bytes.Buffer safe for concurrent use: the writer of a test's slog handler,
// read by the test while the source runs.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Counter is testkit.Counter, kept for the tests that still call it here.
func Counter(c *metrics.Component, name string) int64 { return testkit.Counter(c, name) }

// WaitFor is testkit.WaitFor, kept for the tests that still call it here.
func WaitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	testkit.WaitFor(t, within, what, cond)
}
