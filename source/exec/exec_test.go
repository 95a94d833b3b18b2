package exec_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/exec"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type running struct {
	rec    *sourcetest.Processor
	m      *metrics.Source
	logs   *sourcetest.SyncBuffer
	cancel context.CancelFunc
	done   chan error
	err    error
}

func start(t *testing.T, cfg *exec.Config, rec *sourcetest.Processor) *running {
	t.Helper()
	r := &running{rec: rec, m: metrics.NewRegistry("a1").Source("r1", "exec"), logs: &sourcetest.SyncBuffer{}, done: make(chan error, 1)}
	src, err := exec.New(cfg, source.Settings{Name: "r1", Processor: rec, Metrics: r.m,
		Logger: slog.New(slog.NewTextHandler(r.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- src.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the source and waits for Run to return.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	r.wait(t)
}

// wait waits for Run to return by itself.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	if r.done == nil {
		return r.err
	}
	select {
	case r.err = <-r.done:
		r.done = nil
	case <-time.After(10 * time.Second):
		t.Fatalf("Run did not return within 10s; logs:\n%s", r.logs)
	}
	return r.err
}

func (r *running) counter(name string) int64 { return sourcetest.Counter(r.m.Component, name) }

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	sourcetest.WaitFor(t, 10*time.Second, what, cond)
}

func config(command string) *exec.Config {
	c := exec.Defaults()
	c.Command = command
	return c
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := exec.Defaults()
	c.Shell = "  "
	c.Batch = 0
	c.BatchTimeout = 0
	err := c.Validate()
	for _, attr := range []string{"command", "shell", "batch_size", "batch_timeout"} {
		if err == nil || !strings.Contains(err.Error(), attr+":") {
			t.Errorf("no error about %s in: %v", attr, err)
		}
	}
}

func TestEveryLineOfTheOutputInOrder(t *testing.T) {
	r := start(t, config("seq 1 10000"), &sourcetest.Processor{})
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	got := r.rec.Bodies()
	if len(got) != 10000 || got[0] != "1" || got[9999] != "10000" {
		t.Fatalf("got %d lines: first %q", len(got), got[:min(3, len(got))])
	}
	for i, g := range got {
		if g != strconv.Itoa(i+1) {
			t.Fatalf("line %d = %q", i, g)
		}
	}
	sizes := r.rec.BatchSizes()
	for i, n := range sizes[:len(sizes)-1] {
		if n != 20 {
			t.Fatalf("batch %d holds %d lines, want batch_size 20", i, n)
		}
	}
	if r.counter("CommandExitCount") != 1 || r.counter("CommandFailCount") != 0 || r.counter("CommandExitStatus") != 0 {
		t.Errorf("exit counters: %d exits, %d failures, status %d", r.counter("CommandExitCount"), r.counter("CommandFailCount"), r.counter("CommandExitStatus"))
	}
}

func TestShellAndLineEnds(t *testing.T) {
	c := config(`printf 'one\r\ntwo\n\nlast'`)
	c.Shell = "/bin/sh -c"
	r := start(t, c, &sourcetest.Processor{})
	r.wait(t)
	got := r.rec.Bodies()
	want := []string{"one", "two", "", "last"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestBatchTimeoutDeliversAPartialBatch(t *testing.T) {
	c := config("echo early; exec sleep 1000")
	c.Shell = "/bin/sh -c"
	c.BatchTimeout = 50 * time.Millisecond
	r := start(t, c, &sourcetest.Processor{})
	waitFor(t, "the line before batch_size was reached", func() bool { return r.rec.Count() == 1 })
	r.stop(t)
}

func TestExitStatusIsLoggedAndCounted(t *testing.T) {
	c := config("echo bye; exit 3")
	c.Shell = "/bin/sh -c"
	r := start(t, c, &sourcetest.Processor{})
	r.wait(t)
	if r.counter("CommandFailCount") != 1 || r.counter("CommandExitStatus") != 3 {
		t.Errorf("%d failures, last status %d; want 1 and 3", r.counter("CommandFailCount"), r.counter("CommandExitStatus"))
	}
	if !strings.Contains(r.logs.String(), "status=3") {
		t.Errorf("exit status not logged:\n%s", r.logs)
	}
}

func TestACommandThatDiesIsRestartedAfterTheThrottle(t *testing.T) {
	c := config("echo run; exit 1")
	c.Shell = "/bin/sh -c"
	c.Restart = true
	c.RestartThrottle = 200 * time.Millisecond
	r := start(t, c, &sourcetest.Processor{})
	t0 := time.Now()
	waitFor(t, "three runs", func() bool { return r.rec.Count() >= 3 })
	// Two restarts, each after 100-200ms (the throttle, jittered).
	if el := time.Since(t0); el < 200*time.Millisecond {
		t.Errorf("three runs took %v: the throttle (100-200ms between runs) was not kept", el)
	}
	r.stop(t)
	if n := r.counter("CommandStartCount"); n < 3 || r.counter("CommandFailCount") < 2 {
		t.Errorf("%d starts, %d failures", n, r.counter("CommandFailCount"))
	}
}

func TestAStartFailureIsAnErrorWithoutRestart(t *testing.T) {
	r := start(t, config("/nonexistent/command"), &sourcetest.Processor{})
	if err := r.wait(t); err == nil || !strings.Contains(err.Error(), "/nonexistent/command") {
		t.Fatalf("Run = %v, want the start error", err)
	}
}

func TestStoppingKillsTheWholeProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	// A shell with two children of its own, one ignoring SIGTERM.
	c := config(fmt.Sprintf(`echo $$ > %s; sleep 1000 & (trap "" TERM; sleep 1000) & echo started; wait`, pidFile))
	c.Shell = "/bin/sh -c"
	c.BatchTimeout = 10 * time.Millisecond
	r := start(t, c, &sourcetest.Processor{})
	waitFor(t, "the command to start", func() bool { return r.rec.Count() == 1 })
	b, _ := os.ReadFile(pidFile)
	pgid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	r.stop(t)
	// Our child, the shell, was waited for: it is not left as a zombie.
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pgid)); err == nil {
		t.Fatalf("process %d is still in /proc (a zombie)", pgid)
	}
	// Its children, the one that ignores SIGTERM too, die with the group.
	waitFor(t, "every process of the group to die", func() bool { return liveInGroup(pgid) == 0 })
}

// liveInGroup counts the processes of group pgid that are not dead (zombies of orphans wait
// for init to reap them and count as dead).
func liveInGroup(pgid int) int {
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			n++
		}
	}
	return n
}

func TestFullChannelBlocksTheCommandAndDropsNothing(t *testing.T) {
	rec := &sourcetest.Processor{Refusing: true}
	c := config("seq 1 200000")
	c.Batch = 1000
	r := start(t, c, rec)
	time.Sleep(200 * time.Millisecond)
	if rec.Count() != 0 {
		t.Fatal("events went through a full channel")
	}
	rec.SetRefusing(false)
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	got := rec.Bodies()
	if len(got) != 200000 || got[199999] != "200000" {
		t.Fatalf("got %d lines", len(got))
	}
}

func TestLogStderr(t *testing.T) {
	c := config("echo out; echo oops >&2")
	c.Shell = "/bin/sh -c"
	c.LogStderr = true
	r := start(t, c, &sourcetest.Processor{})
	r.wait(t)
	if !strings.Contains(r.logs.String(), `msg="command stderr"`) || !strings.Contains(r.logs.String(), "line=oops") {
		t.Errorf("stderr not logged:\n%s", r.logs)
	}
	if got := r.rec.Bodies(); len(got) != 1 || got[0] != "out" {
		t.Errorf("events = %q", got)
	}
}

func TestLongLinesAreSplit(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("x", 1<<20) + "yz"
	os.WriteFile(filepath.Join(dir, "in"), []byte(long+"\nshort\n"), 0o644)
	r := start(t, config("cat "+filepath.Join(dir, "in")), &sourcetest.Processor{})
	r.wait(t)
	got := r.rec.Bodies()
	if len(got) != 3 || got[0] != long[:1<<20] || got[1] != "yz" || got[2] != "short" {
		t.Fatalf("got %d events", len(got))
	}
	if r.counter("LongLineCount") != 1 {
		t.Errorf("LongLineCount = %d", r.counter("LongLineCount"))
	}
}
