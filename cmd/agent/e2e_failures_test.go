package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/flumego/flumego/internal/kafkatest"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
	avrosource "github.com/flumego/flumego/source/avro"
)

// The failure flows: what can never be delivered is set aside visibly, what the client can
// refresh heals without a restart, a FAILED answer is not a reason to send twice, and health
// says what the agent is doing.

// TestPoisonPillIsSetAside sends, through examples/dead-letter.hcl, lines that name their
// Kafka topic and one that names none: the good ones are delivered, the bad one lands in the
// dead-letter channel with its error (drained here by a logger sink) — or, with a fallback
// topic, is delivered there.
func TestPoisonPillIsSetAside(t *testing.T) {
	lines := []string{"topic=app-logs good-1", "no topic in this line", "topic=app-logs good-2", "topic=app-logs good-3"}
	good := []string{lines[0], lines[2], lines[3]}
	start := func(t *testing.T, fallback string) (*agentProc, []string) {
		c := kafkatest.Start(t, 1, kfake.SeedTopics(1, "app-logs", "unrouted"))
		port := testkit.FreePort(t)
		p := startAgent(t, example("dead-letter.hcl"), map[string]string{
			"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_KAFKA_BROKERS": c.ListenAddrs()[0],
			"FLUMEGO_DEAD_LETTER_DIR": filepath.Join(t.TempDir(), "dead"), "FLUMEGO_FALLBACK_TOPIC": fallback,
		})
		sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), lines, true)
		return p, c.ListenAddrs()
	}

	t.Run("dead letter", func(t *testing.T) {
		p, brokers := start(t, "")
		assertExactlyOnce(t, good, recordValues(readAll(t, brokers, "app-logs", good, 30*time.Second)))
		waitFor(t, 20*time.Second, "the dead letter logged by the logger sink", func() bool {
			return strings.Contains(p.out.String(), "flumego.dead_letter.error=no topic: topic template")
		})
		out := p.out.String()
		for _, want := range []string{"flumego.dead_letter.sink=k1", "flumego.dead_letter.time=", "no topic in this line"[:16]} {
			if !strings.Contains(out, want) {
				t.Errorf("the logged dead letter lacks %q:\n%s", want, out)
			}
		}
		if n := strings.Count(out, "events refused for good"); n != 1 {
			t.Errorf("%d warnings about the refusal, want 1", n)
		}
		series := `flumego_sink_event_dead_letter_total{agent="a1",component="k1",type="kafka"}`
		waitFor(t, 10*time.Second, series+" = 1", func() bool { return p.metric(t, series) == 1 })
		if v := p.metric(t, `flumego_sink_event_drain_success_total{agent="a1",component="k1",type="kafka"}`); v != 3 {
			t.Errorf("EventDrainSuccessCount = %v, want the 3 good events", v)
		}
		row := sinkStatusRow(t, p, "k1")
		if row == nil || row.Values["EventDeadLetterCount"] != 1 {
			t.Errorf("/status.json sink k1 = %+v, want EventDeadLetterCount 1", row)
		}
		code, status, _ := runAgentCmd(t, nil, "status", "--addr", p.metrics, "--interval", "500ms")
		if code != 0 || !strings.Contains(strings.Join(statusRow(status, "SINK", "k1"), " "), " 1 ") {
			t.Errorf("agent status = %d, want 0 and sink k1 with 1 event set aside:\n%s", code, status)
		}
	})

	t.Run("fallback topic", func(t *testing.T) {
		p, brokers := start(t, "unrouted")
		assertExactlyOnce(t, good, recordValues(readAll(t, brokers, "app-logs", good, 30*time.Second)))
		readAll(t, brokers, "unrouted", lines[1:2], 30*time.Second)
		if v := p.metric(t, `flumego_sink_event_dead_letter_total{agent="a1",component="k1",type="kafka"}`); v != 0 {
			t.Errorf("EventDeadLetterCount = %v with a fallback topic, want 0", v)
		}
		if n := strings.Count(p.out.String(), "sending to fallback_topic"); n != 1 {
			t.Errorf("the fallback was said %d times, want once", n)
		}
	})
}

// sinkStatusRow returns sink name's component in the agent's /status.json.
func sinkStatusRow(t *testing.T, p *agentProc, name string) *metrics.ComponentSnapshot {
	t.Helper()
	s := statusJSON(t, p)
	for i, c := range s.Components {
		if c.Kind == metrics.KindSink && c.Name == name {
			return &s.Components[i]
		}
	}
	return nil
}

func statusJSON(t *testing.T, p *agentProc) metrics.Snapshot {
	t.Helper()
	resp, err := http.Get("http://" + p.metrics + "/status.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s metrics.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRecreatedKafkaTopicHealsUnderLoad deletes and recreates the sink's topic while lines
// stream in: the client, which never adopts a new topic ID by itself, is refreshed by the sink,
// and every line sent after the recreation arrives in the new topic without a restart.
func TestRecreatedKafkaTopicHealsUnderLoad(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.SeedTopics(3, "logs"))
	port := testkit.FreePort(t)
	p := startAgent(t, example("netcat-kafka.hcl"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_KAFKA_BROKERS": c.ListenAddrs()[0], "FLUMEGO_KAFKA_TOPIC": "logs",
	})
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var sent atomic.Int64 // lines acknowledged by the source
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // acknowledgements
		defer wg.Done()
		r := bufio.NewReader(conn)
		for {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
			sent.Add(1)
		}
	}()
	go func() { // about 1000 lines a second, until stopped
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if _, err := fmt.Fprintf(conn, "line-%07d\n", i); err != nil {
				return
			}
		}
	}()
	waitFor(t, 30*time.Second, "records in the topic", func() bool { return kafkatest.Count(t, c, "logs") > 500 })
	if err := c.DeleteTopic("logs"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTopic("logs", 3, nil); err != nil {
		t.Fatal(err)
	}
	from := sent.Load() + 1000 // lines surely sent after the recreation (the socket buffers some)
	waitFor(t, 30*time.Second, "lines sent after the recreation", func() bool { return sent.Load() > from+1000 })
	close(stop)
	_ = conn.(*net.TCPConn).CloseWrite()
	wg.Wait()
	total := sent.Load()
	var want []string
	for i := from; i < total; i++ {
		want = append(want, fmt.Sprintf("line-%07d", i))
	}
	readAll(t, c.ListenAddrs(), "logs", want, 30*time.Second)
	if v := p.metric(t, `flumego_sink_topic_refresh_total{agent="a1",component="k1",type="kafka"}`); v < 1 {
		t.Errorf("TopicRefreshCount = %v: the recreated topic was not refreshed", v)
	}
	if !strings.Contains(p.out.String(), "topic deleted and recreated") {
		t.Error("the agent did not say the topic was recreated")
	}
}

// startAvroNextHop runs flumego's avro source on 127.0.0.1:port in the test, recording what it
// commits in proc, until the test ends.
func startAvroNextHop(t *testing.T, port int, proc *sourcetest.Processor) {
	t.Helper()
	proc.CopyBodies = true
	cfg := avrosource.Defaults()
	cfg.Bind, cfg.Port = "127.0.0.1", port
	src, err := avrosource.New(cfg, source.Settings{Name: "next-hop", Processor: proc})
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Run(t, src, 10*time.Second)
}

// TestAvroFailedCallsUnderMaxInFlightAreNotDuplicated forwards lines through the avro sink
// with four calls in flight to a next hop that answers one call in seven FAILED: the calls it
// committed are not sent again, so every line arrives exactly once.
func TestAvroFailedCallsUnderMaxInFlightAreNotDuplicated(t *testing.T) {
	aport, nport := testkit.FreePort(t), testkit.FreePort(t)
	next := &sourcetest.Processor{RefuseEvery: 7}
	startAvroNextHop(t, aport, next)
	p := startAgent(t, example("avro-forwarder.hcl"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(nport), "FLUMEGO_AVRO_PORT": fmt.Sprint(aport), "FLUMEGO_AVRO_MAX_IN_FLIGHT": "4",
	})
	want := numbered("inflight-", 20000)
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", nport), want, true)
	waitFor(t, 60*time.Second, "every line at the next hop", func() bool { return next.Count() >= len(want) })
	series := `flumego_sink_event_drain_success_total{agent="forwarder",component="k1",type="avro"}`
	waitFor(t, 10*time.Second, "the sink to report every line delivered", func() bool { return p.metric(t, series) == float64(len(want)) })
	assertExactlyOnce(t, want, next.Bodies())
	if next.Refusals() == 0 {
		t.Fatal("the next hop answered no call FAILED: the scenario did not happen")
	}
	if v := p.metric(t, `flumego_sink_call_retry_total{agent="forwarder",component="k1",type="avro"}`); v < 1 {
		t.Errorf("CallRetryCount = %v, want the FAILED calls counted", v)
	}
	t.Logf("%d calls answered FAILED of %d", next.Refusals(), next.Attempts())
}

// TestHealthzDegradedAfterUnhealthyAfter points the avro forwarder at a next hop that is down:
// /healthz answers 200 while the failure is younger than unhealthy_after, then 503 naming the
// sink and its last error, /status.json and `agent status` say degraded; once the next hop is
// up, everything is delivered and /healthz answers 200 again.
func TestHealthzDegradedAfterUnhealthyAfter(t *testing.T) {
	aport, nport := testkit.FreePort(t), testkit.FreePort(t)
	p := startAgent(t, example("avro-forwarder.hcl"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(nport), "FLUMEGO_AVRO_PORT": fmt.Sprint(aport), "FLUMEGO_UNHEALTHY_AFTER": "2s",
	})
	healthz := func() (int, string) {
		resp, err := http.Get("http://" + p.metrics + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := healthz(); code != 200 {
		t.Fatalf("/healthz of an idle agent = %d %q", code, body)
	}
	want := numbered("health-", 10)
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", nport), want, true)
	var body string
	waitFor(t, 30*time.Second, "/healthz 503", func() bool {
		var code int
		code, body = healthz()
		return code == 503
	})
	if !strings.HasPrefix(body, "degraded: SINK k1 (avro): failing for ") || !strings.Contains(body, "connection refused") {
		t.Errorf("/healthz body %q, want the degraded sink, its streak and its last error", body)
	}
	if resp, err := http.Get("http://" + p.metrics + "/livez"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/livez = %v %v, want 200: a degraded destination is no reason to restart", resp.Status, err)
	}
	if h := sinkStatusRow(t, p, "k1").Health; h == nil || h.Healthy || h.Failures == 0 || h.LastError == "" || h.FailingSince.IsZero() {
		t.Errorf("/status.json health of k1 = %+v", h)
	}
	if v := p.metric(t, `flumego_component_healthy{agent="forwarder",component="k1",kind="sink",type="avro"}`); v != 0 {
		t.Errorf("flumego_component_healthy = %v, want 0", v)
	}
	code, out, _ := runAgentCmd(t, nil, "status", "--addr", p.metrics, "--interval", "500ms")
	if code != 3 || !strings.Contains(out, "health DEGRADED") || !strings.Contains(out, "the agent is DEGRADED:") ||
		!strings.Contains(strings.Join(statusRow(out, "SINK", "k1"), " "), "degraded") {
		t.Errorf("agent status = %d, want 3 and the sink degraded:\n%s", code, out)
	}

	next := &sourcetest.Processor{}
	startAvroNextHop(t, aport, next)
	waitFor(t, 30*time.Second, "the lines at the next hop", func() bool { return next.Count() >= len(want) })
	waitFor(t, 10*time.Second, "/healthz 200 again", func() bool { code, _ := healthz(); return code == 200 })
	assertExactlyOnce(t, want, next.Bodies())
	if code, out, _ := runAgentCmd(t, nil, "status", "--addr", p.metrics, "--interval", "500ms"); code != 0 {
		t.Errorf("agent status after recovery = %d:\n%s", code, out)
	}
}

// TestDeadLettersReplayedLater runs examples/dead-letter-collect.hcl and dead-letter-replay.hcl
// as an operator would: the first keeps the line that names no topic in its file channel of
// dead letters; after it stopped, the second drains that channel into the topic chosen for
// such lines now.
func TestDeadLettersReplayedLater(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.SeedTopics(1, "app-logs", "replayed"))
	port := testkit.FreePort(t)
	env := map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_KAFKA_BROKERS": c.ListenAddrs()[0],
		"FLUMEGO_DEAD_LETTER_DIR": filepath.Join(t.TempDir(), "dead"),
	}
	collect := startAgent(t, example("dead-letter-collect.hcl"), env)
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), []string{"topic=app-logs kept", "lost its way"}, true)
	readAll(t, c.ListenAddrs(), "app-logs", []string{"topic=app-logs kept"}, 30*time.Second)
	waitFor(t, 10*time.Second, "the dead letter in the channel", func() bool {
		return collect.metric(t, `flumego_sink_event_dead_letter_total{agent="collect",component="k1",type="kafka"}`) == 1
	})
	if code := collect.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d", code)
	}
	if n := kafkatest.Count(t, c, "replayed"); n != 0 {
		t.Fatalf("replayed holds %d records before the replay", n)
	}

	replay := startAgent(t, example("dead-letter-replay.hcl"), env)
	recs := readAll(t, c.ListenAddrs(), "replayed", []string{"lost its way"}, 30*time.Second)
	h := map[string]string{}
	for _, rh := range recs[0].Headers {
		h[rh.Key] = string(rh.Value)
	}
	if h["flumego.dead_letter.sink"] != "k1" || !strings.HasPrefix(h["flumego.dead_letter.error"], "no topic") {
		t.Errorf("the replayed record's headers %v do not say why it was set aside", h)
	}
	if code := replay.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("replay exited %d", code)
	}
}
