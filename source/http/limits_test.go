package http_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
	httpsource "github.com/flumego/flumego/source/http"
)

// holdRequest sends a POST's head and the first bytes of its body, then holds the connection
// open, as a slow or hostile client does. It returns the connection, to read the answer from.
func holdRequest(t *testing.T, addr, headers, partBody string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\n%s\r\n%s", headers, partBody)
	return c
}

// answer reads the status code and Retry-After of the response on c, within 5s.
func answer(t *testing.T, c net.Conn) (int, string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer within 5s: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func TestContentLengthAboveTheLimitIsRefusedBeforeTheBodyIsRead(t *testing.T) {
	addr, rec, m := start(t, func(c *httpsource.Config) { c.ReadTimeout = time.Minute })
	c := holdRequest(t, addr, "Content-Length: 1099511627776\r\n", `[{"body":"`)
	if code, _ := answer(t, c); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413 at once", code)
	}
	if rec.Count() != 0 || m.EventReadFail.Load() != 1 {
		t.Fatalf("%d events put, EventReadFail %d; want 0 and 1", rec.Count(), m.EventReadFail.Load())
	}
}

func TestRequestsBeyondTheInflightBudgetAreAnswered503(t *testing.T) {
	for _, tt := range []struct {
		name    string
		chunked bool
	}{
		{"declared length", false},
		{"chunked", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.NewRegistry("a1").Source("r1", "http")
			addr, rec := startWith(t, source.Settings{Name: "r1", Metrics: m, InFlight: source.NewBudget(1 << 20)},
				func(c *httpsource.Config) { c.MaxInflightBytes = 5000 })
			// One request holds 3000 bytes of the source's 5000 while its body trickles in.
			holdRequest(t, addr, "Content-Length: 3000\r\n", `[{"body":"`)
			testkit.WaitFor(t, 10*time.Second, "the first request's reservation", func() bool { return m.Component.Gauge("InflightBytes").Load() == 3000 })

			// A second, whole request of 2513 bytes does not fit beside it.
			body := `[{"body":"` + strings.Repeat("x", 2500) + `"}]`
			headers := fmt.Sprintf("Content-Length: %d\r\n", len(body))
			if tt.chunked {
				headers, body = "Transfer-Encoding: chunked\r\n", fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
			}
			c := holdRequest(t, addr, headers, body)
			code, retry := answer(t, c)
			if code != http.StatusServiceUnavailable || retry == "" {
				t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After", code, retry)
			}
			if rec.Count() != 0 || m.Component.Counter("InflightWaitCount").Load() == 0 || m.EventReadFail.Load() != 0 {
				t.Fatalf("%d events, InflightWaitCount %d, EventReadFail %d", rec.Count(),
					m.Component.Counter("InflightWaitCount").Load(), m.EventReadFail.Load())
			}
		})
	}
}

// tooLarge is a processor whose channel can never take the batch.
type tooLarge struct{}

func (tooLarge) Process(context.Context, []channel.Event) error {
	return fmt.Errorf("put 3 events into channel %q: %w", "c1", channel.ErrTxFull)
}

func (p tooLarge) Deliver(ctx context.Context, events []channel.Event) error {
	return p.Process(ctx, events)
}

func TestARequestThatCanNeverFitIsAnswered413NotRetried(t *testing.T) {
	cfg := httpsource.Defaults()
	cfg.Bind, cfg.Port = "127.0.0.1", 0
	src, err := httpsource.New(cfg, source.Settings{Name: "r1", Processor: tooLarge{}})
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Run(t, src, 10*time.Second)
	code, msg := post(t, http.DefaultClient, "http://"+src.(*httpsource.Source).Addr().String()+"/", `[{"body":"1"},{"body":"2"},{"body":"3"}]`)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(msg, "transaction capacity") {
		t.Fatalf("status %d %q, want 413 naming the transaction capacity", code, msg)
	}
}

// startWith starts a source with the given settings (its processor a recorder).
func startWith(t *testing.T, set source.Settings, mod func(*httpsource.Config)) (string, *sourcetest.Processor) {
	t.Helper()
	cfg := httpsource.Defaults()
	cfg.Bind, cfg.Port, cfg.ReadTimeout = "127.0.0.1", 0, time.Minute
	mod(cfg)
	rec := &sourcetest.Processor{}
	set.Processor = rec
	src, err := httpsource.New(cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Run(t, src, 10*time.Second)
	return src.(*httpsource.Source).Addr().String(), rec
}
