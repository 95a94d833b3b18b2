package taildir_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/metrics"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/taildir"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder stands in for the channel processor: it keeps every event it commits and, on
// demand, refuses like a full channel (Deliver then waits and retries, like the real one).
type recorder struct {
	mu      sync.Mutex
	events  []channel.Event
	batches int
	refuse  bool
}

func (r *recorder) Process(_ context.Context, evs []channel.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse {
		return channel.ErrFull
	}
	r.events = append(r.events, evs...)
	r.batches++
	return nil
}

func (r *recorder) Deliver(ctx context.Context, evs []channel.Event) error {
	for {
		err := r.Process(ctx, evs)
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

func (r *recorder) setRefusing(v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refuse = v
}

func (r *recorder) bodies() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = string(e.Body)
	}
	return out
}

func (r *recorder) all() []channel.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]channel.Event(nil), r.events...)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// testConfig is a config tailing pattern with short intervals, so tests run in milliseconds.
func testConfig(dir, pattern string) *taildir.Config {
	c := taildir.Defaults()
	c.FileGroups = []taildir.FileGroup{{Name: "g", Path: filepath.Join(dir, pattern)}}
	c.PositionFile = filepath.Join(dir, "pos", "taildir.json")
	c.PollInterval = 20 * time.Millisecond
	c.WritePosInterval = 20 * time.Millisecond
	c.RotateWait = 100 * time.Millisecond
	return c
}

type running struct {
	rec    *recorder
	m      *metrics.Source
	cancel context.CancelFunc
	done   chan error
}

// run starts a taildir source on cfg; it is stopped at the end of the test if not before.
func run(t *testing.T, cfg *taildir.Config) *running {
	t.Helper()
	return runWith(t, cfg, &recorder{})
}

func runWith(t *testing.T, cfg *taildir.Config, rec *recorder) *running {
	t.Helper()
	m := metrics.NewRegistry("a1").Source("r1", "taildir")
	src, err := taildir.New(cfg, source.Settings{Name: "r1", Type: "taildir", Processor: rec, Metrics: m,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{rec: rec, m: m, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- src.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Errorf("Run: %v", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("source did not stop within 10s")
	}
}

func (r *running) counter(name string) int64 {
	for _, c := range r.m.Component.Values() {
		if c.Name() == name {
			return c.Load()
		}
	}
	return -1
}

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitLines waits until the recorder holds n events.
func waitLines(t *testing.T, r *running, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d events", n), func() bool { return r.rec.count() >= n })
}

func lines(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s%06d", prefix, i))
	}
	return out
}

func appendLines(t *testing.T, path string, ls []string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(ls) > 0 {
		if _, err := f.WriteString(strings.Join(ls, "\n") + "\n"); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sameLines fails unless got is exactly want, in order.
func sameLines(t *testing.T, want, got []string) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("got %d lines, want %d\nfirst got: %.300q", len(got), len(want), got)
	}
	for i := range want {
		if want[i] != got[i] {
			t.Fatalf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// exactlyOnce fails unless got holds every line of want once and nothing else.
func exactlyOnce(t *testing.T, want, got []string) {
	t.Helper()
	count := map[string]int{}
	for _, g := range got {
		count[g]++
	}
	var missing, dup []string
	for _, w := range want {
		switch count[w] {
		case 0:
			missing = append(missing, w)
		case 1:
		default:
			dup = append(dup, w)
		}
		delete(count, w)
	}
	if len(missing) > 0 || len(dup) > 0 || len(count) > 0 {
		t.Fatalf("of %d lines: %d missing (first %q), %d duplicated (first %q), %d unexpected", len(want), len(missing), first(missing), len(dup), first(dup), len(count))
	}
}

func first(xs []string) []string { return xs[:min(len(xs), 5)] }

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
