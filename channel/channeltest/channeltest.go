// Package channeltest is the conformance suite every channel runs (STYLE 17): put and take
// transactions, rollback order, transaction and channel capacity, keep-alive, closing, many
// concurrent putters and takers, and, for durable channels, what survives a restart.
//
// A channel's test calls Run with a Harness that opens fresh channels:
//
//	func TestConformance(t *testing.T) {
//		channeltest.Run(t, channeltest.Harness{
//			Open: func(t *testing.T, o channeltest.Options) channel.Channel { ... },
//		})
//	}
//
// What the suite takes as the contract, beyond channel.go's doc comments:
//   - The channel owns the events passed to Put (their header maps and body arrays): the suite
//     never changes them afterwards. The slice holding them is the caller's, though: a source
//     may reuse its batch slice as soon as Put returns, so the suite overwrites it.
//   - Rolled-back takes come back ahead of newer events and in commit order, even when several
//     takers roll back in any order.
//   - A put commit that waits for room and sees its ctx end returns an error that wraps
//     channel.ErrFull or ctx's error, at once, and leaves the channel unchanged.
//   - A Take with max beyond what the transaction may still hold returns at most that many
//     events (with a nil error or ErrTxFull); once the transaction holds transaction_capacity
//     events, Take returns no events and ErrTxFull.
//   - A commit that failed has rolled its transaction back: using it again returns ErrTxDone.
//   - The second Close returns nil.
package channeltest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
)

// Options are the limits a check opens its channel with.
type Options struct {
	Capacity            int
	TransactionCapacity int
	KeepAlive           time.Duration // how long a put commit waits for room; the suite passes small values like 50ms
}

// Harness opens the channel under test.
type Harness struct {
	// Open opens a fresh, empty channel under test with these limits.
	Open func(t *testing.T, opts Options) channel.Channel
	// Reopen, when non-nil (durable channels), closes ch and opens the same channel again as after a
	// process restart, returning the new instance. The suite then checks that committed puts survive,
	// committed takes stay gone and events taken but not committed come back, in order.
	Reopen func(t *testing.T, ch channel.Channel, opts Options) channel.Channel
}

// patience bounds how long the suite waits for something that should happen at once; only a
// broken (or hopelessly overloaded) channel reaches it.
const patience = 5 * time.Second

// Run runs every check as a subtest of t.
func Run(t *testing.T, h Harness) {
	s := &suite{h: h}
	checks := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"put then take returns the same events in order", s.fifo},
		{"rolled back put is invisible", s.putRollback},
		{"uncommitted put is invisible to takers", s.uncommittedPut},
		{"take rollback returns events to the head in order", s.takeRollback},
		{"take rollbacks of two takers keep commit order", s.twoTakersRollback},
		{"take commit removes events", s.takeCommit},
		{"put transaction finishes once", s.putFinishOnce},
		{"take transaction finishes once", s.takeFinishOnce},
		{"put beyond transaction capacity fails with ErrTxFull", s.putTxFull},
		{"take is bounded by transaction capacity", s.takeTxBound},
		{"full channel refuses put after keep alive", s.fullAfterKeepAlive},
		{"waiting put succeeds when a take commits", s.waitingPutSucceeds},
		{"waiting put returns when ctx is cancelled", s.putCtxCancel},
		{"ready fires after put commit", s.ready},
		{"empty take returns nothing without blocking", s.emptyTake},
		{"nil headers come back nil or empty", s.nilHeaders},
		{"caller may reuse its batch slice after put", s.batchSliceReuse},
		{"concurrent putters and takers keep each putter's order", s.concurrentOrder},
		{"concurrent takers with rollbacks lose and duplicate nothing", s.concurrentRollbacks},
		{"operations after close return ErrClosed", s.closed},
		{"close twice is safe", s.closeTwice},
	}
	for _, c := range checks {
		t.Run(c.name, c.fn)
	}
	if h.Reopen == nil {
		return
	}
	durable := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"reopen keeps committed puts and forgets committed takes", s.reopenCommitted},
		{"reopen returns uncommitted takes in order", s.reopenUncommittedTakes},
		{"reopen drops uncommitted puts", s.reopenUncommittedPuts},
		{"reopen of an empty channel is empty", s.reopenEmpty},
	}
	for _, c := range durable {
		t.Run(c.name, c.fn)
	}
}

type suite struct{ h Harness }

// open opens a channel that is closed when the test ends.
func (s *suite) open(t *testing.T, o Options) channel.Channel {
	t.Helper()
	ch := s.h.Open(t, o)
	if ch == nil {
		t.Fatal("Harness.Open returned nil")
	}
	t.Cleanup(func() { _ = ch.Close(context.Background()) })
	return ch
}

// reopen restarts a durable channel; the new instance is closed when the test ends.
func (s *suite) reopen(t *testing.T, ch channel.Channel, o Options) channel.Channel {
	t.Helper()
	ch = s.h.Reopen(t, ch, o)
	if ch == nil {
		t.Fatal("Harness.Reopen returned nil")
	}
	t.Cleanup(func() { _ = ch.Close(context.Background()) })
	return ch
}

// small is the default shape of a check's channel.
var small = Options{Capacity: 100, TransactionCapacity: 10, KeepAlive: 50 * time.Millisecond}

// event returns a recognisable event: body "event-i" and two headers.
func event(i int) channel.Event {
	return channel.Event{
		Headers: map[string]string{"seq": strconv.Itoa(i), "host": "web-" + strconv.Itoa(i%3)},
		Body:    []byte("event-" + strconv.Itoa(i)),
	}
}

// events returns event(from) … event(to-1).
func events(from, to int) []channel.Event {
	out := make([]channel.Event, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, event(i))
	}
	return out
}

// put puts evs in one committed transaction.
func put(t *testing.T, ch channel.Channel, evs ...channel.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := channel.PutBatch(ctx, ch, evs); err != nil {
		t.Fatalf("put of %d events: %v", len(evs), err)
	}
}

// take takes up to max events in one committed transaction.
func take(t *testing.T, ch channel.Channel, max int) []channel.Event {
	t.Helper()
	tx := ch.BeginTake()
	defer tx.Rollback()
	got, err := tx.Take(max)
	if err != nil {
		t.Fatalf("Take(%d): %v", max, err)
	}
	got = slices.Clone(got) // valid only until the transaction ends
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatalf("take commit: %v", err)
	}
	return got
}

// drain takes everything the channel holds, in transactions of txCap events.
func drain(t *testing.T, ch channel.Channel, txCap int) []channel.Event {
	t.Helper()
	var all []channel.Event
	for range 10000 {
		got := take(t, ch, txCap)
		if len(got) == 0 {
			return all
		}
		all = append(all, got...)
	}
	t.Fatal("drain: the channel never ran empty")
	return nil
}

// sameEvent compares two events; nil and empty headers are the same.
func sameEvent(a, b channel.Event) bool {
	return string(a.Body) == string(b.Body) && maps.Equal(a.Headers, b.Headers)
}

// describe prints events compactly for failure messages.
func describe(evs []channel.Event) string {
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = fmt.Sprintf("%q%v", e.Body, e.Headers)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func bodies(evs []channel.Event) string {
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = string(e.Body)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// expect fails unless got holds exactly want, in order, headers and bodies alike.
func expect(t *testing.T, what string, got, want []channel.Event) {
	t.Helper()
	if !slices.EqualFunc(got, want, sameEvent) {
		t.Fatalf("%s:\n got  %s\n want %s", what, describe(got), describe(want))
	}
}

// within runs fn in a goroutine and fails the test if it has not returned after d.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still blocked after %s", what, d)
	}
}

func (s *suite) fifo(t *testing.T) {
	ch := s.open(t, small)
	put(t, ch, events(0, 3)...)
	put(t, ch, events(3, 4)...)
	put(t, ch, events(4, 10)...)
	expect(t, "events taken", drain(t, ch, small.TransactionCapacity), events(0, 10))
}

func (s *suite) putRollback(t *testing.T) {
	ch := s.open(t, small)
	put(t, ch, event(1))
	tx := ch.BeginPut()
	if err := tx.Put(event(2), event(3)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	tx.Rollback()
	put(t, ch, event(4))
	expect(t, "events after a rolled back put", drain(t, ch, 10), []channel.Event{event(1), event(4)})
}

func (s *suite) uncommittedPut(t *testing.T) {
	ch := s.open(t, small)
	tx := ch.BeginPut()
	defer tx.Rollback()
	if err := tx.Put(event(1), event(2)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got := take(t, ch, 10); len(got) != 0 {
		t.Fatalf("a taker saw events staged by a put not yet committed: %s", describe(got))
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	expect(t, "events after the commit", drain(t, ch, 10), events(1, 3))
}

func (s *suite) takeRollback(t *testing.T) {
	ch := s.open(t, small)
	put(t, ch, events(0, 5)...)
	tx := ch.BeginTake()
	got, err := tx.Take(3)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	expect(t, "first take", got, events(0, 3))
	put(t, ch, events(5, 7)...) // newer events, committed while the take is open
	tx.Rollback()
	expect(t, "events after the rollback", drain(t, ch, 10), events(0, 7))
}

func (s *suite) twoTakersRollback(t *testing.T) {
	cases := []struct {
		name string
		// finish A (events 0-1) and B (events 2-3) in this order; true commits, false rolls back
		first, second string
		want          []int
	}{
		{"A rolls back then B rolls back", "A rollback", "B rollback", []int{0, 1, 2, 3, 4, 5}},
		{"B rolls back then A rolls back", "B rollback", "A rollback", []int{0, 1, 2, 3, 4, 5}},
		{"A rolls back, B commits", "A rollback", "B commit", []int{0, 1, 4, 5}},
		{"A commits, B rolls back", "A commit", "B rollback", []int{2, 3, 4, 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := s.open(t, small)
			put(t, ch, events(0, 4)...)
			txs := map[string]channel.TakeTx{"A": ch.BeginTake(), "B": ch.BeginTake()}
			for i, name := range []string{"A", "B"} {
				got, err := txs[name].Take(2)
				if err != nil {
					t.Fatalf("%s Take: %v", name, err)
				}
				expect(t, name+" took", got, events(2*i, 2*i+2))
			}
			put(t, ch, events(4, 6)...)
			for _, step := range []string{c.first, c.second} {
				name, op, _ := strings.Cut(step, " ")
				if op == "commit" {
					if err := txs[name].Commit(context.Background()); err != nil {
						t.Fatalf("%s commit: %v", name, err)
					}
				} else {
					txs[name].Rollback()
				}
			}
			var want []channel.Event
			for _, i := range c.want {
				want = append(want, event(i))
			}
			expect(t, "events left", drain(t, ch, 10), want)
		})
	}
}

func (s *suite) takeCommit(t *testing.T) {
	ch := s.open(t, small)
	put(t, ch, events(0, 5)...)
	expect(t, "first take", take(t, ch, 2), events(0, 2))
	put(t, ch, events(5, 6)...)
	expect(t, "events left", drain(t, ch, 10), events(2, 6))
}

func (s *suite) putFinishOnce(t *testing.T) {
	ctx := context.Background()
	t.Run("commit twice", func(t *testing.T) {
		ch := s.open(t, small)
		tx := ch.BeginPut()
		if err := tx.Put(event(1)); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if err := tx.Commit(ctx); !errors.Is(err, channel.ErrTxDone) {
			t.Errorf("second Commit: got %v, want ErrTxDone", err)
		}
		tx.Rollback() // after Commit: a no-op
		tx.Rollback()
		if err := tx.Put(event(2)); !errors.Is(err, channel.ErrTxDone) {
			t.Errorf("Put after Commit: got %v, want ErrTxDone", err)
		}
		expect(t, "events", drain(t, ch, 10), events(1, 2))
	})
	t.Run("rollback then commit", func(t *testing.T) {
		ch := s.open(t, small)
		tx := ch.BeginPut()
		if err := tx.Put(event(1)); err != nil {
			t.Fatalf("Put: %v", err)
		}
		tx.Rollback()
		tx.Rollback()
		if err := tx.Commit(ctx); !errors.Is(err, channel.ErrTxDone) {
			t.Errorf("Commit after Rollback: got %v, want ErrTxDone", err)
		}
		if err := tx.Put(event(2)); !errors.Is(err, channel.ErrTxDone) {
			t.Errorf("Put after Rollback: got %v, want ErrTxDone", err)
		}
		expect(t, "events", drain(t, ch, 10), nil)
	})
	t.Run("empty commit", func(t *testing.T) {
		ch := s.open(t, small)
		tx := ch.BeginPut()
		if err := tx.Commit(ctx); err != nil {
			t.Fatalf("Commit of an empty put: %v", err)
		}
		tx.Rollback()
		expect(t, "events", drain(t, ch, 10), nil)
	})
}

func (s *suite) takeFinishOnce(t *testing.T) {
	ctx := context.Background()
	t.Run("commit twice", func(t *testing.T) {
		ch := s.open(t, small)
		put(t, ch, events(0, 3)...)
		tx := ch.BeginTake()
		if got, err := tx.Take(2); err != nil || len(got) != 2 {
			t.Fatalf("Take(2): %d events, %v", len(got), err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if err := tx.Commit(ctx); !errors.Is(err, channel.ErrTxDone) {
			t.Errorf("second Commit: got %v, want ErrTxDone", err)
		}
		tx.Rollback() // after Commit: must not hand the events back
		tx.Rollback()
		if _, err := tx.Take(1); !errors.Is(err, channel.ErrTxDone) {
			t.Errorf("Take after Commit: got %v, want ErrTxDone", err)
		}
		expect(t, "events left", drain(t, ch, 10), events(2, 3))
	})
	t.Run("rollback then commit", func(t *testing.T) {
		ch := s.open(t, small)
		put(t, ch, events(0, 3)...)
		tx := ch.BeginTake()
		if got, err := tx.Take(2); err != nil || len(got) != 2 {
			t.Fatalf("Take(2): %d events, %v", len(got), err)
		}
		tx.Rollback()
		tx.Rollback() // must not hand the events back twice
		if err := tx.Commit(ctx); !errors.Is(err, channel.ErrTxDone) {
			t.Errorf("Commit after Rollback: got %v, want ErrTxDone", err)
		}
		if _, err := tx.Take(1); !errors.Is(err, channel.ErrTxDone) {
			t.Errorf("Take after Rollback: got %v, want ErrTxDone", err)
		}
		expect(t, "events left", drain(t, ch, 10), events(0, 3))
	})
}

func (s *suite) putTxFull(t *testing.T) {
	o := Options{Capacity: 20, TransactionCapacity: 5, KeepAlive: 50 * time.Millisecond}
	t.Run("one call too many", func(t *testing.T) {
		ch := s.open(t, o)
		tx := ch.BeginPut()
		defer tx.Rollback()
		if err := tx.Put(events(0, 6)...); !errors.Is(err, channel.ErrTxFull) {
			t.Fatalf("Put of 6 events with transaction capacity 5: got %v, want ErrTxFull", err)
		}
	})
	t.Run("staged events stay staged", func(t *testing.T) {
		ch := s.open(t, o)
		tx := ch.BeginPut()
		defer tx.Rollback()
		for i := range 5 {
			if err := tx.Put(event(i)); err != nil {
				t.Fatalf("Put %d: %v", i, err)
			}
		}
		if err := tx.Put(event(5)); !errors.Is(err, channel.ErrTxFull) {
			t.Fatalf("sixth Put with transaction capacity 5: got %v, want ErrTxFull", err)
		}
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		expect(t, "events", drain(t, ch, 5), events(0, 5))
	})
}

func (s *suite) takeTxBound(t *testing.T) {
	o := Options{Capacity: 20, TransactionCapacity: 5, KeepAlive: 50 * time.Millisecond}
	ch := s.open(t, o)
	put(t, ch, events(0, 4)...)
	put(t, ch, events(4, 8)...)
	put(t, ch, events(8, 12)...)
	tx := ch.BeginTake()
	defer tx.Rollback()
	var got []channel.Event
	for len(got) < 5 {
		evs, err := tx.Take(100)
		if err != nil && !errors.Is(err, channel.ErrTxFull) {
			t.Fatalf("Take(100): %v", err)
		}
		if len(evs) == 0 {
			t.Fatalf("Take(100) returned nothing (err %v) after %d events, with 12 in the channel and transaction capacity 5",
				err, len(got))
		}
		got = append(got, evs...)
	}
	if len(got) > 5 {
		t.Fatalf("one transaction took %d events, transaction capacity is 5", len(got))
	}
	expect(t, "events taken", got, events(0, 5))
	evs, err := tx.Take(1)
	if len(evs) != 0 || !errors.Is(err, channel.ErrTxFull) {
		t.Fatalf("Take(1) on a transaction holding its capacity: got %d events, %v; want none and ErrTxFull", len(evs), err)
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	expect(t, "events left", drain(t, ch, 5), events(5, 12))
}

// fill puts n events, numbered from 0, in transactions of o.TransactionCapacity.
func fill(t *testing.T, ch channel.Channel, o Options, n int) []channel.Event {
	t.Helper()
	all := events(0, n)
	for i := 0; i < n; i += o.TransactionCapacity {
		put(t, ch, all[i:min(n, i+o.TransactionCapacity)]...)
	}
	return all
}

func (s *suite) fullAfterKeepAlive(t *testing.T) {
	o := Options{Capacity: 5, TransactionCapacity: 5, KeepAlive: 50 * time.Millisecond}
	ch := s.open(t, o)
	all := fill(t, ch, o, 5)
	tx := ch.BeginPut()
	defer tx.Rollback()
	if err := tx.Put(event(100)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	start := time.Now()
	err := tx.Commit(context.Background())
	waited := time.Since(start)
	if !errors.Is(err, channel.ErrFull) {
		t.Fatalf("Commit into a full channel: got %v, want ErrFull", err)
	}
	if waited < o.KeepAlive/2 {
		t.Errorf("Commit into a full channel failed after %s; it should wait keep_alive (%s) for room", waited, o.KeepAlive)
	}
	if waited > patience {
		t.Errorf("Commit into a full channel waited %s, keep_alive is %s", waited, o.KeepAlive)
	}
	if err := tx.Commit(context.Background()); !errors.Is(err, channel.ErrTxDone) {
		t.Errorf("Commit after a failed Commit: got %v, want ErrTxDone (a failed commit rolls back)", err)
	}
	expect(t, "events after the refused put", drain(t, ch, 5), all)
}

func (s *suite) waitingPutSucceeds(t *testing.T) {
	o := Options{Capacity: 4, TransactionCapacity: 2, KeepAlive: 30 * time.Second}
	ch := s.open(t, o)
	all := fill(t, ch, o, 4)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- channel.PutBatch(context.Background(), ch, events(4, 6))
	}()
	// The put has no room: it must still be waiting a moment later.
	select {
	case err := <-done:
		t.Fatalf("put into a full channel returned %v at once; it should wait for room", err)
	case <-time.After(20 * time.Millisecond):
	}
	tx := ch.BeginTake()
	got, err := tx.Take(1)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	expect(t, "taken", got, all[:1])
	tx.Rollback() // frees nothing: the put must keep waiting
	select {
	case err := <-done:
		t.Fatalf("put returned %v after a take rollback, which frees no room", err)
	case <-time.After(20 * time.Millisecond):
	}
	expect(t, "taken", take(t, ch, 2), all[:2])
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("waiting put: %v", err)
		}
	case <-time.After(patience):
		t.Fatalf("waiting put still blocked %s after a take commit freed room", time.Since(start))
	}
	if waited := time.Since(start); waited > o.KeepAlive/2 {
		t.Errorf("waiting put took %s; it should succeed as soon as room is freed", waited)
	}
	expect(t, "events left", drain(t, ch, 2), append(slices.Clone(all[2:]), events(4, 6)...))
}

func (s *suite) putCtxCancel(t *testing.T) {
	o := Options{Capacity: 2, TransactionCapacity: 2, KeepAlive: 30 * time.Second}
	ch := s.open(t, o)
	all := fill(t, ch, o, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- channel.PutBatch(ctx, ch, events(2, 3))
	}()
	select {
	case err := <-done:
		t.Fatalf("put into a full channel returned %v at once; it should wait for room", err)
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, channel.ErrFull) && !errors.Is(err, context.Canceled) {
			t.Fatalf("put whose ctx was cancelled: got %v, want ErrFull or context.Canceled", err)
		}
	case <-time.After(patience):
		t.Fatal("put commit kept waiting after its ctx was cancelled")
	}
	expect(t, "events after the cancelled put", drain(t, ch, 2), all)
}

func (s *suite) ready(t *testing.T) {
	ch := s.open(t, small)
	r := ch.Ready()
	if r == nil {
		t.Log("Ready returns nil: takers poll")
		return
	}
	select {
	case <-r:
		t.Fatal("Ready fired before anything was put")
	default:
	}
	put(t, ch, event(1))
	select {
	case <-r:
	case <-time.After(patience):
		t.Fatal("Ready did not fire after a put commit")
	}
	// A fresh one fires on the next commit too.
	r = ch.Ready()
	put(t, ch, event(2))
	select {
	case <-r:
	case <-time.After(patience):
		t.Fatal("Ready obtained after the first put did not fire after the second")
	}
}

func (s *suite) emptyTake(t *testing.T) {
	o := small
	o.KeepAlive = 30 * time.Second // a take that waits like Flume's would be caught
	ch := s.open(t, o)
	within(t, 2*time.Second, "Take on an empty channel", func() {
		tx := ch.BeginTake()
		defer tx.Rollback()
		got, err := tx.Take(10)
		if err != nil || len(got) != 0 {
			t.Errorf("Take on an empty channel: got %d events, %v; want none and no error", len(got), err)
		}
		if err := tx.Commit(context.Background()); err != nil {
			t.Errorf("Commit of an empty take: %v", err)
		}
	})
}

func (s *suite) nilHeaders(t *testing.T) {
	ch := s.open(t, small)
	put(t, ch, channel.Event{Body: []byte("no headers")}, channel.Event{Headers: map[string]string{}, Body: nil})
	got := drain(t, ch, 10)
	if len(got) != 2 {
		t.Fatalf("got %d events, want 2", len(got))
	}
	for i, e := range got {
		if len(e.Headers) != 0 {
			t.Errorf("event %d came back with headers %v, want none", i, e.Headers)
		}
	}
	if string(got[0].Body) != "no headers" || len(got[1].Body) != 0 {
		t.Errorf("bodies: got %s", bodies(got))
	}
}

func (s *suite) batchSliceReuse(t *testing.T) {
	ch := s.open(t, small)
	batch := events(0, 3)
	tx := ch.BeginPut()
	defer tx.Rollback()
	if err := tx.Put(batch...); err != nil {
		t.Fatalf("Put: %v", err)
	}
	// The source reuses its slice for the next batch; the events it held belong to the channel.
	for i := range batch {
		batch[i] = channel.Event{Body: []byte("reused")}
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	for i := range batch {
		batch[i] = channel.Event{Body: []byte("reused again")}
	}
	expect(t, "events", drain(t, ch, 10), events(0, 3))
}

// workload drives putters and takers concurrently. Putter p puts events with headers p and i
// (its own sequence), retrying refused commits as a source does; takers take until every event
// arrived, rolling back a share of their transactions. It returns, per taker, the events whose
// take committed, in the order they were taken.
func (s *suite) workload(t *testing.T, o Options, putters, perPutter, takers int, rollbackEvery int) [][]channel.Event {
	t.Helper()
	ch := s.open(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), 4*patience)
	defer cancel()
	total := int64(putters * perPutter)
	var committed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, putters+takers)
	for p := range putters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(p), 1))
			for i := 0; i < perPutter; {
				n := min(perPutter-i, 1+rng.IntN(o.TransactionCapacity))
				batch := make([]channel.Event, n)
				for j := range batch {
					batch[j] = channel.Event{
						Headers: map[string]string{"p": strconv.Itoa(p), "i": strconv.Itoa(i + j)},
						Body:    []byte(fmt.Sprintf("p%d-%d", p, i+j)),
					}
				}
				err := channel.PutBatch(ctx, ch, batch)
				switch {
				case err == nil:
					i += n
				case errors.Is(err, channel.ErrFull) && ctx.Err() == nil:
					// retry the same events, as a source would
				default:
					errs <- fmt.Errorf("putter %d: %w", p, err)
					return
				}
			}
		}()
	}
	out := make([][]channel.Event, takers)
	for k := range takers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(k), 2))
			for n := 0; committed.Load() < total; n++ {
				if ctx.Err() != nil {
					errs <- fmt.Errorf("taker %d: gave up with %d of %d events taken", k, committed.Load(), total)
					return
				}
				wake := ch.Ready()
				tx := ch.BeginTake()
				got, err := tx.Take(1 + rng.IntN(o.TransactionCapacity))
				if err != nil {
					tx.Rollback()
					errs <- fmt.Errorf("taker %d: %w", k, err)
					return
				}
				if len(got) == 0 {
					tx.Rollback()
					select { // idle: wait for a put, but poll too (Ready may be nil or missed)
					case <-wake:
					case <-time.After(time.Millisecond):
					}
					continue
				}
				if rollbackEvery > 0 && rng.IntN(rollbackEvery) == 0 {
					tx.Rollback()
					continue
				}
				got = slices.Clone(got)
				if err := tx.Commit(ctx); err != nil {
					errs <- fmt.Errorf("taker %d: commit: %w", k, err)
					return
				}
				out[k] = append(out[k], got...)
				committed.Add(int64(len(got)))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	// Every event exactly once, with its headers and body intact.
	seen := make(map[string]int)
	for _, evs := range out {
		for _, e := range evs {
			want := fmt.Sprintf("p%s-%s", e.Headers["p"], e.Headers["i"])
			if string(e.Body) != want || len(e.Headers) != 2 {
				t.Fatalf("event corrupted: body %q, headers %v", e.Body, e.Headers)
			}
			seen[want]++
		}
	}
	var missing, dup []string
	for p := range putters {
		for i := range perPutter {
			key := fmt.Sprintf("p%d-%d", p, i)
			switch seen[key] {
			case 0:
				missing = append(missing, key)
			case 1:
			default:
				dup = append(dup, key)
			}
		}
	}
	if len(missing) > 0 || len(dup) > 0 || len(seen) != int(total) {
		t.Fatalf("%d events put, %d distinct taken; missing %d %v; duplicated %d %v",
			total, len(seen), len(missing), head(missing), len(dup), head(dup))
	}
	if left := drain(t, ch, o.TransactionCapacity); len(left) != 0 {
		t.Fatalf("%d events left in the channel after all were taken: %s", len(left), bodies(left))
	}
	return out
}

func head(s []string) []string { return s[:min(len(s), 10)] }

// concurrentSizes returns the workload size, smaller under -short.
func concurrentSizes() (putters, perPutter, takers int) {
	if testing.Short() {
		return 8, 250, 8
	}
	return 8, 1000, 8
}

func (s *suite) concurrentOrder(t *testing.T) {
	putters, perPutter, takers := concurrentSizes()
	o := Options{Capacity: 500, TransactionCapacity: 50, KeepAlive: 50 * time.Millisecond}
	out := s.workload(t, o, putters, perPutter, takers, 0)
	// Without rollbacks each taker takes from the head, so what one taker gets from one putter is
	// in that putter's order.
	for k, evs := range out {
		last := make(map[string]int)
		for _, e := range evs {
			p := e.Headers["p"]
			i, _ := strconv.Atoi(e.Headers["i"])
			if prev, ok := last[p]; ok && i <= prev {
				t.Fatalf("taker %d got putter %s's event %d after its event %d", k, p, i, prev)
			}
			last[p] = i
		}
	}
}

func (s *suite) concurrentRollbacks(t *testing.T) {
	putters, perPutter, takers := concurrentSizes()
	o := Options{Capacity: 500, TransactionCapacity: 50, KeepAlive: 50 * time.Millisecond}
	s.workload(t, o, putters, perPutter, takers, 5)
}

func (s *suite) closed(t *testing.T) {
	ctx := context.Background()
	ch := s.open(t, small)
	put(t, ch, events(0, 3)...)
	openPut := ch.BeginPut()
	defer openPut.Rollback()
	if err := openPut.Put(event(10)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	openTake := ch.BeginTake()
	defer openTake.Rollback()
	if got, err := openTake.Take(1); err != nil || len(got) != 1 {
		t.Fatalf("Take(1): %d events, %v", len(got), err)
	}
	s.closeHolding(t, ch, 3) // two queued, one taken; the staged put is its putter's
	if err := openPut.Commit(ctx); !errors.Is(err, channel.ErrClosed) {
		t.Errorf("Commit of a put begun before Close: got %v, want ErrClosed", err)
	}
	if err := openTake.Commit(ctx); !errors.Is(err, channel.ErrClosed) {
		t.Errorf("Commit of a take begun before Close: got %v, want ErrClosed", err)
	}
	if err := ch.BeginPut().Put(event(11)); !errors.Is(err, channel.ErrClosed) {
		t.Errorf("Put after Close: got %v, want ErrClosed", err)
	}
	if err := channel.PutBatch(ctx, ch, events(11, 12)); !errors.Is(err, channel.ErrClosed) {
		t.Errorf("PutBatch after Close: got %v, want ErrClosed", err)
	}
	tx := ch.BeginTake()
	defer tx.Rollback()
	if got, err := tx.Take(1); !errors.Is(err, channel.ErrClosed) || len(got) != 0 {
		t.Errorf("Take after Close: got %d events, %v; want none and ErrClosed", len(got), err)
	}
}

func (s *suite) closeTwice(t *testing.T) {
	ch := s.open(t, small)
	put(t, ch, event(1))
	s.closeHolding(t, ch, 1)
	if err := ch.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// closeHolding closes a channel that holds n events (queued or taken and not committed): a
// durable channel keeps them and returns nil, another reports exactly those n as abandoned.
func (s *suite) closeHolding(t *testing.T, ch channel.Channel, n int64) {
	t.Helper()
	err := ch.Close(context.Background())
	var ab *channel.AbandonedError
	switch {
	case err == nil && s.h.Reopen != nil:
	case errors.As(err, &ab) && ab.Events == n && s.h.Reopen == nil:
	default:
		t.Fatalf("Close of a channel holding %d events: %v; want nil from a durable channel (it keeps them), an AbandonedError counting %d from another", n, err, n)
	}
}

func (s *suite) reopenCommitted(t *testing.T) {
	ch := s.open(t, small)
	put(t, ch, events(0, 5)...)
	put(t, ch, events(5, 8)...)
	expect(t, "taken before the restart", take(t, ch, 3), events(0, 3))
	ch = s.reopen(t, ch, small)
	put(t, ch, events(8, 10)...) // puts after the restart go behind the survivors
	expect(t, "events after the restart", drain(t, ch, 10), events(3, 10))
	ch = s.reopen(t, ch, small)
	expect(t, "events after a second restart", drain(t, ch, 10), nil)
}

func (s *suite) reopenUncommittedTakes(t *testing.T) {
	ch := s.open(t, small)
	put(t, ch, events(0, 8)...)
	expect(t, "committed take", take(t, ch, 2), events(0, 2))
	a, b := ch.BeginTake(), ch.BeginTake()
	for name, tx := range map[string]channel.TakeTx{"A": a, "B": b} {
		if got, err := tx.Take(2); err != nil || len(got) != 2 {
			t.Fatalf("%s Take(2): %d events, %v", name, len(got), err)
		}
	}
	ch = s.reopen(t, ch, small)
	// The old instance's transactions are dead; finishing them must not touch the new one.
	a.Rollback()
	_ = b.Commit(context.Background())
	expect(t, "events after the restart", drain(t, ch, 10), events(2, 8))
}

func (s *suite) reopenUncommittedPuts(t *testing.T) {
	ch := s.open(t, small)
	put(t, ch, events(0, 2)...)
	tx := ch.BeginPut()
	if err := tx.Put(events(2, 4)...); err != nil {
		t.Fatalf("Put: %v", err)
	}
	ch = s.reopen(t, ch, small)
	_ = tx.Commit(context.Background()) // the old instance's transaction is dead
	expect(t, "events after the restart", drain(t, ch, 10), events(0, 2))
}

func (s *suite) reopenEmpty(t *testing.T) {
	ch := s.open(t, small)
	ch = s.reopen(t, ch, small)
	expect(t, "events after the restart", drain(t, ch, 10), nil)
	put(t, ch, events(0, 2)...)
	expect(t, "events put after the restart", drain(t, ch, 10), events(0, 2))
}
