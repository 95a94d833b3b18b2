package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/testkit"
)

// pileUpConfig is an agent whose only sink sends to a next hop that is down: every event put
// into c1 stays there, and the sink fails every batch.
const pileUpConfig = `
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT")
    channels = ["c1"]
  }
  channel "memory" "c1" {
    capacity             = 1000
    transaction_capacity = 100
  }
  sink "avro" "k1" {
    channel         = "c1"
    hostname        = "127.0.0.1"
    port            = env("FLUMEGO_DEAD_PORT")
    connect_timeout = "1s"
  }
  metrics {
    listen = env("FLUMEGO_METRICS")
  }
}
`

func statusConfig(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flume.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runAgentCmd runs the agent binary with args and extra environment, returning its exit code,
// stdout and stderr.
func runAgentCmd(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(agentBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("agent %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// statusRow returns the fields of the table row of the component kind/name, or nil.
func statusRow(out, kind, name string) []string {
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == kind && f[1] == name {
			return f
		}
	}
	return nil
}

// TestStatusMarksAFullChannelAndAFailingSink fills a channel whose sink cannot deliver, then
// asks `agent status` and the /status page where events pile up.
func TestStatusMarksAFullChannelAndAFailingSink(t *testing.T) {
	port, dead := testkit.FreePort(t), testkit.FreePort(t)
	p := startAgent(t, statusConfig(t, pileUpConfig), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_DEAD_PORT": fmt.Sprint(dead),
	})
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), numbered("stuck", 1000), true)

	// The sink's back-off grows to 5 s; sample over 6 s so a retry falls inside.
	code, out, errOut := runAgentCmd(t, nil, "status", "--addr", p.metrics, "--interval", "6s")
	if code != 0 {
		t.Fatalf("agent status = %d\n%s%s", code, out, errOut)
	}
	t.Logf("agent status:\n%s", out)
	if !strings.HasPrefix(out, "agent a1 at "+p.metrics+": health ok; events/s over 6") {
		t.Errorf("header line: %q", strings.SplitN(out, "\n", 2)[0])
	}
	ch := strings.Join(statusRow(out, "CHANNEL", "c1"), " ")
	if !strings.Contains(ch, "memory") || !strings.Contains(ch, "<== full (") {
		t.Errorf("channel row %q: want the memory channel marked full", ch)
	}
	if !strings.Contains(ch, "(1000/1000)") && !strings.Contains(ch, "(900/1000)") {
		t.Errorf("channel row %q: want its 1000 events (900 while a batch is out)", ch)
	}
	sk := strings.Join(statusRow(out, "SINK", "k1"), " ")
	if !strings.HasPrefix(sk, "SINK k1 avro ") || !strings.Contains(sk, "<== failing:") {
		t.Errorf("sink row %q: want the avro sink marked failing", sk)
	}
	if src := strings.Join(statusRow(out, "SOURCE", "r1"), " "); strings.Contains(src, "<==") {
		t.Errorf("source row %q is marked; the source has nothing to wait for", src)
	}
	if !strings.Contains(out, "events are piling up where marked <==") {
		t.Errorf("no summary line saying events pile up:\n%s", out)
	}

	// The page beside /metrics says the same.
	resp, err := http.Get("http://" + p.metrics + "/status")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`<meta http-equiv="refresh"`, "<h1>agent a1</h1>", "full (", `<tr class="attention">`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("/status lacks %q:\n%s", want, page)
		}
	}
}

// TestStatusFromTheConfigShowsRates runs `agent status -f` (the address comes from the
// config) while lines flow, and checks the rates and that nothing is marked.
func TestStatusFromTheConfigShowsRates(t *testing.T) {
	port := testkit.FreePort(t)
	cfg := example("netcat-null.hcl")
	p := startAgent(t, cfg, map[string]string{"FLUMEGO_PORT": fmt.Sprint(port)})

	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // about 1000 lines a second
		defer wg.Done()
		defer conn.Close()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if _, err := fmt.Fprintf(conn, "%s", strings.Repeat(fmt.Sprintf("line %d\n", i), 10)); err != nil {
				return
			}
		}
	}()
	waitFor(t, 10*time.Second, "lines to flow", func() bool {
		return p.metric(t, `flumego_sink_event_drain_success_total{agent="bench",component="k1",type="null"}`) > 0
	})
	code, out, errOut := runAgentCmd(t, []string{"FLUMEGO_METRICS=" + p.metrics}, "status", "-f", cfg, "--interval", "2s")
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("agent status -f = %d\n%s%s", code, out, errOut)
	}
	t.Logf("agent status:\n%s", out)
	for _, c := range []struct{ kind, name string }{{"SOURCE", "r1"}, {"CHANNEL", "c1"}, {"SINK", "k1"}} {
		row := statusRow(out, c.kind, c.name)
		if len(row) < 7 {
			t.Errorf("no row for %s %s", c.kind, c.name)
			continue
		}
		// Columns: kind name type health fill... in out failures set-aside; fill is one field
		// ("-") or two.
		in, errIn := strconv.ParseFloat(row[len(row)-4], 64)
		outRate, errOut := strconv.ParseFloat(row[len(row)-3], 64)
		if errIn != nil || errOut != nil || in < 100 || outRate < 100 {
			t.Errorf("%s %s row %q: want in and out rates near 1000 events/s", c.kind, c.name, row)
		}
	}
	if !strings.Contains(out, "nothing is piling up") {
		t.Errorf("a flowing agent is marked:\n%s", out)
	}
}

func TestStatusMistakes(t *testing.T) {
	noMetrics := statusConfig(t, `
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = 44444
    channels = ["c1"]
  }
  channel "memory" "c1" {}
  sink "null" "k1" { channel = "c1" }
}
`)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"nothing listening", []string{"status", "--addr", fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t))}, 1, "cannot reach the agent"},
		{"an agent without metrics", []string{"status", "-f", noMetrics}, 2, `agent "a1" in ` + noMetrics + " serves no metrics"},
		{"both --addr and -f", []string{"status", "--addr", "127.0.0.1:1", "-f", noMetrics}, 2, "give --addr or -f, not both"},
		{"a stray argument", []string{"status", "now"}, 2, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runAgentCmd(t, nil, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("agent %v = %d %q, want %d and %q", tt.args, code, errOut, tt.code, tt.want)
			}
		})
	}
}

// TestPromtoolAcceptsARunningAgentsScrape lints the real binary's /metrics, which carries the
// Go runtime and process metrics beside Flume's counters.
func TestPromtoolAcceptsARunningAgentsScrape(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus): the agent's scrape is not linted")
	}
	port := testkit.FreePort(t)
	p := startAgent(t, example("quickstart.hcl"), map[string]string{"FLUMEGO_PORT": fmt.Sprint(port)})
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), []string{"one", "two"}, true)
	resp, err := http.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, family := range []string{
		"flumego_channel_event_put_success_total", "flumego_channel_fill_percentage",
		"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total",
		"process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds",
	} {
		if !strings.Contains(string(body), "\n"+family) {
			t.Errorf("the scrape has no %s", family)
		}
	}
	if !regexp.MustCompile(`(?m)^flumego_build_info\{goversion="go[^"]+",revision="[^"]+",version="dev"\} 1$`).Match(body) {
		t.Errorf("the scrape has no flumego_build_info of this build:\n%s", body)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
