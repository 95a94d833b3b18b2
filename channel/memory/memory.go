// Package memory is the memory channel: Flume's MemoryChannel, a bounded FIFO held in the agent's
// memory. It is fast and loses what it holds when the process dies, so it suits flows where a
// few seconds of events may be lost on a crash; use the file channel otherwise.
//
//	channel "memory" "c1" {
//	  capacity                        = 20000    # events (Flume's default: 100)
//	  transaction_capacity            = 10000    # events per put or take (Flume's: 100)
//	  byte_capacity                   = "128MiB" # body bytes; 0 = no limit
//	  byte_capacity_buffer_percentage = 20      # share of byte_capacity kept for headers
//	  keep_alive                      = "3s"    # how long a full channel makes a put commit wait
//	}
//
// Semantics follow Flume's. Room is reserved when a put commits and released when a take commits:
// events a sink has taken but not committed still count against capacity and byte_capacity, so a
// take rollback always has room to hand them back. A put commit that finds no room waits up to
// keep_alive, waking as soon as a take commit frees enough, then fails with channel.ErrFull and
// leaves the channel unchanged. Only bodies count against byte_capacity, as in Flume; bodies may
// fill byte_capacity less byte_capacity_buffer_percentage, the rest being the margin for what the
// count leaves out (Flume counts in 100-byte slots; we count exact bytes).
//
// Events come out in the order their puts committed. A take rollback hands its events back to the
// head ahead of newer events; when several takers roll back, their events are merged back by
// commit order, whatever order the rollbacks happen in.
//
// The counters are Flume's: EventPutAttemptCount counts events staged by Put and
// EventPutSuccessCount those committed; EventTakeAttemptCount counts what a Flume sink's take()
// loop would have counted (one attempt per event handed out, plus one for the slot that found the
// channel empty or the transaction full), EventTakeSuccessCount the events whose take committed;
// ChannelSize is the number of events waiting to be taken.
//
// The deque grows with what it holds, and gives a burst's memory back once it has drained and not
// needed to grow for a minute, so a channel with a capacity of a million events costs next to
// nothing while idle.
package memory

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/metrics"
)

// memChannel is the channel. All queue state is guarded by mu; the transactions stage their
// events without it and take it once per Take call and once per Commit.
type memChannel struct {
	name      string // "memory c1", for errors and logs
	chName    string // "c1", for what Close reports
	log       *slog.Logger
	m         *metrics.Channel
	capacity  int
	txCap     int
	byteLimit int64 // 0: no byte limit
	keepAlive time.Duration
	minRing   int // the deque never shrinks below this, see New and maybeShrink

	bufs   sync.Pool      // *batch, the transactions' staging buffers
	ready  channel.Signal // notified on each put commit
	room   channel.Signal // notified when a take commit frees room and a put is waiting
	closed atomic.Bool    // read without mu by Put; written under mu

	mu       sync.Mutex
	q        ring
	used     int       // events counted against capacity: queued plus taken and not committed
	bytes    int64     // body bytes counted against the byte limit, likewise
	nextSeq  uint64    // sequence number of the next event committed
	waiters  int       // put commits waiting for room
	resized  time.Time // when the deque last grew or shrank
	inFlight int       // events taken and not committed (for the count Close logs)
}

// batch is a transaction's buffer: events staged by a put, or handed out by a take with their
// sequence numbers. Buffers are pooled per channel, so a transaction allocates only itself.
type batch struct {
	ev    []channel.Event
	seq   []uint64
	bytes int64
}

// New returns a memory channel. cfg is validated again, for callers that build it in code.
func New(cfg *Config, set channel.Settings) (channel.Channel, error) {
	name := "memory " + set.Name
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	log := set.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := set.Metrics
	if m == nil {
		m = metrics.NewRegistry("").Channel(set.Name, "memory")
	}
	c := &memChannel{
		name:      name,
		chName:    set.Name,
		log:       log,
		m:         m,
		capacity:  cfg.Capacity,
		txCap:     cfg.TxCapacity,
		byteLimit: cfg.byteLimit(),
		keepAlive: cfg.KeepAlive,
		// A deque that holds a few transactions' worth never shrinks, so a steady flow of
		// batches does not re-allocate it on every round.
		minRing: min(cfg.Capacity, max(minRing, 4*cfg.TxCapacity)),
		nextSeq: 1,
	}
	c.bufs.New = func() any { return new(batch) }
	m.ChannelCapacity.Set(int64(cfg.Capacity))
	m.ChannelSize.Set(0)
	return c, nil
}

func (c *memChannel) getBatch() *batch { return c.bufs.Get().(*batch) }

// putBatch empties b, dropping its references to events, and pools it.
func (c *memChannel) putBatch(b *batch) {
	clear(b.ev)
	b.ev, b.seq, b.bytes = b.ev[:0], b.seq[:0], 0
	c.bufs.Put(b)
}

func (c *memChannel) errClosed(op string) error {
	return fmt.Errorf("%s: %s: %w", c.name, op, channel.ErrClosed)
}

func (c *memChannel) errDone(op string) error {
	return fmt.Errorf("%s: %s: %w", c.name, op, channel.ErrTxDone)
}

// BeginPut starts a put transaction.
func (c *memChannel) BeginPut() channel.PutTx { return &putTx{c: c} }

// BeginTake starts a take transaction.
func (c *memChannel) BeginTake() channel.TakeTx { return &takeTx{c: c} }

// Ready returns a channel closed by the next put commit (or by Close). It does not fire for
// events already waiting, nor for a take rollback: a sink that just rolled back is backing off
// from its destination and must not be woken by its own events.
func (c *memChannel) Ready() <-chan struct{} { return c.ready.Wait() }

// Close abandons what the channel holds, logging how many events that is and returning a
// *channel.AbandonedError counting them, and makes every later operation fail with
// channel.ErrClosed; a put commit waiting for room returns at once.
func (c *memChannel) Close(context.Context) error {
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return nil
	}
	c.closed.Store(true)
	queued, inFlight, bytes := c.q.n, c.inFlight, c.bytes
	c.q = ring{}
	c.used, c.bytes, c.inFlight = 0, 0, 0
	c.m.ChannelSize.Set(0)
	c.mu.Unlock()
	c.room.Notify()
	c.ready.Notify()
	if queued+inFlight == 0 {
		return nil
	}
	c.log.Warn("memory channel closed with events not delivered; they are lost",
		"abandoned", queued+inFlight, "queued", queued, "taken_uncommitted", inFlight, "bytes", bytes)
	return &channel.AbandonedError{Channel: c.chName, Events: int64(queued + inFlight), Bytes: bytes}
}

// fits reports whether n more events of the given body bytes fit now. Called with mu held.
func (c *memChannel) fits(n int, bytes int64) bool {
	return c.used+n <= c.capacity && (c.byteLimit == 0 || c.bytes+bytes <= c.byteLimit)
}

// shrinkAfter is how long the deque must have had no need to grow before a take that finds it
// mostly empty gives the memory back. Resizing then costs at most one copy a minute, so a flow
// that swings between a full and an empty channel never re-allocates on every swing.
const shrinkAfter = time.Minute

// maybeShrink gives back the memory of a past burst. Called with mu held, by takes, so a sink
// polling an idle channel is enough to release it.
func (c *memChannel) maybeShrink() {
	if !c.q.oversized(c.minRing) {
		return
	}
	if now := time.Now(); now.Sub(c.resized) >= shrinkAfter {
		c.q.shrink(c.minRing)
		c.resized = now
	}
}

// commitPut appends b to the queue. Called with mu held, after fits.
func (c *memChannel) commitPut(b *batch) {
	n := len(b.ev)
	if c.q.n+n > len(c.q.ev) {
		c.q.reserve(n, c.capacity)
		c.resized = time.Now()
	}
	c.q.push(b.ev, c.nextSeq)
	c.nextSeq += uint64(n)
	c.used += n
	c.bytes += b.bytes
	c.m.ChannelSize.Set(int64(c.q.n))
}

// putTx is a put transaction. Like every transaction it belongs to one goroutine at a time.
type putTx struct {
	c    *memChannel
	b    *batch // nil until the first Put
	done bool
}

// Put stages events. A call that would take the transaction past transaction_capacity stages
// none of its events and returns channel.ErrTxFull.
func (tx *putTx) Put(events ...channel.Event) error {
	c := tx.c
	switch {
	case tx.done:
		return c.errDone("put")
	case c.closed.Load():
		return c.errClosed("put")
	case len(events) == 0:
		return nil
	}
	if tx.b == nil {
		tx.b = c.getBatch()
	}
	if len(tx.b.ev)+len(events) > c.txCap {
		return fmt.Errorf("%s: put of %d events to a transaction holding %d: %w (transaction_capacity %d)",
			c.name, len(events), len(tx.b.ev), channel.ErrTxFull, c.txCap)
	}
	tx.b.ev = append(tx.b.ev, events...)
	for i := range events {
		tx.b.bytes += int64(len(events[i].Body))
	}
	c.m.EventPutAttemptCount.Add(int64(len(events)))
	return nil
}

// Commit makes the staged events visible to takers, waiting up to keep_alive for room.
func (tx *putTx) Commit(ctx context.Context) error {
	c := tx.c
	if tx.done {
		return c.errDone("put commit")
	}
	defer tx.finish()
	if tx.b == nil || len(tx.b.ev) == 0 {
		if c.closed.Load() {
			return c.errClosed("put commit")
		}
		return nil
	}
	n, bytes := len(tx.b.ev), tx.b.bytes
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return c.errClosed("put commit")
	}
	if c.fits(n, bytes) {
		c.commitPut(tx.b)
		c.mu.Unlock()
		c.m.EventPutSuccessCount.Add(int64(n))
		c.ready.Notify()
		return nil
	}
	if c.byteLimit > 0 && bytes > c.byteLimit {
		c.mu.Unlock()
		return fmt.Errorf("%s: put commit of %d events: %w: their %d body bytes exceed what byte_capacity leaves for bodies (%d), however much is taken",
			c.name, n, channel.ErrTooLarge, bytes, c.byteLimit)
	}
	return tx.wait(ctx, n, bytes) // unlocks mu
}

// wait waits, with mu held, until the batch fits, keep_alive passes, ctx ends or the channel
// closes; it commits the batch in the first case. It returns with mu released.
func (tx *putTx) wait(ctx context.Context, n int, bytes int64) error {
	c := tx.c
	var expired <-chan time.Time
	if c.keepAlive > 0 {
		t := time.NewTimer(c.keepAlive)
		defer t.Stop()
		expired = t.C
	}
	var cause error
	for expired != nil && cause == nil {
		// Registering with room before releasing mu means a take commit that frees room after
		// this check cannot slip past unnoticed.
		wake := c.room.Wait()
		c.waiters++
		c.mu.Unlock()
		select {
		case <-wake:
		case <-expired:
			expired = nil
		case <-ctx.Done():
			cause = ctx.Err()
		}
		c.mu.Lock()
		c.waiters--
		if c.closed.Load() {
			c.mu.Unlock()
			return c.errClosed("put commit")
		}
		if c.fits(n, bytes) {
			c.commitPut(tx.b)
			c.mu.Unlock()
			c.m.EventPutSuccessCount.Add(int64(n))
			c.ready.Notify()
			return nil
		}
	}
	state := fmt.Sprintf("%d of %d events in use", c.used, c.capacity)
	if c.byteLimit > 0 {
		state += fmt.Sprintf(", %d of %d body bytes", c.bytes, c.byteLimit)
	}
	c.mu.Unlock()
	if cause != nil {
		return fmt.Errorf("%s: put commit of %d events: %w (%s): gave up waiting for room: %w",
			c.name, n, channel.ErrFull, state, cause)
	}
	return fmt.Errorf("%s: put commit of %d events: %w (%s) after waiting keep_alive %s",
		c.name, n, channel.ErrFull, state, c.keepAlive)
}

// Rollback discards the staged events.
func (tx *putTx) Rollback() {
	if !tx.done {
		tx.finish()
	}
}

func (tx *putTx) finish() {
	tx.done = true
	if tx.b != nil {
		tx.c.putBatch(tx.b)
		tx.b = nil
	}
}

// takeTx is a take transaction.
type takeTx struct {
	c    *memChannel
	b    *batch // nil until something is taken
	done bool
}

// Take hands out up to max events from the head without blocking, and no more than
// transaction_capacity in the whole transaction: once the transaction holds that many, Take
// returns channel.ErrTxFull.
func (tx *takeTx) Take(max int) ([]channel.Event, error) {
	c := tx.c
	switch {
	case tx.done:
		return nil, c.errDone("take")
	case c.closed.Load():
		return nil, c.errClosed("take")
	case max <= 0:
		return nil, nil
	}
	held := 0
	if tx.b != nil {
		held = len(tx.b.ev)
	}
	if held >= c.txCap {
		c.m.EventTakeAttemptCount.Inc()
		return nil, fmt.Errorf("%s: take from a transaction holding %d events: %w (transaction_capacity %d)",
			c.name, held, channel.ErrTxFull, c.txCap)
	}
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return nil, c.errClosed("take")
	}
	k := min(max, c.txCap-held, c.q.n)
	if k == 0 {
		c.maybeShrink()
		c.mu.Unlock()
		c.m.EventTakeAttemptCount.Inc()
		return nil, nil
	}
	if tx.b == nil {
		tx.b = c.getBatch()
	}
	tx.b.ev, tx.b.seq = c.q.pop(k, tx.b.ev, tx.b.seq)
	c.inFlight += k
	c.maybeShrink()
	c.m.ChannelSize.Set(int64(c.q.n))
	c.mu.Unlock()
	taken := tx.b.ev[held:]
	for i := range taken {
		tx.b.bytes += int64(len(taken[i].Body))
	}
	attempts := k
	if k < max {
		attempts++ // the take() that found nothing more, in Flume's loop
	}
	c.m.EventTakeAttemptCount.Add(int64(attempts))
	return taken[:k:k], nil
}

// Commit forgets the events taken, freeing their room for waiting puts.
func (tx *takeTx) Commit(context.Context) error {
	c := tx.c
	if tx.done {
		return c.errDone("take commit")
	}
	defer tx.finish()
	if tx.b == nil {
		if c.closed.Load() {
			return c.errClosed("take commit")
		}
		return nil
	}
	n := len(tx.b.ev)
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return c.errClosed("take commit")
	}
	c.used -= n
	c.bytes -= tx.b.bytes
	c.inFlight -= n
	wake := c.waiters > 0
	c.mu.Unlock()
	c.m.EventTakeSuccessCount.Add(int64(n))
	if wake {
		c.room.Notify()
	}
	return nil
}

// Rollback hands the events taken back to the head, in commit order, ahead of newer events.
// Their room was never released, so they always fit.
func (tx *takeTx) Rollback() {
	if tx.done {
		return
	}
	defer tx.finish()
	if tx.b == nil {
		return
	}
	c := tx.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return
	}
	size := len(c.q.ev)
	c.q.unget(tx.b.ev, tx.b.seq, c.capacity)
	if len(c.q.ev) != size {
		c.resized = time.Now()
	}
	c.inFlight -= len(tx.b.ev)
	c.m.ChannelSize.Set(int64(c.q.n))
}

func (tx *takeTx) finish() {
	tx.done = true
	if tx.b != nil {
		tx.c.putBatch(tx.b)
		tx.b = nil
	}
}
