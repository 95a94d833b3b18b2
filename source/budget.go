package source

import (
	"context"
	"sync"
	"time"

	"github.com/flumego/flumego/metrics"
)

// Budget bounds the bytes that network sources hold in flight: read from clients (a frame, a
// request body, a read buffer) and not yet handed to the channels. The agent makes one budget
// (max_inflight_bytes in the agent block) and gives it to every source in Settings.InFlight; a
// source's own max_inflight_bytes is a child budget that also draws from the agent's
// (Settings.Budget). A source reserves bytes before it allocates them and releases them once the
// call is answered, so memory stays bounded however many clients connect. Beyond the budget, a
// call waits (the source stops reading, and TCP slows its client down) or is refused with the
// protocol's retryable answer (HTTP 503).
//
// Three rules keep it from deadlocking: a reservation is always granted when nothing else is in
// flight (so a call larger than the whole budget still goes through, alone); calls that already
// hold part of the budget are served before calls that hold none, so what has begun can finish;
// and among each kind the order is first come, first served. A nil *Budget is no bound at all.
type Budget struct {
	parent *Budget
	gauge  *metrics.Counter // InflightBytes; nil for the agent's budget
	waits  *metrics.Counter // InflightWaitCount; nil for the agent's budget

	mu    sync.Mutex
	limit int64 // 0: no limit of its own
	used  int64
	// Waiting reservations: those that already hold bytes first, then new ones.
	holding, fresh []*waiter
}

type waiter struct {
	n, held int64
	ready   chan struct{} // closed when granted
}

// NewBudget returns the agent's budget of limit bytes (0: unlimited).
func NewBudget(limit int64) *Budget { return &Budget{limit: max(limit, 0)} }

// Budget returns the budget of the source: its own limit of limit bytes (0: none of its own)
// within the agent's Settings.InFlight, counted on the source's metrics as InflightBytes (a
// gauge of the bytes reserved now) and InflightWaitCount (reservations that had to wait, or
// were refused).
func (s Settings) Budget(limit int64) *Budget {
	b := &Budget{parent: s.InFlight, limit: max(limit, 0)}
	if s.Metrics != nil {
		b.gauge = s.Metrics.Component.Gauge("InflightBytes")
		b.waits = s.Metrics.Component.Counter("InflightWaitCount")
	}
	return b
}

// SetLimit changes the limit (a reload); waiting reservations that now fit are granted.
func (b *Budget) SetLimit(limit int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.limit = max(limit, 0)
	b.grant()
	b.mu.Unlock()
}

// Limit is the budget's own limit (0: none).
func (b *Budget) Limit() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit
}

// Used is how many bytes are reserved now.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// fits reports whether n more bytes may be granted to a caller that holds held. Called with mu
// held.
func (b *Budget) fits(n, held int64) bool {
	return b.limit == 0 || b.used+n <= b.limit || b.used == held
}

// tryAcquire takes n bytes here and in every parent, or nothing. Waiting callers come first.
func (b *Budget) tryAcquire(n, held int64) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	ok := len(b.holding) == 0 && (held > 0 || len(b.fresh) == 0) && b.fits(n, held)
	if ok {
		b.take(n)
	}
	b.mu.Unlock()
	if ok && !b.parent.tryAcquire(n, held) {
		b.giveBack(n)
		return false
	}
	return ok
}

// acquire takes n bytes here, waiting for them until ctx is done, then in the parents.
func (b *Budget) acquire(ctx context.Context, n, held int64) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	if len(b.holding) == 0 && (held > 0 || len(b.fresh) == 0) && b.fits(n, held) {
		b.take(n)
		b.mu.Unlock()
	} else {
		w := &waiter{n: n, held: held, ready: make(chan struct{})}
		if held > 0 {
			b.holding = append(b.holding, w)
		} else {
			b.fresh = append(b.fresh, w)
		}
		b.mu.Unlock()
		select {
		case <-w.ready:
		case <-ctx.Done():
			b.mu.Lock()
			select {
			case <-w.ready: // granted meanwhile: give it back
				b.used -= n
				inc(b.gauge, -n)
			default:
				b.holding = remove(b.holding, w)
				b.fresh = remove(b.fresh, w)
			}
			b.grant() // the waiter may have held up others
			b.mu.Unlock()
			return ctx.Err()
		}
	}
	if err := b.parent.acquire(ctx, n, held); err != nil {
		b.giveBack(n)
		return err
	}
	return nil
}

// release gives back n bytes here and in every parent.
func (b *Budget) release(n int64) {
	for ; b != nil; b = b.parent {
		b.giveBack(n)
	}
}

// giveBack returns n bytes to this budget alone.
func (b *Budget) giveBack(n int64) {
	b.mu.Lock()
	b.used -= n
	inc(b.gauge, -n)
	b.grant()
	b.mu.Unlock()
}

// take counts n granted bytes. Called with mu held.
func (b *Budget) take(n int64) {
	b.used += n
	inc(b.gauge, n)
}

// grant hands bytes to the waiters that fit, in order: holders first, then fresh ones, each
// queue first come first served and never overtaken. Called with mu held.
func (b *Budget) grant() {
	for _, q := range []*[]*waiter{&b.holding, &b.fresh} {
		for len(*q) > 0 {
			w := (*q)[0]
			if !b.fits(w.n, w.held) {
				return
			}
			b.take(w.n)
			close(w.ready)
			*q = (*q)[1:]
		}
	}
}

func remove(q []*waiter, w *waiter) []*waiter {
	for i, x := range q {
		if x == w {
			return append(q[:i], q[i+1:]...)
		}
	}
	return q
}

// Reservation is what one call holds of a budget: it grows as the call is read and is released
// whole once the call is answered. It is used by one goroutine; a reservation on a nil budget
// reserves nothing.
type Reservation struct {
	b *Budget
	n int64
}

// Reserve starts an empty reservation on b.
func (b *Budget) Reserve() Reservation { return Reservation{b: b} }

// Held is how many bytes the reservation holds.
func (r *Reservation) Held() int64 { return r.n }

// TryGrow reserves n more bytes if they are free now, without waiting; a refusal is counted
// (InflightWaitCount).
func (r *Reservation) TryGrow(n int64) bool {
	if r.try(n) {
		return true
	}
	inc(r.b.waits, 1)
	return false
}

// Grow reserves n more bytes, waiting until they are free, ctx is done or deadline (zero: none)
// passes; then it returns the context's error and the reservation is unchanged. A wait is
// counted (InflightWaitCount).
func (r *Reservation) Grow(ctx context.Context, n int64, deadline time.Time) error {
	if r.try(n) {
		return nil
	}
	inc(r.b.waits, 1)
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	if err := r.b.acquire(ctx, n, r.n); err != nil {
		return err
	}
	r.n += n
	return nil
}

func (r *Reservation) try(n int64) bool {
	if n <= 0 || r.b == nil {
		return true
	}
	if !r.b.tryAcquire(n, r.n) {
		return false
	}
	r.n += n
	return true
}

// ShrinkTo gives back what the reservation holds above n.
func (r *Reservation) ShrinkTo(n int64) {
	n = max(n, 0)
	if r.b != nil && r.n > n {
		r.b.release(r.n - n)
		r.n = n
	}
}

// Release gives back everything the reservation holds. It is safe to call again.
func (r *Reservation) Release() { r.ShrinkTo(0) }

// inc adds n to a counter that may be nil.
func inc(c *metrics.Counter, n int64) {
	if c != nil {
		c.Add(n)
	}
}
