package metrics

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// get fetches url with a client that keeps no idle connections, so goleak sees none.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

func listen(t *testing.T, h http.Handler) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0", h, nil)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestServerEndpoints(t *testing.T) {
	reg := NewRegistry("a1")
	reg.Channel("c1", "memory").EventPutSuccessCount.Add(42)

	var mu sync.Mutex
	var healthErr error
	health := func() error {
		mu.Lock()
		defer mu.Unlock()
		return healthErr
	}
	s := listen(t, Handler(reg, Probes{Health: health}))
	base := "http://" + s.Addr().String()

	tests := []struct {
		path      string
		unhealthy error
		code      int
		contains  string
	}{
		{"/metrics", nil, 200, `flumego_channel_event_put_success_total{agent="a1",component="c1",type="memory"} 42`},
		{"/metrics.json", nil, 200, `"EventPutSuccessCount":"42"`},
		{"/healthz", nil, 200, "ok\n"},
		{"/healthz", errors.New("sink k1: kafka: broker unreachable"), 503, "sink k1: kafka: broker unreachable\n"},
		{"/", nil, 200, "/metrics.json"},
		{"/nope", nil, 404, ""},
	}
	for _, tt := range tests {
		mu.Lock()
		healthErr = tt.unhealthy
		mu.Unlock()
		code, body := get(t, base+tt.path)
		if code != tt.code || !strings.Contains(body, tt.contains) {
			t.Errorf("GET %s (health %v) = %d %q, want %d containing %q", tt.path, tt.unhealthy, code, body, tt.code, tt.contains)
		}
		if tt.path == "/healthz" && body != tt.contains {
			t.Errorf("GET /healthz body = %q, want exactly %q", body, tt.contains)
		}
	}
}

func TestHealthzNil(t *testing.T) {
	s := listen(t, Handler(NewRegistry("a1"), Probes{}))
	if code, body := get(t, "http://"+s.Addr().String()+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("GET /healthz with nil health = %d %q, want 200 \"ok\\n\"", code, body)
	}
}

func TestListenPortInUse(t *testing.T) {
	s := listen(t, http.NotFoundHandler())
	addr := s.Addr().String()

	_, err := Listen(addr, http.NotFoundHandler(), nil)
	if err == nil {
		t.Fatalf("second Listen on %s succeeded", addr)
	}
	if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("error = %q, want it to name %s and say the address is in use", err, addr)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error %v does not wrap a *net.OpError", err)
	}
}

func TestServerCloseTwice(t *testing.T) {
	s, err := Listen("127.0.0.1:0", Handler(NewRegistry("a1"), Probes{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr().String()
	if code, _ := get(t, "http://"+addr+"/healthz"); code != 200 {
		t.Fatalf("healthz = %d before close", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := range 2 {
		if err := s.Close(ctx); err != nil {
			t.Fatalf("close %d: %v", i+1, err)
		}
	}
	// The port is free again.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port still held after Close: %v", err)
	}
	ln.Close()
}

// TestServerCloseDeadline holds a request open past Close's deadline: Close reports the
// deadline, cuts the request off and still returns.
func TestServerCloseDeadline(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	s, err := Listen("127.0.0.1:0", h, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer close(release)

	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	reqDone := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr}).Get("http://" + s.Addr().String() + "/")
		if err == nil {
			resp.Body.Close()
		}
		reqDone <- err
	}()
	<-entered

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // already past the deadline
	if err := s.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close with a request in flight = %v, want context.Canceled", err)
	}
	if err := s.Close(context.Background()); !errors.Is(err, context.Canceled) {
		t.Errorf("second Close = %v, want the first result", err)
	}
	if err := <-reqDone; err == nil {
		t.Errorf("request in flight survived a forced close")
	}
}
