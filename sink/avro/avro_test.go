package avro_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/avrorpc/avrotest"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/sink/avro"
	"github.com/flumego/flumego/source"
	avrosource "github.com/flumego/flumego/source/avro"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// receiver is the next hop of these tests: flumego's avro source, whose processor records
// what it committed and refuses while refusing is set.
type receiver struct {
	sourcetest.Processor
	addr string
	port int
	// gate, when set, holds every put until it is closed; entered receives once per put.
	gate    chan struct{}
	entered chan struct{}
}

func (r *receiver) Process(ctx context.Context, events []channel.Event) error {
	if r.gate != nil {
		r.entered <- struct{}{}
		<-r.gate
	}

	return r.Processor.Process(ctx, events)
}

func (r *receiver) Deliver(ctx context.Context, events []channel.Event) error {
	return r.Process(ctx, events)
}

func startReceiver(t *testing.T, mod func(*avrosource.Config)) *receiver {
	return startGatedReceiver(t, mod, nil)
}

func startGatedReceiver(t *testing.T, mod func(*avrosource.Config), gate chan struct{}) *receiver {
	t.Helper()
	cfg := avrosource.Defaults()
	cfg.Bind, cfg.Port = "127.0.0.1", 0
	if mod != nil {
		mod(cfg)
	}
	r := &receiver{gate: gate, entered: make(chan struct{}, 100)}
	r.CopyBodies = true // the events share the call's buffer
	src, err := avrosource.New(cfg, source.Settings{Name: "r1", Processor: r})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	a := src.(*avrosource.Source).Addr().(*net.TCPAddr)
	r.addr, r.port = a.String(), a.Port
	return r
}

func newSink(t *testing.T, port, batch int, mod func(*avro.Config)) (sink.Sink, *metrics.Sink) {
	t.Helper()
	cfg := avro.Defaults()
	cfg.Hostname, cfg.Port = "127.0.0.1", port
	if mod != nil {
		mod(cfg)
	}
	m := metrics.NewRegistry("a1").Sink("k1", "avro")
	s, err := avro.New(cfg, sink.Settings{Name: "k1", Type: "avro", Metrics: m, BatchSize: batch})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s, m
}

func events(prefix string, n int) []channel.Event {
	out := make([]channel.Event, n)
	for i := range out {
		out[i] = channel.Event{Headers: map[string]string{"n": fmt.Sprint(i)}, Body: fmt.Appendf(nil, "%s-%06d", prefix, i)}
	}
	return out
}

// TestSinkToSource sends batches from the sink to the source in every combination of
// compression, TLS and calls in flight: everything arrives, in order, on one connection.
func TestSinkToSource(t *testing.T) {
	certs := avrotest.NewCerts(t)
	for _, compression := range []string{"none", "deflate"} {
		for _, ssl := range []bool{false, true} {
			for _, inFlight := range []int{1, 4} {
				t.Run(fmt.Sprintf("%s/ssl=%v/max_in_flight=%d", compression, ssl, inFlight), func(t *testing.T) {
					r := startReceiver(t, func(c *avrosource.Config) {
						c.CompressionType = compression
						c.SSL, c.CertFile, c.KeyFile = ssl, certs.CertFile, certs.KeyFile
					})
					s, m := newSink(t, r.port, 100, func(c *avro.Config) {
						c.CompressionType, c.MaxInFlight = compression, inFlight
						c.SSL, c.Truststore = ssl, certs.CAFile
					})
					var want []channel.Event
					for b := range 10 {
						batch := events(fmt.Sprintf("b%d", b), 100)
						if err := s.Write(context.Background(), batch); err != nil {
							t.Fatalf("Write %d: %v", b, err)
						}
						want = append(want, batch...)
					}
					if got := r.Events(); !reflect.DeepEqual(got, want) {
						t.Fatalf("received %d events, want %d in order", len(got), len(want))
					}
					if c := m.ConnectionCreatedCount.Load(); c != 1 {
						t.Fatalf("ConnectionCreatedCount = %d, want 1", c)
					}
				})
			}
		}
	}
}

// TestFailedCallsUnderMaxInFlightAreNotDuplicated has a next hop answer one call in seven
// FAILED while four calls of each Write are in flight: the calls it committed are never sent
// again, so every event arrives exactly once.
func TestFailedCallsUnderMaxInFlightAreNotDuplicated(t *testing.T) {
	r := startReceiver(t, nil)
	r.RefuseEvery = 7
	s, m := newSink(t, r.port, 100, func(c *avro.Config) { c.MaxInFlight = 4 })
	var want []channel.Event
	for b := range 200 {
		batch := events(fmt.Sprintf("b%03d", b), 100)
		for {
			err := s.Write(context.Background(), batch)
			if err == nil {
				break
			}
			// Only a Write none of whose calls was committed fails: the runner resends it whole.
			if !strings.Contains(err.Error(), "4 of 4 calls not committed") {
				t.Fatalf("Write %d: %v", b, err)
			}
		}
		want = append(want, batch...)
	}
	got := r.Events()
	seen := map[string]int{}
	for _, e := range got {
		seen[string(e.Body)]++
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	if dups > 0 || len(seen) != len(want) {
		t.Fatalf("%d events arrived, %d distinct, %d duplicates; want %d, each once", len(got), len(seen), dups, len(want))
	}
	if m.Counter("CallRetryCount").Load() == 0 {
		t.Error("CallRetryCount = 0: no call was retried")
	}
	t.Logf("%d calls, %d retried, %d connections", r.Attempts(), m.Counter("CallRetryCount").Load(), m.ConnectionCreatedCount.Load())
}

func TestAFailedAnswerFailsTheWriteAndTheNextWriteReconnects(t *testing.T) {
	r := startReceiver(t, nil)
	s, m := newSink(t, r.port, 10, nil)
	r.SetRefusing(true)
	err := s.Write(context.Background(), events("x", 10))
	if err == nil || !strings.Contains(err.Error(), "FAILED") {
		t.Fatalf("Write into a full next hop: %v, want FAILED", err)
	}
	if m.ConnectionClosedCount.Load() != 1 {
		t.Fatalf("ConnectionClosedCount = %d after a failed write", m.ConnectionClosedCount.Load())
	}
	r.SetRefusing(false)
	if err := s.Write(context.Background(), events("x", 10)); err != nil {
		t.Fatalf("Write after the next hop has room: %v", err)
	}
	if m.ConnectionCreatedCount.Load() != 2 || len(r.Events()) != 10 {
		t.Fatalf("created %d connections, %d events arrived", m.ConnectionCreatedCount.Load(), len(r.Events()))
	}
}

func TestADeadNextHopFailsFast(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	s, m := newSink(t, port, 10, nil)
	start := time.Now()
	if err := s.Write(context.Background(), events("x", 1)); err == nil {
		t.Fatal("Write to a dead next hop succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("a refused connection took %v to fail", d)
	}
	if m.ConnectionFailedCount.Load() != 1 || m.ConnectionCreatedCount.Load() != 0 {
		t.Fatalf("failed %d, created %d", m.ConnectionFailedCount.Load(), m.ConnectionCreatedCount.Load())
	}
}

// TestASilentNextHopTimesOut: a next hop that accepts and never answers fails the write after
// request_timeout.
func TestASilentNextHopTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := l.Accept()
		if err == nil {
			buf := make([]byte, 1<<16)
			for {
				if _, err := c.Read(buf); err != nil {
					c.Close()
					return
				}
			}
		}
	}()
	s, _ := newSink(t, l.Addr().(*net.TCPAddr).Port, 10, func(c *avro.Config) { c.RequestTimeout = 200 * time.Millisecond })
	start := time.Now()
	err = s.Write(context.Background(), events("x", 1))
	if err == nil || !strings.Contains(err.Error(), "request_timeout") {
		t.Fatalf("Write to a silent next hop: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
	s.Close(context.Background())
}

// TestCancellingAWriteGivesUpAfterTheGrace: the runner's context ends (the agent stops) while
// a call is unanswered and stays so: Write returns the context's error within the grace.
func TestCancellingAWriteGivesUpAfterTheGrace(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	s, _ := newSink(t, l.Addr().(*net.TCPAddr).Port, 10, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Write(ctx, events("x", 1)) }()
	c := <-accepted
	defer c.Close()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Write returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Write did not return after its context was cancelled")
	}
}

// TestACallAnsweredAfterCancellationIsAcknowledged: the agent stops while the next hop is
// putting a call; the answer that comes within the grace makes the Write succeed, so the
// runner commits instead of sending the batch again.
func TestACallAnsweredAfterCancellationIsAcknowledged(t *testing.T) {
	gate := make(chan struct{})
	r := startGatedReceiver(t, nil, gate)
	s, _ := newSink(t, r.port, 100, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Write(ctx, events("late", 100)) }()
	<-r.entered // the call is being put
	cancel()
	close(gate)
	if err := <-done; err != nil {
		t.Fatalf("Write of a call answered OK after cancellation: %v", err)
	}
	if n := len(r.Events()); n != 100 {
		t.Fatalf("%d events arrived", n)
	}
}

func TestTLSTrust(t *testing.T) {
	certs := avrotest.NewCerts(t)
	r := startReceiver(t, func(c *avrosource.Config) { c.SSL, c.CertFile, c.KeyFile = true, certs.CertFile, certs.KeyFile })
	tests := []struct {
		name string
		mod  func(*avro.Config)
		ok   bool
	}{
		// The certificate is for flumego.test, the sink connects to 127.0.0.1: Flume's client
		// checks the chain, not the host name.
		{"truststore holds the CA", func(c *avro.Config) { c.Truststore = certs.CAFile }, true},
		{"truststore holds another CA", func(c *avro.Config) { c.Truststore = certs.OtherCAFile }, false},
		{"system roots", func(*avro.Config) {}, false},
		{"trust_all_certs", func(c *avro.Config) { c.TrustAllCerts = true }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newSink(t, r.port, 10, func(c *avro.Config) {
				c.SSL, c.ConnectTimeout = true, 5*time.Second
				tt.mod(c)
			})
			err := s.Write(context.Background(), events("tls", 1))
			if tt.ok != (err == nil) {
				t.Fatalf("Write: %v, want success %v", err, tt.ok)
			}
		})
	}
}

func TestResetConnectionInterval(t *testing.T) {
	r := startReceiver(t, nil)
	s, m := newSink(t, r.port, 10, func(c *avro.Config) { c.ResetConnectionInterval = time.Nanosecond })
	for range 3 {
		if err := s.Write(context.Background(), events("r", 2)); err != nil {
			t.Fatal(err)
		}
	}
	if c, d := m.ConnectionCreatedCount.Load(), m.ConnectionClosedCount.Load(); c != 3 || d != 2 {
		t.Fatalf("created %d, closed %d connections; want 3 and 2", c, d)
	}
	if len(r.Events()) != 6 {
		t.Fatalf("%d events arrived", len(r.Events()))
	}
}

func TestConfigValidation(t *testing.T) {
	cfg := avro.Defaults()
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "hostname:") || !strings.Contains(err.Error(), "port:") {
		t.Fatalf("defaults without hostname and port: %v", err)
	}
	cfg.Hostname, cfg.Port = "h", 4141
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.ConnectTimeout, cfg.RequestTimeout, cfg.ResetConnectionInterval = 0, -1, -1
	cfg.CompressionType, cfg.CompressionLevel, cfg.MaxInFlight = "lz4", 0, 0
	err := cfg.Validate()
	for _, a := range []string{"connect_timeout", "request_timeout", "reset_connection_interval", "compression_type", "compression_level", "max_in_flight"} {
		if err == nil || !strings.Contains(err.Error(), a+":") {
			t.Errorf("no error about %s in %v", a, err)
		}
	}
}
