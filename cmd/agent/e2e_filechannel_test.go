package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/testkit"
)

// ackingClient sends numbered lines to a netcat source with ack_every_event and remembers how
// many were acknowledged: an acknowledged line is committed to the channel, so it must come out.
type ackingClient struct {
	acked atomic.Int64 // lines 0 .. acked-1 are acknowledged
}

// run sends lines from the first unacknowledged one until the connection breaks or limit lines
// were acknowledged, and returns when it has read every answer it will get.
func (c *ackingClient) run(addr string, limit int64) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return
	}
	defer conn.Close()
	start := c.acked.Load()
	go func() {
		w := bufio.NewWriterSize(conn, 4096)
		for i := start; i < limit; i++ {
			if _, err := fmt.Fprintf(w, "seq-%08d\n", i); err != nil {
				return
			}
		}
		_ = w.Flush()
	}()
	r := bufio.NewReader(conn)
	for c.acked.Load() < limit {
		line, err := r.ReadString('\n')
		if err != nil || line != "OK\n" {
			return
		}
		c.acked.Add(1)
	}
}

var seqLine = regexp.MustCompile(`^seq-(\d{8})$`)

// deliveredSeqs reads every file_roll file in dir and counts each sequence number. A file's last
// line may be torn by a kill -9 in the middle of a write (its batch was not committed and comes
// again); a torn line anywhere else is an error.
func deliveredSeqs(t *testing.T, dir string) (map[int64]int, int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	counts := map[int64]int{}
	torn := 0
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			if l == "" && i == len(lines)-1 {
				continue
			}
			m := seqLine.FindStringSubmatch(l)
			if m == nil {
				if i == len(lines)-1 {
					torn++
					continue
				}
				t.Fatalf("%s: unexpected line %q", e.Name(), l)
			}
			n, _ := strconv.ParseInt(m[1], 10, 64)
			counts[n]++
		}
	}
	return counts, torn
}

func TestFileChannelLosesNothingAcrossRepeatedKill9(t *testing.T) {
	kills := 20
	if testing.Short() {
		kills = 5
	}
	const sinkBatch = 20
	port := testkit.FreePort(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	env := map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_CHANNEL_DIR": filepath.Join(dir, "channel"),
		"FLUMEGO_OUT": out, "FLUMEGO_SINK_BATCH": fmt.Sprint(sinkBatch),
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	client := &ackingClient{}
	const limit = 1 << 30 // while killing, send without end
	for k := 0; k < kills; k++ {
		p := startAgent(t, example("file-channel.hcl"), env)
		done := make(chan struct{})
		go func() { client.run(addr, limit); close(done) }()
		time.Sleep(time.Duration(50+rand.IntN(250)) * time.Millisecond) // a random moment mid-stream
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		<-done
	}
	// The last run: finish the stream, let the sink catch up, stop cleanly.
	p := startAgent(t, example("file-channel.hcl"), env)
	final := client.acked.Load() + 2000
	client.run(addr, final)
	if got := client.acked.Load(); got != final {
		t.Fatalf("only %d of %d lines acknowledged on the last run", got, final)
	}
	waitFor(t, 60*time.Second, "every acknowledged line in the output", func() bool {
		counts, _ := deliveredSeqs(t, out)
		for i := int64(0); i < final; i++ {
			if counts[i] == 0 {
				return false
			}
		}
		return true
	})
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}

	counts, torn := deliveredSeqs(t, out)
	dups := 0
	var maxSeen int64 = -1
	for n, c := range counts {
		dups += c - 1
		if n > maxSeen {
			maxSeen = n
		}
	}
	for i := int64(0); i < final; i++ {
		if counts[i] == 0 {
			t.Fatalf("line %d was acknowledged and never delivered", i)
		}
	}
	// A duplicate comes from a take in flight at a kill (at most one sink batch) or from a put
	// that committed but whose OK the kill cut off (at most one netcat batch, re-sent).
	if bound := kills * (sinkBatch + 100); dups > bound {
		t.Errorf("%d duplicates after %d kills, more than the in-flight bound %d", dups, kills, bound)
	}
	t.Logf("%d kills: %d lines acknowledged, %d distinct delivered (up to seq %d), %d duplicates, %d torn lines",
		kills, final, len(counts), maxSeen, dups, torn)
}

func TestFileChannelKeepsBufferedEventsAcrossACleanStop(t *testing.T) {
	port := testkit.FreePort(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	env := map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_CHANNEL_DIR": filepath.Join(dir, "channel"), "FLUMEGO_OUT": out,
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	p := startAgent(t, example("file-channel.hcl"), env, "--drain-timeout", "1s")
	breakDirectory(t, out) // the sink cannot write: events stay in the channel
	before := numbered("before-", 500)
	sendLines(t, addr, before, true)
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if err := os.Remove(out); err != nil { // the destination is back
		t.Fatal(err)
	}

	p = startAgent(t, example("file-channel.hcl"), env)
	after := numbered("after-", 100)
	sendLines(t, addr, after, true)
	waitFor(t, 30*time.Second, "every line", func() bool { return len(dirLines(t, out)) >= len(before)+len(after) })
	p.stop(t, syscall.SIGTERM)
	got := dirLines(t, out)
	want := append(append([]string{}, before...), after...)
	assertExactlyOnce(t, want, got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("buffered events did not come out first and in order:\n%v", got[:min(len(got), 10)])
	}
}

func TestFileChannelRefusesPutsWhileTheDiskIsNearlyFullAndResumes(t *testing.T) {
	dir := t.TempDir()
	disk := filepath.Join(dir, "disk")
	if err := os.Mkdir(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root and mount permission): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", disk).Run() })

	port := testkit.FreePort(t)
	out := filepath.Join(dir, "out")
	filler := filepath.Join(disk, "filler")
	if err := os.WriteFile(filler, make([]byte, 40<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startAgent(t, example("file-channel.hcl"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_CHANNEL_DIR": filepath.Join(disk, "channel"),
		"FLUMEGO_OUT": out, "FLUMEGO_MIN_SPACE": "32MiB",
	})
	client := &ackingClient{}
	done := make(chan struct{})
	go func() { client.run(fmt.Sprintf("127.0.0.1:%d", port), 50); close(done) }()
	waitFor(t, 20*time.Second, "the channel to report the disk as too full", func() bool {
		return p.metric(t, `flumego_channel_unhealthy{agent="a1",component="durable",type="file"}`) == 1
	})
	if n := client.acked.Load(); n != 0 {
		t.Fatalf("%d puts were acknowledged while the disk was below minimum_required_space", n)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the flow did not resume after space returned (%d acked)", client.acked.Load())
	}
	if n := client.acked.Load(); n != 50 {
		t.Fatalf("%d of 50 lines acknowledged after space returned", n)
	}
	waitFor(t, 20*time.Second, "the lines in the output", func() bool {
		counts, _ := deliveredSeqs(t, out)
		return len(counts) == 50
	})
	if v := p.metric(t, `flumego_channel_unhealthy{agent="a1",component="durable",type="file"}`); v != 0 {
		t.Errorf("Unhealthy = %v after space returned", v)
	}
	p.stop(t, syscall.SIGTERM)
}

func TestSecondAgentOnTheSameFileChannelFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"FLUMEGO_CHANNEL_DIR": filepath.Join(dir, "channel"), "FLUMEGO_OUT": filepath.Join(dir, "out")}
	env["FLUMEGO_PORT"] = fmt.Sprint(testkit.FreePort(t))
	startAgent(t, example("file-channel.hcl"), env)

	cmd := exec.Command(agentBin, "-f", example("file-channel.hcl"))
	cmd.Env = append(os.Environ(), "FLUMEGO_CHANNEL_DIR="+env["FLUMEGO_CHANNEL_DIR"], "FLUMEGO_OUT="+env["FLUMEGO_OUT"],
		fmt.Sprintf("FLUMEGO_PORT=%d", testkit.FreePort(t)), fmt.Sprintf("FLUMEGO_METRICS=127.0.0.1:%d", testkit.FreePort(t)))
	start := time.Now()
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("second agent: exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(string(out), env["FLUMEGO_CHANNEL_DIR"]) {
		t.Errorf("the error does not name the channel directory:\n%s", out)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the second agent took %v to give up", d)
	}
}

// TestFileChannelEmptiedWhileDownIsRefused stops a file channel holding events, truncates its
// database to zero bytes and starts the agent again: it refuses, naming the file (nothing is
// silently re-created empty), and a running agent whose reload adds that channel refuses the
// reload the same way while its other flow goes on delivering.
func TestFileChannelEmptiedWhileDownIsRefused(t *testing.T) {
	dir := t.TempDir()
	chDir, out := filepath.Join(dir, "channel"), filepath.Join(dir, "out")
	port := testkit.FreePort(t)
	env := map[string]string{"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_CHANNEL_DIR": chDir, "FLUMEGO_OUT": out}
	p := startAgent(t, example("file-channel.hcl"), env, "--drain-timeout", "1s")
	breakDirectory(t, out) // the sink cannot write: the events stay in the channel
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), numbered("kept-", 50), true)
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	db := filepath.Join(chDir, "channel.db")
	if err := os.Truncate(db, 0); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(agentBin, "-f", example("file-channel.hcl"))
	cmd.Env = append(os.Environ(), "FLUMEGO_CHANNEL_DIR="+chDir, "FLUMEGO_OUT="+out,
		fmt.Sprintf("FLUMEGO_PORT=%d", testkit.FreePort(t)), fmt.Sprintf("FLUMEGO_METRICS=127.0.0.1:%d", testkit.FreePort(t)))
	msg, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(msg), db+" is empty") ||
		!strings.Contains(string(msg), "channel.id") {
		t.Fatalf("agent on the emptied channel: exit %d, want 1 with an error naming %s and its marker:\n%s", code, db, msg)
	}

	// The agent's rule for a component that cannot be built on reload: the previous
	// configuration runs on.
	cfg := filepath.Join(dir, "agent.hcl")
	port2, port3 := testkit.FreePort(t), testkit.FreePort(t)
	out2 := filepath.Join(dir, "out2")
	writeConfig(t, cfg, netcatToDir(port2, out2), false)
	p = startAgent(t, cfg, nil, "--reload-poll", "50ms")
	writeConfig(t, cfg, strings.Replace(netcatToDir(port2, out2), "  metrics {", fmt.Sprintf(`  source "netcat" "r2" {
    bind     = "127.0.0.1"
    port     = %d
    channels = ["durable"]
  }
  channel "file" "durable" {
    dir                    = %q
    minimum_required_space = 0
  }
  sink "file_roll" "k2" {
    channel   = "durable"
    directory = %q
  }
  metrics {`, port3, chDir, filepath.Join(dir, "out3")), 1), false)
	waitFor(t, 20*time.Second, "the reload refused, naming the emptied database", func() bool {
		s := p.out.String()
		return strings.Contains(s, "reload failed") && strings.Contains(s, db+" is empty")
	})
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port2), []string{"still served"}, true)
	waitFor(t, 10*time.Second, "the running flow to deliver", func() bool {
		return slices.Equal(dirLines(t, out2), []string{"still served"})
	})
	if st, err := os.Stat(db); err != nil || st.Size() != 0 {
		t.Errorf("%s after the refusals: %v, %v; want it left empty", db, st, err)
	}
	p.stop(t, syscall.SIGTERM)
}
