package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/testkit"
)

// TestEveryExampleIsValid validates every .hcl file under examples/ (topologies included), so
// no example can rot. A directory with a go.mod is a custom agent of its own (its types are
// not built in): its own tests validate its files with its binary.
func TestEveryExampleIsValid(t *testing.T) {
	var files []string
	err := filepath.WalkDir(example("."), func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && path != example(".") {
			if _, serr := os.Stat(filepath.Join(path, "go.mod")); serr == nil {
				return fs.SkipDir
			}
		}
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".hcl") {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, example(".")+"/"), func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command(agentBin, "validate", "-f", f).CombinedOutput()
			if err != nil || strings.Contains(string(out), "warning") {
				t.Fatalf("agent validate -f %s: %v\n%s", f, err, out)
			}
		})
	}
}

func TestQuickstartNetcatToLogger(t *testing.T) {
	port := testkit.FreePort(t)
	p := startAgent(t, example("quickstart.hcl"), map[string]string{"FLUMEGO_PORT": fmt.Sprint(port)})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	sendLines(t, addr, []string{"hello flumego", "second line"}, true)
	waitFor(t, 10*time.Second, "the logger sink to print both events", func() bool {
		out := p.out.String()
		return strings.Contains(out, "hello flumego") && strings.Contains(out, "second line")
	})
	waitFor(t, 10*time.Second, "the counters to show both events", func() bool {
		return p.metric(t, `flumego_source_event_accepted_total{agent="a1",component="r1",type="netcat"}`) == 2 &&
			p.metric(t, `flumego_sink_event_drain_success_total{agent="a1",component="k1",type="logger"}`) == 2
	})
	resp, err := http.Get("http://" + p.metrics + "/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"CHANNEL.c1"`) || !strings.Contains(string(body), `"EventPutSuccessCount":"2"`) {
		t.Errorf("/metrics.json = %s", body)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
}

func TestMultiplexingByRegexHeaderIntoTwoFileRollSinks(t *testing.T) {
	checkDigitLetterRouting(t, example("multiplexing.hcl"))
}

// checkDigitLetterRouting runs cfg, a netcat → (digits | letters) → two file_roll sinks flow
// such as multiplexing.hcl, and checks that every line starting with a digit, and only those,
// went to the digits directory, the others to the letters one, each exactly once and in order.
// The flow is Flume's netcat-interceptor-multiplexing.conf with its Java interceptor replaced.
func checkDigitLetterRouting(t *testing.T, cfg string, args ...string) {
	t.Helper()
	port := testkit.FreePort(t)
	dir := t.TempDir()
	letters, digits := filepath.Join(dir, "letters"), filepath.Join(dir, "digits")
	p := startAgent(t, cfg, map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_OUT_LETTERS": letters, "FLUMEGO_OUT_DIGITS": digits,
	}, args...)
	var lines, wantLetters, wantDigits []string
	for i := 0; i < 2000; i++ {
		if i%3 == 0 {
			l := fmt.Sprintf("%d is a number line", i)
			lines, wantDigits = append(lines, l), append(wantDigits, l)
		} else {
			l := fmt.Sprintf("line %d starts with a letter", i)
			lines, wantLetters = append(lines, l), append(wantLetters, l)
		}
	}
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), lines, true)
	waitFor(t, 20*time.Second, "both directories to hold their lines", func() bool {
		return len(dirLines(t, letters)) >= len(wantLetters) && len(dirLines(t, digits)) >= len(wantDigits)
	})
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
	gotL, gotD := dirLines(t, letters), dirLines(t, digits)
	assertExactlyOnce(t, wantLetters, gotL)
	assertExactlyOnce(t, wantDigits, gotD)
	assertOrdered(t, wantLetters, gotL)
	assertOrdered(t, wantDigits, gotD)
}

func TestReplicatingIntoTwoChannelsDeliversEveryLineToBoth(t *testing.T) {
	port := testkit.FreePort(t)
	dir := t.TempDir()
	out1, out2 := filepath.Join(dir, "one"), filepath.Join(dir, "two")
	p := startAgent(t, example("replicating.hcl"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_OUT_1": out1, "FLUMEGO_OUT_2": out2,
	})
	lines := numbered("replicated-", 3000)
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), lines, true)
	waitFor(t, 20*time.Second, "both copies", func() bool {
		return len(dirLines(t, out1)) >= len(lines) && len(dirLines(t, out2)) >= len(lines)
	})
	p.stop(t, syscall.SIGTERM)
	for _, d := range []string{out1, out2} {
		got := dirLines(t, d)
		assertExactlyOnce(t, lines, got)
		assertOrdered(t, lines, got)
	}
}

// breakDirectory makes a file_roll sink's directory unusable even for root: the directory is
// moved aside (keeping what was written) and a plain file takes its name.
func breakDirectory(t *testing.T, dir string) (aside string) {
	t.Helper()
	aside = dir + ".aside"
	if err := os.Rename(dir, aside); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	return aside
}

func TestFailoverMovesToTheStandbyWhenThePrimaryFails(t *testing.T) {
	port := testkit.FreePort(t)
	dir := t.TempDir()
	primary, standby := filepath.Join(dir, "primary"), filepath.Join(dir, "standby")
	p := startAgent(t, example("failover.hcl"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_OUT_1": primary, "FLUMEGO_OUT_2": standby,
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	first, second := numbered("before-", 1000), numbered("after-", 1000)
	sendLines(t, addr, first, true)
	waitFor(t, 20*time.Second, "the primary to write the first half", func() bool {
		return len(dirLines(t, primary)) >= len(first)
	})
	if got := dirLines(t, standby); len(got) != 0 {
		t.Fatalf("the standby wrote %d lines while the primary was healthy", len(got))
	}
	aside := breakDirectory(t, primary)
	sendLines(t, addr, second, true)
	waitFor(t, 20*time.Second, "the standby to take over", func() bool {
		return len(dirLines(t, aside))+len(dirLines(t, standby)) >= len(first)+len(second)
	})
	p.stop(t, syscall.SIGTERM)
	all := append(append([]string{}, first...), second...)
	gotPrimary, gotStandby := dirLines(t, aside), dirLines(t, standby)
	assertExactlyOnce(t, all, append(append([]string{}, gotPrimary...), gotStandby...))
	assertOrdered(t, all, gotPrimary)
	assertOrdered(t, all, gotStandby)
	if len(gotStandby) == 0 {
		t.Fatal("the standby received nothing")
	}
}

func TestLoadBalanceSharesAndSurvivesAFailedSink(t *testing.T) {
	port := testkit.FreePort(t)
	dir := t.TempDir()
	out1, out2 := filepath.Join(dir, "lb1"), filepath.Join(dir, "lb2")
	p := startAgent(t, example("load-balance.hcl"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_OUT_1": out1, "FLUMEGO_OUT_2": out2,
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var first []string
	// Several connections, so the channel sees many batches and round robin has something to share.
	for c := 0; c < 20; c++ {
		batch := numbered(fmt.Sprintf("first-%02d-", c), 100)
		sendLines(t, addr, batch, true)
		first = append(first, batch...)
	}
	waitFor(t, 20*time.Second, "the first lines", func() bool {
		return len(dirLines(t, out1))+len(dirLines(t, out2)) >= len(first)
	})
	n1, n2 := len(dirLines(t, out1)), len(dirLines(t, out2))
	if n1 == 0 || n2 == 0 {
		t.Fatalf("round robin gave k1 %d and k2 %d lines; both should have a share", n1, n2)
	}
	aside := breakDirectory(t, out1)
	second := numbered("second-", 1000)
	sendLines(t, addr, second, true)
	waitFor(t, 20*time.Second, "every line", func() bool {
		return len(dirLines(t, aside))+len(dirLines(t, out2)) >= len(first)+len(second)
	})
	p.stop(t, syscall.SIGTERM)
	all := append(append([]string{}, first...), second...)
	assertExactlyOnce(t, all, append(dirLines(t, aside), dirLines(t, out2)...))
}

func TestBadInputOnNetcatKeepsTheAgentServing(t *testing.T) {
	port := testkit.FreePort(t)
	p := startAgent(t, example("quickstart.hcl"), map[string]string{"FLUMEGO_PORT": fmt.Sprint(port)})
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	// A client that connects and never sends.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()

	// A 1 MiB line: truncated to max_line_length (512), counted, acknowledged once.
	sendLines(t, addr, []string{strings.Repeat("x", 1<<20)}, true)

	// Binary garbage with newlines in it.
	garbage := make([]byte, 64<<10)
	_, _ = rand.Read(garbage)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write(garbage)
	_ = c.(*net.TCPConn).CloseWrite()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	acks, _ := io.ReadAll(c)
	c.Close()
	wantAcks := bytes.Count(garbage, []byte("\n"))
	if len(garbage) > 0 && garbage[len(garbage)-1] != '\n' {
		wantAcks++ // the last line, ended by EOF
	}
	if got := bytes.Count(acks, []byte("OK\n")); got != wantAcks {
		t.Errorf("garbage: %d OKs for %d lines", got, wantAcks)
	}

	// 500 connections at once, each sending a few lines.
	var wg sync.WaitGroup
	for i := 0; i < 500; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sendLines(t, addr, numbered(fmt.Sprintf("conn%03d-", i), 4), true)
		}()
	}
	wg.Wait()

	sendLines(t, addr, []string{"still serving"}, true)
	waitFor(t, 10*time.Second, "the last line to come out", func() bool {
		return strings.Contains(p.out.String(), "still serving")
	})
	wantTruncated := 1 // the 1 MiB line
	for _, l := range bytes.Split(bytes.TrimSuffix(garbage, []byte("\n")), []byte("\n")) {
		if len(bytes.TrimSuffix(l, []byte("\r"))) > 512 {
			wantTruncated++
		}
	}
	if v := p.metric(t, `flumego_source_event_truncated_total{agent="a1",component="r1",type="netcat"}`); v != float64(wantTruncated) {
		t.Errorf("truncated lines counted = %v, want %d", v, wantTruncated)
	}
	want := float64(1 + wantAcks + 500*4 + 1)
	if v := p.metric(t, `flumego_source_event_accepted_total{agent="a1",component="r1",type="netcat"}`); v != want {
		t.Errorf("accepted = %v, want %v", v, want)
	}
	if code := p.stop(t, syscall.SIGINT); code != 0 {
		t.Errorf("exit code after SIGINT = %d", code)
	}
}

func TestConfigWithFiveMistakesPrintsFiveDiagnosticsAndExits2(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "flume.hcl")
	if err := os.WriteFile(cfg, []byte(`agent "a1" {
  source "netcatt" "r1" {
    channels = ["c1"]
  }
  source "netcat" "r2" {
    bind     = "127.0.0.1"
    port     = 70000
    channels = ["c9"]
  }
  channel "memory" "c1" {
    capacity             = 100
    transaction_capacity = 10
    keep_alive           = "soon"
  }
  sink "logger" "k1" {
    channel          = "c1"
    batch_size       = 50
    max_bytes_to_log = 16
    colour           = "blue"
  }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"validate", "-f", cfg}, {"-f", cfg}} {
		cmd := exec.Command(agentBin, args...)
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 2 {
			t.Errorf("%v: exit code %d, want 2\n%s", args, code, out)
		}
		for _, want := range []string{
			cfg + `:2:10: error: source "netcatt" "r1": unknown source type "netcatt"; did you mean "netcat"?`,
			cfg + `:7:16: error: source "netcat" "r2": port:`,
			cfg + `:8:17: error: channel "c9" is not declared in agent "a1"`,
			cfg + `:13:28: error: channel "memory" "c1": keep_alive: invalid duration "soon"`,
			cfg + `:15:3: error: sink "logger" "k1": batch_size 50 is above channel "c1"'s transaction_capacity 10`,
			cfg + `:19:5: error: sink "logger" "k1": Unsupported argument`,
		} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%v: missing\n  %s\nin:\n%s", args, want, out)
			}
		}
		if n := strings.Count(string(out), ": error: "); n != 6 {
			t.Errorf("%v: %d errors, want 6:\n%s", args, n, out)
		}
	}
}

func TestVersionAndUsage(t *testing.T) {
	out, err := exec.Command(agentBin, "version").CombinedOutput()
	if err != nil || !regexp.MustCompile(`^flumego agent dev \(commit \S+, built \S+, go\S+ linux/\w+\)\n$`).Match(out) {
		t.Errorf("version: %v %q", err, out)
	}
	if flag, err := exec.Command(agentBin, "--version").CombinedOutput(); err != nil || string(flag) != string(out) {
		t.Errorf("--version: %v %q, want what version prints: %q", err, flag, out)
	}
	cmd := exec.Command(agentBin)
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "-f FILE is required") {
		t.Errorf("no args: %d %s", cmd.ProcessState.ExitCode(), out)
	}
}

func TestPortInUseIsARuntimeFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cmd := exec.Command(agentBin, "-f", example("quickstart.hcl"))
	cmd.Env = append(os.Environ(), fmt.Sprintf("FLUMEGO_PORT=%d", l.Addr().(*net.TCPAddr).Port),
		fmt.Sprintf("FLUMEGO_METRICS=127.0.0.1:%d", testkit.FreePort(t)))
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "address already in use") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}
