package channeltest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
)

// refChannel is a deliberately simple durable channel, the suite's reference: a "disk" of events
// in commit order that survives Reopen, and per instance the set of events taken but not
// committed. mutant breaks one rule on purpose, to show the suite notices.
type refChannel struct {
	d        *disk
	o        Options
	mutant   string
	closed   bool            // guarded by d.mu
	inFlight map[uint64]bool // guarded by d.mu
	ready    channel.Signal
}

type disk struct {
	mu      sync.Mutex
	events  []stored // committed and not taken for good, in sequence order
	nextSeq uint64
	room    channel.Signal
}

type stored struct {
	seq uint64
	ev  channel.Event
}

func newRef(d *disk, o Options, mutant string) *refChannel {
	return &refChannel{d: d, o: o, mutant: mutant, inFlight: map[uint64]bool{}}
}

func (c *refChannel) BeginPut() channel.PutTx   { return &refPut{c: c} }
func (c *refChannel) BeginTake() channel.TakeTx { return &refTake{c: c} }
func (c *refChannel) Ready() <-chan struct{}    { return c.ready.Wait() }
func (c *refChannel) Close(ctx context.Context) error {
	c.d.mu.Lock()
	c.closed = true
	c.d.mu.Unlock()
	c.d.room.Notify()
	return nil
}

type refPut struct {
	c      *refChannel
	staged []channel.Event
	done   bool
}

func (tx *refPut) Put(evs ...channel.Event) error {
	if tx.done {
		return channel.ErrTxDone
	}
	tx.c.d.mu.Lock()
	closed := tx.c.closed
	tx.c.d.mu.Unlock()
	if closed {
		return channel.ErrClosed
	}
	if len(tx.staged)+len(evs) > tx.c.o.TransactionCapacity {
		return channel.ErrTxFull
	}
	tx.staged = append(tx.staged, evs...)
	return nil
}

func (tx *refPut) Commit(ctx context.Context) error {
	if tx.done {
		return channel.ErrTxDone
	}
	tx.done = true
	c, d := tx.c, tx.c.d
	timer := time.NewTimer(c.o.KeepAlive)
	defer timer.Stop()
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		if c.closed {
			return channel.ErrClosed
		}
		if len(d.events)+len(tx.staged) <= c.o.Capacity || c.mutant == "unbounded" {
			for _, e := range tx.staged {
				d.events = append(d.events, stored{d.nextSeq, e})
				d.nextSeq++
			}
			c.ready.Notify()
			return nil
		}
		if c.mutant == "no wait" {
			return channel.ErrFull
		}
		wake := d.room.Wait()
		d.mu.Unlock()
		var err error
		select {
		case <-wake:
		case <-timer.C:
			err = channel.ErrFull
		case <-ctx.Done():
			err = fmt.Errorf("%w: %w", channel.ErrFull, ctx.Err())
		}
		d.mu.Lock()
		if err != nil && len(d.events)+len(tx.staged) > c.o.Capacity {
			return err
		}
	}
}

func (tx *refPut) Rollback() { tx.done = true }

type refTake struct {
	c     *refChannel
	taken []uint64
	done  bool
}

func (tx *refTake) Take(max int) ([]channel.Event, error) {
	if tx.done {
		return nil, channel.ErrTxDone
	}
	c, d := tx.c, tx.c.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if c.closed {
		return nil, channel.ErrClosed
	}
	if len(tx.taken) >= c.o.TransactionCapacity {
		return nil, channel.ErrTxFull
	}
	max = min(max, c.o.TransactionCapacity-len(tx.taken))
	order := slices.Clone(d.events)
	if c.mutant == "lifo" {
		slices.Reverse(order)
	}
	var out []channel.Event
	for _, s := range order {
		if len(out) == max {
			break
		}
		if !c.inFlight[s.seq] {
			c.inFlight[s.seq] = true
			tx.taken = append(tx.taken, s.seq)
			out = append(out, s.ev)
		}
	}
	return out, nil
}

func (tx *refTake) Commit(ctx context.Context) error {
	if tx.done {
		return channel.ErrTxDone
	}
	tx.done = true
	c, d := tx.c, tx.c.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if c.closed {
		return channel.ErrClosed
	}
	d.events = slices.DeleteFunc(d.events, func(s stored) bool { return slices.Contains(tx.taken, s.seq) })
	for _, s := range tx.taken {
		delete(c.inFlight, s)
	}
	if c.mutant != "commit frees no room" {
		d.room.Notify()
	}
	return nil
}

func (tx *refTake) Rollback() {
	if tx.done && tx.c.mutant != "rollback after commit" {
		return
	}
	tx.done = true
	c, d := tx.c, tx.c.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if c.closed {
		return
	}
	for _, s := range tx.taken {
		delete(c.inFlight, s)
		if c.mutant == "rollback to tail" || c.mutant == "rollback after commit" {
			i := slices.IndexFunc(d.events, func(e stored) bool { return e.seq == s })
			var ev channel.Event
			if i >= 0 {
				ev = d.events[i].ev
				d.events = slices.Delete(d.events, i, i+1)
			}
			d.events = append(d.events, stored{d.nextSeq, ev})
			d.nextSeq++
		}
	}
}

// refHarness opens reference channels; mutant selects a broken variant.
func refHarness(mutant string) Harness {
	return Harness{
		Open: func(t *testing.T, o Options) channel.Channel { return newRef(&disk{nextSeq: 1}, o, mutant) },
		Reopen: func(t *testing.T, ch channel.Channel, o Options) channel.Channel {
			old := ch.(*refChannel)
			_ = old.Close(context.Background())
			if mutant == "reopen loses taken" {
				old.d.mu.Lock()
				old.d.events = slices.DeleteFunc(old.d.events, func(s stored) bool { return old.inFlight[s.seq] })
				old.d.mu.Unlock()
			}
			return newRef(old.d, o, mutant)
		},
	}
}

// TestReference runs the suite against the reference channel, durable checks included.
func TestReference(t *testing.T) { Run(t, refHarness("")) }

// TestMutantHelper is run by TestSuiteCatchesMutants in a child process.
func TestMutantHelper(t *testing.T) {
	mutant := os.Getenv("CHANNELTEST_MUTANT")
	if mutant == "" {
		t.Skip("run by TestSuiteCatchesMutants")
	}
	Run(t, refHarness(mutant))
}

// TestSuiteCatchesMutants shows the suite fails channels that break the contract: each mutant of
// the reference channel breaks one rule, and the check for that rule must fail.
func TestSuiteCatchesMutants(t *testing.T) {
	mutants := []struct{ mutant, check string }{
		{"lifo", "put then take returns the same events in order"},
		{"rollback to tail", "take rollback returns events to the head in order"},
		{"rollback after commit", "take transaction finishes once"},
		{"no wait", "full channel refuses put after keep alive"},
		{"unbounded", "full channel refuses put after keep alive"},
		{"commit frees no room", "waiting put succeeds when a take commits"},
		{"reopen loses taken", "reopen returns uncommitted takes in order"},
	}
	for _, m := range mutants {
		t.Run(m.mutant, func(t *testing.T) {
			t.Parallel()
			sub := regexp.MustCompile(`\s`).ReplaceAllString(m.check, "_")
			cmd := exec.Command(os.Args[0], "-test.run=^TestMutantHelper$/^"+regexp.QuoteMeta(sub)+"$", "-test.v", "-test.short")
			cmd.Env = append(os.Environ(), "CHANNELTEST_MUTANT="+m.mutant)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a channel with mutant %q:\n%s", m.mutant, out)
			}
			if !regexp.MustCompile(`--- FAIL: TestMutantHelper/` + regexp.QuoteMeta(sub)).Match(out) {
				t.Fatalf("check %q did not fail for mutant %q:\n%s", m.check, m.mutant, out)
			}
		})
	}
}
