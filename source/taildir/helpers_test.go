package taildir_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/taildir"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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
	rec  *sourcetest.Processor
	m    *metrics.Source
	stop func() // cancels Run and waits for it
}

// run starts a taildir source on cfg; it is stopped at the end of the test if not before.
func run(t *testing.T, cfg *taildir.Config) *running {
	t.Helper()
	return runWith(t, cfg, &sourcetest.Processor{})
}

// runWith is run with a processor of the test's own, and changes to the source before it runs.
func runWith(t *testing.T, cfg *taildir.Config, rec *sourcetest.Processor, before ...func(source.Source)) *running {
	t.Helper()
	m := metrics.NewRegistry("a1").Source("r1", "taildir")
	src, err := taildir.New(cfg, source.Settings{Name: "r1", Type: "taildir", Processor: rec, Metrics: m,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range before {
		f(src)
	}
	return &running{rec: rec, m: m, stop: sourcetest.Run(t, src, 10*time.Second)}
}

func (r *running) counter(name string) int64 { return testkit.Counter(r.m.Component, name) }

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.WaitFor(t, 10*time.Second, what, cond)
}

// waitLines waits until the processor holds n events.
func waitLines(t *testing.T, r *running, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d events", n), func() bool { return r.rec.Count() >= n })
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
