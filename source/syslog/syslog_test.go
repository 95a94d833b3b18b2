package syslog_test

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/syslog"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T, mod func(*syslog.Config)) (*syslog.Source, *sourcetest.Processor, *metrics.Source) {
	t.Helper()
	cfg := syslog.Defaults()
	cfg.Host, cfg.Port = "127.0.0.1", 0
	if mod != nil {
		mod(cfg)
	}
	rec := &sourcetest.Processor{}
	m := metrics.NewRegistry("a1").Source("r1", "syslog")
	src, err := syslog.New(cfg, source.Settings{Name: "r1", Metrics: m, Processor: rec})
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Run(t, src, 10*time.Second)
	return src.(*syslog.Source), rec, m
}

func waitEvents(t *testing.T, rec *sourcetest.Processor, n int) []channel.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.Events()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d events, want %d", len(rec.Events()), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return rec.Events()
}

func TestTCPNewlineAndOctetCountedMessages(t *testing.T) {
	src, rec, _ := start(t, func(c *syslog.Config) { c.ClientIPHeader = "client" })
	c, err := net.Dial("tcp", src.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	var sent strings.Builder
	var want []string
	for i := range 500 {
		body := fmt.Sprintf("app - - - message %d", i)
		msg := fmt.Sprintf("<14>1 2024-01-02T03:04:05Z host%d %s", i%3, body)
		if i%2 == 0 {
			fmt.Fprintf(&sent, "%s\n", msg)
		} else {
			fmt.Fprintf(&sent, "%d %s", len(msg), msg)
		}
		want = append(want, body)
	}
	if _, err := c.Write([]byte(sent.String())); err != nil {
		t.Fatal(err)
	}
	c.Close()
	got := waitEvents(t, rec, len(want))
	for i, e := range got {
		if string(e.Body) != want[i] || e.Headers["host"] != fmt.Sprintf("host%d", i%3) || e.Headers["client"] != "127.0.0.1" ||
			e.Headers["Facility"] != "1" || e.Headers["Severity"] != "6" || e.Headers["timestamp"] != "1704164645000" {
			t.Fatalf("event %d: %v %q", i, e.Headers, e.Body)
		}
	}
}

func TestUDPDatagrams(t *testing.T) {
	src, rec, _ := start(t, func(c *syslog.Config) { c.Protocol, c.EventSize = "udp", 40 })
	c, err := net.Dial("udp", src.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msgs := []string{"<13>Feb  5 17:32:18 h1 first\n", "<13>Feb  5 17:32:18 h1 a message longer than the event size of forty bytes", "plain"}
	for _, m := range msgs {
		if _, err := c.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	got := waitEvents(t, rec, 3)
	if string(got[0].Body) != "first" || got[0].Headers["host"] != "h1" {
		t.Errorf("first: %v %q", got[0].Headers, got[0].Body)
	}
	if got[1].Headers["flume.syslog.status"] != "Incomplete" || string(got[1].Body) != "a message longer " {
		t.Errorf("cut: %v %q", got[1].Headers, got[1].Body)
	}
	if got[2].Headers["flume.syslog.status"] != "Invalid" || string(got[2].Body) != "plain" {
		t.Errorf("invalid: %v %q", got[2].Headers, got[2].Body)
	}
}

func TestBadOctetCountingClosesOnlyThatConnection(t *testing.T) {
	src, rec, m := start(t, nil)
	bad, err := net.Dial("tcp", src.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	bad.Write([]byte("99999999999999 x"))
	bad.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := bad.Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection stayed open")
	}
	good, err := net.Dial("tcp", src.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	good.Write([]byte("<13>Feb  5 17:32:18 h1 fine\n"))
	good.Close()
	if got := waitEvents(t, rec, 1); string(got[0].Body) != "fine" {
		t.Fatalf("%q", got[0].Body)
	}
	if m.EventReadFail.Load() != 1 {
		t.Fatalf("EventReadFail = %d", m.EventReadFail.Load())
	}
}

func TestConfigValidation(t *testing.T) {
	cfg := syslog.Defaults()
	cfg.Port, cfg.Protocol, cfg.EventSize, cfg.KeepFields, cfg.Batch, cfg.MaxConnections = -1, "sctp", 5, "everything", 0, -1
	err := cfg.Validate()
	for _, a := range []string{"host", "port", "protocol", "event_size", "keep_fields", "batch_size", "max_connections"} {
		if err == nil || !strings.Contains(err.Error(), a+":") {
			t.Errorf("no error about %s in %v", a, err)
		}
	}
	cfg = syslog.Defaults()
	cfg.Host, cfg.KeepFields = "0.0.0.0", "hostname timestamp"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

// With room for one message at a time, connections take turns: every message of each arrives
// (a connection delivers what it holds before it waits), and the budget is whole again after.
func TestTCPConnectionsShareTheInflightBudget(t *testing.T) {
	src, rec, m := start(t, func(c *syslog.Config) { c.MaxInflightBytes = 4000 }) // event_size 2500
	var wg sync.WaitGroup
	for i := range 4 {
		c, err := net.Dial("tcp", src.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer c.Close()
			var b strings.Builder
			for j := range 500 {
				fmt.Fprintf(&b, "<13>Feb  5 17:32:18 h%d conn %d message %d\n", i, i, j)
			}
			_, _ = c.Write([]byte(b.String()))
		})
	}
	wg.Wait()
	waitEvents(t, rec, 2000)
	testkit.WaitFor(t, 5*time.Second, "the budget to be released", func() bool {
		return m.Component.Gauge("InflightBytes").Load() == 0
	})
}
