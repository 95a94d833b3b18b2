package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/metrics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fifo is a minimal in-memory channel for the runner's tests: unbounded, with take errors on
// demand, and Ready signalled on every put commit.
type fifo struct {
	mu      sync.Mutex
	q       []channel.Event
	takeErr error
	sig     channel.Signal
}

func (c *fifo) BeginPut() channel.PutTx         { return &fifoPut{c: c} }
func (c *fifo) BeginTake() channel.TakeTx       { return &fifoTake{c: c} }
func (c *fifo) Ready() <-chan struct{}          { return c.sig.Wait() }
func (c *fifo) Close(ctx context.Context) error { return nil }
func (c *fifo) put(t *testing.T, events ...channel.Event) {
	t.Helper()
	if err := channel.PutBatch(context.Background(), c, events); err != nil {
		t.Fatal(err)
	}
}

func (c *fifo) setTakeErr(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.takeErr = err
}

// contents returns the bodies the channel holds, in order.
func (c *fifo) contents() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return testkit.Bodies(c.q)
}

type fifoPut struct {
	c      *fifo
	staged []channel.Event
	done   bool
}

func (p *fifoPut) Put(events ...channel.Event) error {
	if p.done {
		return channel.ErrTxDone
	}
	p.staged = append(p.staged, events...)
	return nil
}

func (p *fifoPut) Commit(context.Context) error {
	if p.done {
		return channel.ErrTxDone
	}
	p.done = true
	p.c.mu.Lock()
	p.c.q = append(p.c.q, p.staged...)
	p.c.mu.Unlock()
	p.c.sig.Notify()
	return nil
}

func (p *fifoPut) Rollback() { p.done = true }

type fifoTake struct {
	c     *fifo
	taken []channel.Event
	done  bool
}

func (t *fifoTake) Take(max int) ([]channel.Event, error) {
	if t.done {
		return nil, channel.ErrTxDone
	}
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.c.takeErr != nil {
		return nil, t.c.takeErr
	}
	n := min(max, len(t.c.q))
	out := slices.Clone(t.c.q[:n])
	t.c.q = t.c.q[n:]
	t.taken = append(t.taken, out...)
	return out, nil
}

func (t *fifoTake) Commit(context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	return nil
}

func (t *fifoTake) Rollback() {
	if t.done {
		return
	}
	t.done = true
	t.c.mu.Lock()
	t.c.q = append(slices.Clone(t.taken), t.c.q...)
	t.c.mu.Unlock()
}

// flaky is a sink that fails on demand and records what it accepted. Its writes are
// all-or-nothing, so every accepted event was delivered exactly once.
type flaky struct {
	mu       sync.Mutex
	failing  bool
	failNext int         // fail this many more writes, then heal
	block    bool        // wait for ctx to end, then fail with its error
	batches  [][]string  // accepted batches' bodies
	attempts []time.Time // when each write was tried
	closed   int
}

var errDown = errors.New("destination down")

func (f *flaky) Write(ctx context.Context, events []channel.Event) error {
	f.mu.Lock()
	f.attempts = append(f.attempts, time.Now())
	block := f.block
	fail := f.failing || f.failNext > 0
	if f.failNext > 0 {
		f.failNext--
	}
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	if fail {
		return errDown
	}
	f.mu.Lock()
	f.batches = append(f.batches, testkit.Bodies(events))
	f.mu.Unlock()
	return nil
}

func (f *flaky) Close(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
	return nil
}

func (f *flaky) setFailing(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing = v
}

// delivered returns every body accepted, in order.
func (f *flaky) delivered() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, b := range f.batches {
		out = append(out, b...)
	}
	return out
}

func (f *flaky) batchCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.batches)
}

func (f *flaky) attemptTimes() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.attempts)
}

// numbered returns events with bodies "from" .. "from+n-1".
func numbered(from, n int) []channel.Event {
	out := make([]channel.Event, n)
	for i := range out {
		out[i] = channel.Event{Body: []byte(strconv.Itoa(from + i))}
	}
	return out
}

func numberedBodies(from, n int) []string { return testkit.Bodies(numbered(from, n)) }

// member returns a group member over sink s with fresh metrics.
func member(name string, s Sink) Member {
	return Member{Name: name, Sink: s, Metrics: metrics.NewRegistry("a1").Sink(name, "flaky")}
}

// logRecorder keeps the log records written through its handler.
type logRecorder struct {
	mu      sync.Mutex
	records []string // "LEVEL message key=value ..."
}

func (l *logRecorder) logger() *slog.Logger { return slog.New(&recordHandler{l: l}) }

func (l *logRecorder) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.records)
}

// count returns how many records at level contain substr in their message.
func (l *logRecorder) count(level slog.Level, substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if strings.HasPrefix(r, level.String()+" ") && strings.Contains(r, substr) {
			n++
		}
	}
	return n
}

type recordHandler struct {
	l     *logRecorder
	attrs []slog.Attr
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	s := r.Level.String() + " " + r.Message
	for _, a := range h.attrs {
		s += fmt.Sprintf(" %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		s += fmt.Sprintf(" %s=%v", a.Key, a.Value)
		return true
	})
	h.l.mu.Lock()
	h.l.records = append(h.l.records, s)
	h.l.mu.Unlock()
	return nil
}
func (h *recordHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &recordHandler{l: h.l, attrs: append(slices.Clone(h.attrs), as...)}
}
func (h *recordHandler) WithGroup(string) slog.Handler { return h }
