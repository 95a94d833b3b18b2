package main

// The end-to-end test builds this module's agent binary, runs it on custom.hcl, sends lines to
// its netcat source and checks that the custom interceptor routed each one to the right custom
// sink's file. It uses nothing of flumego's own test helpers: a module of your own can copy it.

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects the agent's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// agentBin is this module's agent, built once for every test.
var agentBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "custom-agent-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	agentBin = filepath.Join(dir, "agent")
	if out, err := exec.Command("go", "build", "-o", agentBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.FieldsFunc(string(b), func(r rune) bool { return r == '\n' })
}

func TestCustomAgentRoutesByFirstCharacter(t *testing.T) {
	bin := agentBin
	if out, err := exec.Command(bin, "validate", "-f", "custom.hcl").CombinedOutput(); err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	dir := t.TempDir()
	letters, digits := filepath.Join(dir, "letters.log"), filepath.Join(dir, "digits.log")
	port := freePort(t)
	cmd := exec.Command(bin, "-f", "custom.hcl", "--drain-timeout", "5s")
	cmd.Env = append(os.Environ(), fmt.Sprint("FLUMEGO_PORT=", port), "FLUMEGO_OUT_LETTERS="+letters, "FLUMEGO_OUT_DIGITS="+digits)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("agent output:\n%s", out.String())
		}
	})
	waitFor(t, 30*time.Second, "the agent to start", func() bool { return strings.Contains(out.String(), "agent started") })

	var wantLetters, wantDigits []string
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	acks := bufio.NewReader(conn)
	for i := range 300 {
		line := fmt.Sprintf("line %d starts with a letter", i)
		if i%3 == 0 {
			line = fmt.Sprintf("%d starts with a digit", i)
			wantDigits = append(wantDigits, line)
		} else {
			wantLetters = append(wantLetters, line)
		}
		fmt.Fprintln(conn, line)
		if ack, err := acks.ReadString('\n'); err != nil || ack != "OK\n" {
			t.Fatalf("ack of line %d: %q, %v", i, ack, err)
		}
	}
	waitFor(t, 20*time.Second, "every line in its file", func() bool {
		return len(readLines(t, letters)) >= len(wantLetters) && len(readLines(t, digits)) >= len(wantDigits)
	})
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not stop after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
	if got := readLines(t, letters); !slices.Equal(got, wantLetters) {
		t.Errorf("letters.log holds %d lines, want exactly the %d letter lines in order", len(got), len(wantLetters))
	}
	if got := readLines(t, digits); !slices.Equal(got, wantDigits) {
		t.Errorf("digits.log holds %d lines, want exactly the %d digit lines in order", len(got), len(wantDigits))
	}
}

func TestCustomAgentReportsBadSettingsOfItsComponents(t *testing.T) {
	bin := agentBin
	cfg := filepath.Join(t.TempDir(), "bad.hcl")
	src, err := os.ReadFile("custom.hcl")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), `header = "type"`, `header = ""`, 1)
	if err := os.WriteFile(cfg, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "validate", "-f", cfg).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), cfg+`:12:16: error: source "netcat" "r1": interceptor "first_char": header: must not be empty`) {
		t.Fatalf("validate of a bad first_char block: %v\n%s", err, out)
	}
}
