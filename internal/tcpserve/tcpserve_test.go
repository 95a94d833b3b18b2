package tcpserve_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/internal/tcpserve"
	"github.com/flumego/flumego/metrics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serving runs srv.Serve with handle until the test ends (or stop is called).
type serving struct {
	srv    *tcpserve.Server
	m      *metrics.Source
	cancel context.CancelFunc
	done   chan struct{}
}

func serve(t *testing.T, opts tcpserve.Options, handle func(context.Context, net.Conn)) *serving {
	t.Helper()
	m := metrics.NewRegistry("a1").Source("r1", "test")
	opts.Metrics = m
	srv, err := tcpserve.Listen("127.0.0.1", 0, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{srv: srv, m: m, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		srv.Serve(ctx, handle)
	}()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels Serve's context and waits for it to return.
func (s *serving) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return within 10s")
	}
}

func (s *serving) dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// echo answers every byte it reads with the same byte.
func echo(_ context.Context, nc net.Conn) { io.Copy(nc, nc) }

// roundTrip writes one byte and reads its echo.
func roundTrip(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte{'x'}); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		t.Fatalf("no echo: %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// readsEOF reports whether c was closed by the server (EOF or reset) within a second.
func readsEOF(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Second))
	var b [1]byte
	_, err := c.Read(b[:])
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func TestServesConnectionsAndCountsThemOpen(t *testing.T) {
	s := serve(t, tcpserve.Options{}, echo)
	a, b := s.dial(t), s.dial(t)
	roundTrip(t, a)
	roundTrip(t, b)
	if n := s.m.OpenConnectionCount.Load(); n != 2 {
		t.Errorf("OpenConnectionCount = %d with two clients, want 2", n)
	}
	a.Close()
	waitFor(t, "OpenConnectionCount to drop to 1", func() bool { return s.m.OpenConnectionCount.Load() == 1 })
	roundTrip(t, b)
}

func TestMaxConnsMakesTheNextClientWait(t *testing.T) {
	s := serve(t, tcpserve.Options{MaxConns: 1}, echo)
	first := s.dial(t)
	roundTrip(t, first)
	second := s.dial(t) // connects through the kernel's backlog, but is not served yet
	second.Write([]byte{'x'})
	second.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	var b [1]byte
	if _, err := second.Read(b[:]); err == nil {
		t.Fatal("a second client was served beyond MaxConns = 1")
	}
	first.Close()
	second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(second, b[:]); err != nil {
		t.Fatalf("the waiting client was not served once the first left: %v", err)
	}
}

func TestAdmitRefusalClosesAtOnceAndIsNotCounted(t *testing.T) {
	var handled atomic.Int64
	s := serve(t, tcpserve.Options{MaxConns: 1, Admit: func(net.Conn) bool { return false }},
		func(context.Context, net.Conn) { handled.Add(1) })
	for range 3 { // more than MaxConns: a refusal gives its token back
		if c := s.dial(t); !readsEOF(c) {
			t.Fatal("a refused connection was not closed")
		}
	}
	if n := handled.Load(); n != 0 {
		t.Errorf("handler ran %d times for refused connections", n)
	}
	if n := s.m.OpenConnectionCount.Load(); n != 0 {
		t.Errorf("OpenConnectionCount = %d, want 0", n)
	}
}

func TestShutdownClosesIdleConnectionsAndLetsBusyOnesFinish(t *testing.T) {
	var srv atomic.Pointer[tcpserve.Server] // set once serving, before any client dials
	entered := make(chan struct{})
	release := make(chan struct{})
	stillServing := make(chan bool, 1)
	busy := func(ctx context.Context, nc net.Conn) {
		if !srv.Load().SetBusy(nc, true) {
			return
		}
		close(entered)
		<-release
		nc.Write([]byte("answer"))
		stillServing <- srv.Load().SetBusy(nc, false)
	}
	var n atomic.Int64
	s := serve(t, tcpserve.Options{}, func(ctx context.Context, nc net.Conn) {
		if n.Add(1) == 1 {
			busy(ctx, nc)
			return
		}
		echo(ctx, nc)
	})
	srv.Store(s.srv)
	b := s.dial(t)
	<-entered
	idle := s.dial(t)
	roundTrip(t, idle)

	s.cancel()
	if !readsEOF(idle) {
		t.Fatal("an idle connection was not closed at shutdown")
	}
	select {
	case <-s.done:
		t.Fatal("Serve returned while a busy connection was still working")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(b)
	if string(got) != "answer" {
		t.Fatalf("the busy connection answered %q (%v), want %q then EOF", got, err, "answer")
	}
	if <-stillServing {
		t.Error("SetBusy reported the server still serving after shutdown")
	}
	s.stop(t)
}

// flakyListener fails its first Accepts as a process out of file descriptors would.
type flakyListener struct {
	net.Listener
	fails atomic.Int64
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.fails.Add(-1) >= 0 {
		return nil, errors.New("accept: too many open files")
	}
	return l.Listener.Accept()
}

func TestAcceptFailuresAreCountedAndRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &flakyListener{Listener: ln}
	fl.fails.Store(3)
	m := metrics.NewRegistry("a1").Source("r1", "test")
	srv := tcpserve.New(fl, tcpserve.Options{Metrics: m})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ctx, echo)
	}()
	defer func() { cancel(); <-done }()
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c)
	if n := m.GenericProcessingFail.Load(); n != 3 {
		t.Errorf("GenericProcessingFail = %d after 3 failed accepts, want 3", n)
	}
}

func TestCloseReleasesTheListenerOfAServerNeverServed(t *testing.T) {
	srv, err := tcpserve.Listen("127.0.0.1", 0, tcpserve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr().String()
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the port is still held after Close: %v", err)
	}
	ln.Close()
}

func TestListenErrorNamesTheAddress(t *testing.T) {
	taken, err := tcpserve.Listen("127.0.0.1", 0, tcpserve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	_, err = tcpserve.Listen("127.0.0.1", port, tcpserve.Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "listen on "+taken.Addr().String()+": ") {
		t.Fatalf("Listen on a port in use: %v, want an error naming the address", err)
	}
}

func TestValidateAddr(t *testing.T) {
	tests := []struct {
		host string
		port int
		want []string // the attributes in error, in order
	}{
		{host: "127.0.0.1", port: 0},
		{host: "0.0.0.0", port: 65535},
		{host: "", port: 41414, want: []string{"host"}},
		{host: "::1", port: -1, want: []string{"port"}},
		{host: "", port: 65536, want: []string{"host", "port"}},
	}
	for _, tt := range tests {
		var got []string
		for _, err := range tcpserve.ValidateAddr("host", tt.host, tt.port) {
			attr, _, _ := strings.Cut(err.Error(), ":")
			got = append(got, attr)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("ValidateAddr(%q, %d): errors on %q, want %q", tt.host, tt.port, got, tt.want)
		}
	}
}
