package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/avrorpc/avrotest"
	"github.com/flumego/flumego/internal/testkit"
)

// avroPair starts a collector (avro source → file_roll) and a forwarder (netcat → avro sink)
// from the example files, the forwarder first when collectorFirst is false.
type avroPair struct {
	collector, forwarder *agentProc
	netcat, avro         string // addresses
	out                  string // the collector's output directory
	collectorEnv         map[string]string
	collectorCfg         string
}

func startAvroPair(t *testing.T, collectorCfg, forwarderCfg string, extra map[string]string, collectorFirst bool) *avroPair {
	t.Helper()
	nport, aport := testkit.FreePort(t), testkit.FreePort(t)
	p := &avroPair{netcat: fmt.Sprintf("127.0.0.1:%d", nport), avro: fmt.Sprintf("127.0.0.1:%d", aport),
		out: filepath.Join(t.TempDir(), "out"), collectorCfg: collectorCfg}
	p.collectorEnv = map[string]string{"FLUMEGO_AVRO_PORT": fmt.Sprint(aport), "FLUMEGO_OUT": p.out}
	fenv := map[string]string{"FLUMEGO_PORT": fmt.Sprint(nport), "FLUMEGO_AVRO_PORT": fmt.Sprint(aport)}
	for k, v := range extra {
		p.collectorEnv[k], fenv[k] = v, v
	}
	if collectorFirst {
		p.startCollector(t)
	}
	p.forwarder = startAgent(t, example(forwarderCfg), fenv)
	return p
}

func (p *avroPair) startCollector(t *testing.T) {
	t.Helper()
	p.collector = startAgent(t, example(p.collectorCfg), p.collectorEnv)
}

func TestAvroForwarderToCollector(t *testing.T) {
	p := startAvroPair(t, "avro-collector.hcl", "avro-forwarder.hcl", nil, true)

	// Bad input on the avro port is refused without disturbing the flow.
	bad, err := net.Dial("tcp", p.avro)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(bad, "GET / HTTP/1.1\r\nHost: collector\r\n\r\n")
	bad.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(bad); err != nil {
		t.Fatalf("the collector did not close a non-Avro connection: %v", err)
	}
	bad.Close()

	lines := numbered("forwarded-", 5000)
	sendLines(t, p.netcat, lines, true)
	waitFor(t, 30*time.Second, "the collector to write every line", func() bool { return len(dirLines(t, p.out)) >= len(lines) })
	waitFor(t, 10*time.Second, "the counters", func() bool {
		return p.collector.metric(t, `flumego_source_event_accepted_total{agent="collector",component="r1",type="avro"}`) == 5000 &&
			p.collector.metric(t, `flumego_source_event_read_fail_total{agent="collector",component="r1",type="avro"}`) == 1 &&
			p.forwarder.metric(t, `flumego_sink_event_drain_success_total{agent="forwarder",component="k1",type="avro"}`) == 5000
	})
	if c := p.forwarder.metric(t, `flumego_sink_connection_created_total{agent="forwarder",component="k1",type="avro"}`); c != 1 {
		t.Errorf("the forwarder opened %v connections, want 1", c)
	}
	if code := p.forwarder.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("forwarder exit code %d", code)
	}
	if code := p.collector.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("collector exit code %d", code)
	}
	got := dirLines(t, p.out)
	assertExactlyOnce(t, lines, got)
	assertOrdered(t, lines, got)
}

// TestAvroNextHopDownThenUp: the forwarder buffers while its collector is down, counting failed
// connections, and delivers everything once the collector comes up.
func TestAvroNextHopDownThenUp(t *testing.T) {
	p := startAvroPair(t, "avro-collector.hcl", "avro-forwarder.hcl", nil, false)
	lines := numbered("buffered-", 2000)
	sendLines(t, p.netcat, lines, true)
	series := `flumego_sink_connection_failed_total{agent="forwarder",component="k1",type="avro"}`
	waitFor(t, 10*time.Second, "failed connections to be counted", func() bool { return p.forwarder.metric(t, series) >= 1 })
	p.startCollector(t)
	waitFor(t, 30*time.Second, "the collector to write every line", func() bool { return len(dirLines(t, p.out)) >= len(lines) })
	p.forwarder.stop(t, syscall.SIGTERM)
	p.collector.stop(t, syscall.SIGTERM)
	got := dirLines(t, p.out)
	assertExactlyOnce(t, lines, got)
	assertOrdered(t, lines, got)
}

func TestAvroWithTLSAndDeflate(t *testing.T) {
	certs := avrotest.NewCerts(t)
	p := startAvroPair(t, "avro-tls-collector.hcl", "avro-tls-forwarder.hcl", map[string]string{
		"FLUMEGO_CERT_FILE": certs.CertFile, "FLUMEGO_KEY_FILE": certs.KeyFile, "FLUMEGO_TRUSTSTORE": certs.CAFile,
	}, true)
	lines := numbered("secret-", 3000)
	sendLines(t, p.netcat, lines, true)
	waitFor(t, 30*time.Second, "the collector to write every line", func() bool { return len(dirLines(t, p.out)) >= len(lines) })
	p.forwarder.stop(t, syscall.SIGTERM)
	p.collector.stop(t, syscall.SIGTERM)
	got := dirLines(t, p.out)
	assertExactlyOnce(t, lines, got)
	assertOrdered(t, lines, got)
}

// TestSyslogAndHTTPThroughAvro: an ingest agent receives syslog over TCP (newline and
// octet-counted framing) and UDP, and JSON over HTTP, and forwards it all to a collector.
func TestSyslogAndHTTPThroughAvro(t *testing.T) {
	aport, sport, hport := testkit.FreePort(t), testkit.FreePort(t), testkit.FreePort(t)
	out := filepath.Join(t.TempDir(), "out")
	col := startAgent(t, example("avro-collector.hcl"), map[string]string{"FLUMEGO_AVRO_PORT": fmt.Sprint(aport), "FLUMEGO_OUT": out})
	ing := startAgent(t, example("avro-syslog-http-forwarder.hcl"), map[string]string{
		"FLUMEGO_AVRO_PORT": fmt.Sprint(aport), "FLUMEGO_SYSLOG_PORT": fmt.Sprint(sport), "FLUMEGO_HTTP_PORT": fmt.Sprint(hport),
	})
	var want []string
	tcp, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", sport))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		body := fmt.Sprintf("tcp message %06d", i)
		msg := fmt.Sprintf("<13>1 2024-05-01T10:00:00Z web%d app - - - %s", i%4, body)
		if i%2 == 0 {
			fmt.Fprintf(tcp, "%s\n", msg)
		} else {
			fmt.Fprintf(tcp, "%d %s", len(msg), msg)
		}
		want = append(want, "app - - - "+body)
	}
	tcp.Close()
	udp, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", sport))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		fmt.Fprintf(udp, "<14>May  1 10:00:00 host1 udp message %06d\n", i)
		want = append(want, fmt.Sprintf("udp message %06d", i))
	}
	udp.Close()
	var js []string
	for i := range 500 {
		js = append(js, fmt.Sprintf(`{"headers":{"n":"%d"},"body":"http message %06d"}`, i, i))
		want = append(want, fmt.Sprintf("http message %06d", i))
	}
	resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/", hport), "application/json", strings.NewReader("["+strings.Join(js, ",")+"]"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST: %s", resp.Status)
	}
	waitFor(t, 30*time.Second, "every message at the collector", func() bool { return len(dirLines(t, out)) >= len(want) })
	ing.stop(t, syscall.SIGTERM)
	col.stop(t, syscall.SIGTERM)
	assertExactlyOnce(t, want, dirLines(t, out))
}
