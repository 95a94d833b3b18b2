package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/testkit"
)

// The classic multi-agent topologies of Flume's user guide, each agent a separate process on
// loopback ports, configured by the files in examples/topologies/<name>/.

func topology(name, agent string) string {
	return example(filepath.Join("topologies", name, agent+".hcl"))
}

// nextHop is a receiving agent of a topology: an avro source on a free port writing to out.
type nextHop struct {
	p      *agentProc
	port   int
	out    string
	cfg    string
	env    map[string]string
	killed bool
}

func startNextHop(t *testing.T, cfg, dir string) *nextHop {
	t.Helper()
	h := &nextHop{port: testkit.FreePort(t), out: filepath.Join(dir, "out"), cfg: cfg}
	h.env = map[string]string{"FLUMEGO_AVRO_PORT": fmt.Sprint(h.port), "FLUMEGO_OUT": h.out,
		"FLUMEGO_CHANNEL_DIR": filepath.Join(dir, "channel"), "FLUMEGO_MIN_SPACE": "1MiB"}
	h.p = startAgent(t, cfg, h.env)
	return h
}

func (h *nextHop) lines(t *testing.T) []string { return dirLines(t, h.out) }

// kill stops the agent with SIGKILL: what it acknowledged but had not written is in its file
// channel.
func (h *nextHop) kill(t *testing.T) {
	t.Helper()
	h.p.stop(t, syscall.SIGKILL)
}

func (h *nextHop) restart(t *testing.T) { h.p = startAgent(t, h.cfg, h.env) }

func chunks(lines []string, n int) [][]string {
	var out [][]string
	for len(lines) > n {
		out = append(out, lines[:n])
		lines = lines[n:]
	}
	return append(out, lines)
}

// assertDelivered checks that got holds every line of want, nothing else, and at most maxDup
// duplicates, each of a line dupOK accepts (the batch in flight when a process was killed).
func assertDelivered(t *testing.T, want, got []string, maxDup int, dupOK func(string) bool) {
	t.Helper()
	count := map[string]int{}
	for _, g := range got {
		count[g]++
	}
	missing, dups := 0, 0
	for _, w := range want {
		switch c := count[w]; {
		case c == 0:
			missing++
		case c > 1:
			dups += c - 1
			if !dupOK(w) {
				t.Errorf("line %q delivered %d times; only the batch in flight at the kill may be", w, c)
			}
		}
		delete(count, w)
	}
	if missing > 0 || len(count) > 0 || dups > maxDup {
		t.Fatalf("of %d lines: %d missing, %d duplicates (at most %d allowed), %d unexpected", len(want), missing, dups, maxDup, len(count))
	}
	if dups > 0 {
		t.Logf("%d duplicates, all from the batch in flight at the kill", dups)
	}
}

func appendLines(t *testing.T, path string, lines []string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}
}

// TestTopologyReplication: taildir → replicating selector → two avro sinks → agents 2 and 3;
// each receives every line exactly once, in order.
func TestTopologyReplication(t *testing.T) {
	dir := t.TempDir()
	a2 := startNextHop(t, topology("replication", "agent2"), filepath.Join(dir, "a2"))
	a3 := startNextHop(t, topology("replication", "agent3"), filepath.Join(dir, "a3"))
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	lines := numbered("replicated-", 4000)
	appendLines(t, filepath.Join(logs, "app.log"), lines[:2000])
	a1 := startAgent(t, topology("replication", "agent1"), map[string]string{
		"FLUMEGO_TAIL_PATH": filepath.Join(logs, "*.log"), "FLUMEGO_POSITION_FILE": filepath.Join(dir, "taildir.json"),
		"FLUMEGO_AGENT2_PORT": fmt.Sprint(a2.port), "FLUMEGO_AGENT3_PORT": fmt.Sprint(a3.port),
	})
	appendLines(t, filepath.Join(logs, "app.log"), lines[2000:])
	waitFor(t, 60*time.Second, "both copies", func() bool {
		return len(a2.lines(t)) >= len(lines) && len(a3.lines(t)) >= len(lines)
	})
	a1.stop(t, syscall.SIGTERM)
	a2.p.stop(t, syscall.SIGTERM)
	a3.p.stop(t, syscall.SIGTERM)
	for _, h := range []*nextHop{a2, a3} {
		got := h.lines(t)
		assertExactlyOnce(t, lines, got)
		assertOrdered(t, lines, got)
	}
}

// TestTopologyFailover: netcat → failover group [k1 → agent 2 priority 5, k2 → agent 3
// priority 10]. Agent 3 takes everything while healthy; killed mid-stream, agent 2 takes over
// and nothing is lost; brought back, agent 3 takes the traffic again after its penalty.
func TestTopologyFailover(t *testing.T) {
	dir := t.TempDir()
	a2 := startNextHop(t, topology("failover", "agent2"), filepath.Join(dir, "a2"))
	a3 := startNextHop(t, topology("failover", "agent3"), filepath.Join(dir, "a3"))
	nport := testkit.FreePort(t)
	netcat := fmt.Sprintf("127.0.0.1:%d", nport)
	a1 := startAgent(t, topology("failover", "agent1"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(nport), "FLUMEGO_MAX_PENALTY": "2s",
		"FLUMEGO_AGENT2_PORT": fmt.Sprint(a2.port), "FLUMEGO_AGENT3_PORT": fmt.Sprint(a3.port),
	})

	before := numbered("before-", 1000)
	sendLines(t, netcat, before, true)
	waitFor(t, 30*time.Second, "agent 3 to receive the first lines", func() bool { return len(a3.lines(t)) >= len(before) })
	if n := len(a2.lines(t)); n != 0 {
		t.Fatalf("agent 2 (priority 5) received %d lines while agent 3 (priority 10) was healthy", n)
	}

	during := numbered("during-", 3000)
	for i, c := range chunks(during, 100) {
		if i == 5 {
			a3.kill(t)
		}
		sendLines(t, netcat, c, true)
	}
	waitFor(t, 30*time.Second, "agent 2 to take over", func() bool { return len(a2.lines(t)) > 0 })
	a3.restart(t)
	all := append(append([]string{}, before...), during...)
	waitFor(t, 30*time.Second, "every line before and during the kill", func() bool {
		return len(a2.lines(t))+len(a3.lines(t)) >= len(all)
	})

	// Traffic returns to agent 3 once its penalty (at most 2s here) is over.
	var after []string
	deadline := time.Now().Add(30 * time.Second)
	for wave := 0; ; wave++ {
		c := numbered(fmt.Sprintf("after-%03d-", wave), 50)
		sendLines(t, netcat, c, true)
		after = append(after, c...)
		if containsPrefix(a3.lines(t), "after-") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("traffic did not return to agent 3 after it came back")
		}
		time.Sleep(100 * time.Millisecond) // pace the waves: each is a new batch
	}
	all = append(all, after...)
	waitFor(t, 30*time.Second, "every line", func() bool { return len(a2.lines(t))+len(a3.lines(t)) >= len(all) })
	a1.stop(t, syscall.SIGTERM)
	a2.p.stop(t, syscall.SIGTERM)
	a3.p.stop(t, syscall.SIGTERM)

	got2, got3 := a2.lines(t), a3.lines(t)
	if containsPrefix(got2, "before-") {
		t.Error("agent 2 received lines from before the kill")
	}
	// Duplicates: agent 3 may have committed the call in flight without answering it (agent 1
	// then sent it to agent 2), and may have written a batch to its files without committing
	// its take (written again after the restart): one batch of 100 each at most.
	if testing.Verbose() {
		c2, c3 := map[string]int{}, map[string]int{}
		for _, l := range got2 {
			c2[l]++
		}
		for _, l := range got3 {
			c3[l]++
		}
		for _, l := range all {
			if c2[l]+c3[l] > 1 {
				t.Logf("dup %s: agent2 %d agent3 %d", l, c2[l], c3[l])
			}
		}
	}
	assertDelivered(t, all, append(got2, got3...), 200, func(l string) bool { return strings.HasPrefix(l, "during-") })
	assertOrdered(t, all, got2)
}

func containsPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// TestTopologyLoadBalancing: netcat → load_balance round_robin with backoff → agents 2 and 3;
// both get a share, and together exactly every line.
func TestTopologyLoadBalancing(t *testing.T) {
	dir := t.TempDir()
	a2 := startNextHop(t, topology("load-balancing", "agent2"), filepath.Join(dir, "a2"))
	a3 := startNextHop(t, topology("load-balancing", "agent3"), filepath.Join(dir, "a3"))
	nport := testkit.FreePort(t)
	a1 := startAgent(t, topology("load-balancing", "agent1"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(nport), "FLUMEGO_AGENT2_PORT": fmt.Sprint(a2.port), "FLUMEGO_AGENT3_PORT": fmt.Sprint(a3.port),
	})
	var lines []string
	for c := range 30 {
		batch := numbered(fmt.Sprintf("lb-%02d-", c), 100)
		sendLines(t, fmt.Sprintf("127.0.0.1:%d", nport), batch, true)
		lines = append(lines, batch...)
	}
	waitFor(t, 30*time.Second, "every line", func() bool { return len(a2.lines(t))+len(a3.lines(t)) >= len(lines) })
	a1.stop(t, syscall.SIGTERM)
	a2.p.stop(t, syscall.SIGTERM)
	a3.p.stop(t, syscall.SIGTERM)
	got2, got3 := a2.lines(t), a3.lines(t)
	if len(got2) == 0 || len(got3) == 0 {
		t.Fatalf("agent 2 got %d lines, agent 3 %d: both should have a share", len(got2), len(got3))
	}
	assertExactlyOnce(t, lines, append(got2, got3...))
	assertOrdered(t, lines, got2)
	assertOrdered(t, lines, got3)
}

// TestTopologyAggregation: a taildir agent and a netcat agent forward to one collector, which
// receives both streams exactly once, each in its order.
func TestTopologyAggregation(t *testing.T) {
	dir := t.TempDir()
	col := startNextHop(t, topology("aggregation", "agent3"), filepath.Join(dir, "a3"))
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	tailed := numbered("tailed-", 3000)
	appendLines(t, filepath.Join(logs, "app.log"), tailed[:1000])
	a1 := startAgent(t, topology("aggregation", "agent1"), map[string]string{
		"FLUMEGO_TAIL_PATH": filepath.Join(logs, "*.log"), "FLUMEGO_POSITION_FILE": filepath.Join(dir, "taildir.json"),
		"FLUMEGO_COLLECTOR_PORT": fmt.Sprint(col.port),
	})
	nport := testkit.FreePort(t)
	a2 := startAgent(t, topology("aggregation", "agent2"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(nport), "FLUMEGO_COLLECTOR_PORT": fmt.Sprint(col.port),
	})
	typed := numbered("typed-", 3000)
	appendLines(t, filepath.Join(logs, "app.log"), tailed[1000:])
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", nport), typed, true)
	all := append(append([]string{}, tailed...), typed...)
	waitFor(t, 60*time.Second, "the collector to receive both streams", func() bool { return len(col.lines(t)) >= len(all) })
	a1.stop(t, syscall.SIGTERM)
	a2.stop(t, syscall.SIGTERM)
	col.p.stop(t, syscall.SIGTERM)
	got := col.lines(t)
	assertExactlyOnce(t, all, got)
	assertOrdered(t, tailed, filterPrefix(got, "tailed-"))
	assertOrdered(t, typed, filterPrefix(got, "typed-"))
}

func filterPrefix(lines []string, prefix string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// TestTopologyMultiplexing: regex_header + multiplexing selector send letters to agent 2 and
// numbers to agent 3, each exactly once.
func TestTopologyMultiplexing(t *testing.T) {
	dir := t.TempDir()
	a2 := startNextHop(t, topology("multiplexing", "agent2"), filepath.Join(dir, "a2"))
	a3 := startNextHop(t, topology("multiplexing", "agent3"), filepath.Join(dir, "a3"))
	nport := testkit.FreePort(t)
	a1 := startAgent(t, topology("multiplexing", "agent1"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(nport), "FLUMEGO_AGENT2_PORT": fmt.Sprint(a2.port), "FLUMEGO_AGENT3_PORT": fmt.Sprint(a3.port),
	})
	var lines, letters, digits []string
	for i := range 3000 {
		if i%3 == 0 {
			l := fmt.Sprintf("%06d is a number line", i)
			lines, digits = append(lines, l), append(digits, l)
		} else {
			l := fmt.Sprintf("line %06d starts with a letter", i)
			lines, letters = append(lines, l), append(letters, l)
		}
	}
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", nport), lines, true)
	waitFor(t, 30*time.Second, "both next hops", func() bool {
		return len(a2.lines(t)) >= len(letters) && len(a3.lines(t)) >= len(digits)
	})
	a1.stop(t, syscall.SIGTERM)
	a2.p.stop(t, syscall.SIGTERM)
	a3.p.stop(t, syscall.SIGTERM)
	got2, got3 := a2.lines(t), a3.lines(t)
	assertExactlyOnce(t, letters, got2)
	assertExactlyOnce(t, digits, got3)
	assertOrdered(t, letters, got2)
	assertOrdered(t, digits, got3)
}
