package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/testkit"
)

// The end-to-end tests build the real agent binary once and drive it the way an operator
// would: through its config files (the ones in examples/), its ports, its files and signals.

var agentBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "flumego-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	agentBin = filepath.Join(dir, "agent")
	args := []string{"build", "-o", agentBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the agent for the end-to-end tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a process's output while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type agentProc struct {
	cmd     *exec.Cmd
	out     *syncBuffer
	done    chan struct{}
	err     error
	metrics string // host:port of /metrics
}

// example returns the path of a file in examples/.
func example(name string) string { return filepath.Join("..", "..", "examples", name) }

// startAgent runs the agent on cfg with env added to its environment (FLUMEGO_METRICS is set to
// a free port) and waits until it reports that it started. The metrics port is picked free just
// before the agent binds it, so another process may take it in between on a busy machine: the
// agent is then started again on another port, a few times at most.
func startAgent(t *testing.T, cfg string, env map[string]string, args ...string) *agentProc {
	t.Helper()
	return startBinary(t, agentBin, cfg, env, args...)
}

// startBinary is startAgent with another build of the agent (plainAgentBin).
func startBinary(t *testing.T, bin, cfg string, env map[string]string, args ...string) *agentProc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p := launchBinary(t, bin, cfg, env, args...)
		if p.waitStarted(t) {
			return p
		}
		if attempt == 3 || !strings.Contains(p.out.String(), "listen on "+p.metrics) {
			t.Fatalf("agent exited during start-up: %v\n%s", p.err, p.out.String())
		}
	}
}

// launchAgent starts the agent and returns at once, while it starts (see waitStarted).
func launchAgent(t *testing.T, cfg string, env map[string]string, args ...string) *agentProc {
	t.Helper()
	return launchBinary(t, agentBin, cfg, env, args...)
}

// waitStarted waits until the agent reports that it started (true) or exited (false).
func (p *agentProc) waitStarted(t *testing.T) bool {
	t.Helper()
	started := false
	waitFor(t, 30*time.Second, "the agent to start", func() bool {
		select {
		case <-p.done:
			return true
		default:
		}
		started = strings.Contains(p.out.String(), "agent started")
		return started
	})
	return started
}

// launchBinary is launchAgent with another build of the agent.
func launchBinary(t *testing.T, bin, cfg string, env map[string]string, args ...string) *agentProc {
	t.Helper()
	p := &agentProc{out: &syncBuffer{}, done: make(chan struct{}), metrics: fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t))}
	p.cmd = exec.Command(bin, append([]string{"-f", cfg, "--drain-timeout", "5s"}, args...)...)
	p.cmd.Env = append(os.Environ(), "FLUMEGO_METRICS="+p.metrics)
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("agent output:\n%s", p.out.String())
		}
	})
	return p
}

// stop sends sig and returns the exit code.
func (p *agentProc) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("agent did not stop within 30s after %v", sig)
	}
	return p.cmd.ProcessState.ExitCode()
}

// metric fetches one Prometheus series value (name with its labels as printed), or -1.
func (p *agentProc) metric(t *testing.T, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, series+" ") {
			var v float64
			fmt.Sscanf(strings.TrimPrefix(line, series+" "), "%g", &v)
			return v
		}
	}
	return -1
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sendLines writes lines to a netcat source and, when acked, reads one "OK" per line.
func sendLines(t *testing.T, addr string, lines []string, acked bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	w := bufio.NewWriter(c)
	errc := make(chan error, 1)
	go func() {
		for _, l := range lines {
			if _, err := w.WriteString(l + "\n"); err != nil {
				errc <- err
				return
			}
		}
		errc <- w.Flush()
	}()
	if acked {
		r := bufio.NewReader(c)
		for i := range lines {
			ack, err := r.ReadString('\n')
			if err != nil || ack != "OK\n" {
				t.Fatalf("ack %d of %d: %q, %v", i+1, len(lines), ack, err)
			}
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !acked {
		_ = c.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, c)
	}
}

// dirLines returns the lines of every file in dir, files in name order (file_roll names
// files by start time and a counter, so name order is write order).
func dirLines(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) < len(names[j])
		}
		return names[i] < names[j]
	})
	var out []string
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if s == "" {
			continue
		}
		out = append(out, strings.Split(strings.TrimSuffix(s, "\n"), "\n")...)
	}
	return out
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%06d", prefix, i)
	}
	return out
}

// assertExactlyOnce checks that got holds every line of want exactly once and nothing else.
func assertExactlyOnce(t *testing.T, want, got []string) {
	t.Helper()
	count := map[string]int{}
	for _, g := range got {
		count[g]++
	}
	var missing, dup int
	for _, w := range want {
		switch count[w] {
		case 0:
			missing++
		case 1:
		default:
			dup++
		}
		delete(count, w)
	}
	if missing > 0 || dup > 0 || len(count) > 0 {
		t.Fatalf("of %d lines: %d missing, %d duplicated, %d unexpected (got %d lines)", len(want), missing, dup, len(count), len(got))
	}
}

// assertOrdered checks that got is a subsequence of want in want's order.
func assertOrdered(t *testing.T, want, got []string) {
	t.Helper()
	pos := map[string]int{}
	for i, w := range want {
		pos[w] = i
	}
	last := -1
	for _, g := range got {
		if pos[g] < last {
			t.Fatalf("line %q is out of order", g)
		}
		last = pos[g]
	}
}
