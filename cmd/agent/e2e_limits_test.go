package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/avrorpc"
	"github.com/flumego/flumego/internal/testkit"
)

// The limits of the network sources through the real binary (examples/network-limits.hcl):
// over-long input is cut once, never multiplied; a request that can never be accepted is told
// so at once; and memory stays bounded however many clients hold a large call open.

// edge starts examples/network-limits.hcl on free ports and returns it with its addresses.
type edge struct {
	p                          *agentProc
	syslog, http, avro, netcat string
	out                        string
}

func startEdge(t *testing.T, bin string, extra map[string]string) *edge {
	t.Helper()
	e := &edge{out: filepath.Join(t.TempDir(), "out")}
	env := map[string]string{"FLUMEGO_OUT": e.out}
	for name, addr := range map[string]*string{"FLUMEGO_SYSLOG_PORT": &e.syslog, "FLUMEGO_HTTP_PORT": &e.http,
		"FLUMEGO_AVRO_PORT": &e.avro, "FLUMEGO_PORT": &e.netcat} {
		port := testkit.FreePort(t)
		env[name], *addr = strconv.Itoa(port), fmt.Sprintf("127.0.0.1:%d", port)
	}
	for k, v := range extra {
		env[k] = v
	}
	e.p = startBinary(t, bin, example("network-limits.hcl"), env)
	return e
}

// series is the Prometheus series of one of the edge agent's sources.
func (e *edge) series(name, component, typ string) string {
	return fmt.Sprintf(`%s{agent="edge",component=%q,type=%q}`, name, component, typ)
}

func TestSyslogOverLongMessageIsOneEventAndTheNextIsIntact(t *testing.T) {
	e := startEdge(t, agentBin, nil)
	c, err := net.Dial("tcp", e.syslog)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// One message of 1 MiB (event_size is 4096), then an ordinary one, in one stream.
	long := "<13>Feb  5 17:32:18 web1 app: " + strings.Repeat("x", 1<<20)
	if _, err := fmt.Fprintf(c, "%s\n<13>Feb  5 17:32:18 web1 app: the next message\n", long); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "two lines in the sink's directory", func() bool { return len(dirLines(t, e.out)) >= 2 })
	lines := dirLines(t, e.out)
	if len(lines) != 2 {
		t.Fatalf("%d events from one over-long message and one ordinary one, want 2", len(lines))
	}
	// The body is the message after its host name, cut to event_size.
	if want := long[len("<13>Feb  5 17:32:18 web1 "):4096]; lines[0] != want {
		t.Errorf("first event: %d bytes, want the message's first 4096 bytes after its host name", len(lines[0]))
	}
	if lines[1] != "app: the next message" {
		t.Errorf("second event %q, want the next message intact", lines[1])
	}
	if got := e.p.metric(t, e.series("flumego_source_event_truncated_total", "syslog", "syslog")); got != 1 {
		t.Errorf("EventTruncatedCount = %v, want 1", got)
	}
}

func TestHTTPRequestThatCanNeverBeAcceptedIsAnswered4xxAtOnce(t *testing.T) {
	e := startEdge(t, agentBin, nil)

	// A declared body above max_request_bytes (16MiB): 413 before the body is read, although
	// the client sends only its first bytes and read_timeout is 30s.
	c, err := net.Dial("tcp", e.http)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: edge\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n[{\"body\":\"", int64(1)<<34)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer within 5s to a 16GiB Content-Length: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d to a 16GiB Content-Length, want 413", resp.StatusCode)
	}

	// More events than max_batch_events: 413, not a 503 its client would retry for ever.
	var b strings.Builder
	b.WriteString("[")
	for i := range 1001 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"body":"e%d"}`, i)
	}
	b.WriteString("]")
	r, err := http.Post("http://"+e.http+"/", "application/json", strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d to 1001 events with max_batch_events 1000, want 413", r.StatusCode)
	}
	if n := len(dirLines(t, e.out)); n != 0 {
		t.Fatalf("%d events put from refused requests", n)
	}

	// And `agent validate` refuses the pair when the request bound is above the channel's
	// transaction_capacity, naming both positions.
	src, err := os.ReadFile(example("network-limits.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "edge.hcl")
	bad := strings.Replace(string(src), "max_batch_events   = 1000 #", "max_batch_events   = 5000 #", 1)
	if err := os.WriteFile(cfg, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(agentBin, "validate", "-f", cfg).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("validate: %v, want exit code 2\n%s", err, out)
	}
	want := cfg + `:26:26: error: source "http" "json": max_batch_events 5000 is above channel "c1"'s transaction_capacity 1000 (` + cfg + `:44:28)`
	if !strings.Contains(string(out), want) {
		t.Fatalf("validate output lacks\n  %s\ngot:\n%s", want, out)
	}
}

var plainBin struct {
	once sync.Once
	path string
	err  error
}

// plainAgentBin is the agent built without the race detector, whose shadow memory would
// multiply the resident size a test measures.
func plainAgentBin(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		return agentBin
	}
	plainBin.once.Do(func() {
		plainBin.path = filepath.Join(filepath.Dir(agentBin), "agent-norace")
		out, err := exec.Command("go", "build", "-o", plainBin.path, ".").CombinedOutput()
		if err != nil {
			plainBin.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if plainBin.err != nil {
		t.Fatalf("building the agent without -race: %v", plainBin.err)
	}
	return plainBin.path
}

// peakRSS is a process's peak resident set size (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

func TestAvroMemoryStaysWithinTheBudgetWhile2000ClientsHoldMaximalCalls(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the agent's peak RSS from /proc")
	}
	const (
		clients = 2000
		frame   = 60 << 20  // each call declares one buffer of 60MiB (max_frame_bytes is 64MiB)
		sent    = 256 << 10 // of which each client sends the first 256KiB, then holds
		budget  = 256 << 20 // the example's max_inflight_bytes
		slack   = 200 << 20 // the agent itself: runtime, goroutines, read buffers
	)
	e := startEdge(t, plainAgentBin(t), nil)
	head := make([]byte, 12, 12+sent)
	binary.BigEndian.PutUint32(head[4:], 1)     // one buffer
	binary.BigEndian.PutUint32(head[8:], frame) // of 60MiB
	call := append(head, make([]byte, sent)...)

	conns := make(chan net.Conn, clients)
	var writers sync.WaitGroup
	dial := make(chan struct{}, 64) // connect a few at a time, as a fleet reconnecting would
	for range clients {
		dial <- struct{}{}
		c, err := net.DialTimeout("tcp", e.avro, 10*time.Second)
		<-dial
		if err != nil {
			t.Fatalf("connection %d: %v", len(conns)+1, err)
		}
		conns <- c
		// The write blocks once the agent stops reading: that is the back-pressure.
		writers.Go(func() { _, _ = c.Write(call) })
	}
	close(conns)
	defer func() {
		for c := range conns {
			c.Close()
		}
		writers.Wait()
	}()

	open := e.series("flumego_source_open_connection", "avro", "avro")
	inflight := e.series("flumego_source_inflight_bytes", "avro", "avro")
	waits := e.series("flumego_source_inflight_wait_total", "avro", "avro")
	// Every client is connected, and either the budget is taken and the other calls wait for it
	// or (without a bound) the agent has read everything.
	allRead := make(chan struct{})
	go func() { writers.Wait(); close(allRead) }()
	waitFor(t, 90*time.Second, "2000 held calls to be read or to wait for the budget", func() bool {
		select {
		case <-allRead:
			return e.p.metric(t, open) == clients
		default:
		}
		return e.p.metric(t, open) == clients && e.p.metric(t, inflight) == budget && e.p.metric(t, waits) >= clients-budget/(1<<20)
	})
	rss := peakRSS(t, e.p.cmd.Process.Pid)
	t.Logf("peak RSS with %d clients each holding a %dMiB call (%dKiB sent): %.0f MiB (budget %d MiB)",
		clients, frame>>20, sent>>10, float64(rss)/(1<<20), budget>>20)
	if rss > budget+slack {
		t.Fatalf("peak RSS %.0f MiB, above the budget of %d MiB plus %d MiB", float64(rss)/(1<<20), budget>>20, slack>>20)
	}

	// The held calls let go, the budget is free and an ordinary call goes through.
	for c := range conns {
		c.Close()
	}
	waitFor(t, 30*time.Second, "the budget to be released", func() bool { return e.p.metric(t, inflight) == 0 })
	cl, err := avrorpc.Dial(context.Background(), avrorpc.ClientConfig{Addr: e.avro, ConnectTimeout: 5 * time.Second, RequestTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.AppendBatch(context.Background(), []channel.Event{{Body: []byte("after the storm")}}, 100, 1); err != nil {
		t.Fatalf("an ordinary call after the held ones: %v", err)
	}
	waitFor(t, 10*time.Second, "the ordinary call in the sink's directory", func() bool { return len(dirLines(t, e.out)) == 1 })
	if code := e.p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
}
