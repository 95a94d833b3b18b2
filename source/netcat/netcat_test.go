package netcat_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"go.uber.org/goleak"

	"github.com/flumego/flumego/internal/exampletest"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/netcat"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// running is a netcat source served by Run until the test ends.
type running struct {
	src  *netcat.Source
	m    *metrics.Source
	stop func() // cancels Run and waits for it
}

func (r *running) truncated() int64 { return r.m.Component.Counter("EventTruncatedCount").Load() }

func testConfig(mod func(*netcat.Config)) *netcat.Config {
	cfg := netcat.Defaults()
	cfg.Bind, cfg.Port = "127.0.0.1", 0
	if mod != nil {
		mod(cfg)
	}
	return cfg
}

func start(t *testing.T, cfg *netcat.Config, p source.Processor) *running {
	t.Helper()
	m := metrics.NewRegistry("a1").Source("r1", "netcat")
	src, err := netcat.New(cfg, source.Settings{Name: "r1", Type: "netcat", Metrics: m, Processor: p})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	stop := sourcetest.Run(t, src, 5*time.Second)
	return &running{src: src.(*netcat.Source), m: m, stop: stop}
}

func dial(t *testing.T, r *running) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", r.src.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// send writes input, closes the sending side and returns everything the source answered until
// it closed the connection.
func send(t *testing.T, r *running, input []byte) string {
	t.Helper()
	c := dial(t, r)
	if _, err := c.Write(input); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatalf("close write: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	answer, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	return string(answer)
}

// splitLines is the reference for what events a byte stream makes: split at "\n", strip one
// "\r", truncate to max; a final unterminated line counts; it returns the number truncated.
func splitLines(data []byte, max int) (bodies []string, truncated int) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > max {
			line = line[:max]
			truncated++
		}
		bodies = append(bodies, string(line))
	}
	return bodies, truncated
}

func TestLinesBecomeEvents(t *testing.T) {
	long := strings.Repeat("x", 600)
	tests := []struct {
		name      string
		maxLine   int
		input     string
		want      []string
		truncated int64
	}{
		{name: "simple lines", input: "hello\nworld\n", want: []string{"hello", "world"}},
		{name: "telnet line endings", input: "hello\r\nworld\r\n", want: []string{"hello", "world"}},
		{name: "only one carriage return is stripped", input: "a\r\r\n", want: []string{"a\r"}},
		{name: "carriage return inside a line stays", input: "a\rb\n", want: []string{"a\rb"}},
		{name: "empty lines are empty events", input: "\n\r\na\n\n", want: []string{"", "", "a", ""}},
		{name: "final line without newline", input: "a\nlast", want: []string{"a", "last"}},
		{name: "nothing sent", input: "", want: nil},
		{name: "line of exactly max_line_length", maxLine: 5, input: "12345\n12345\r\nab\n", want: []string{"12345", "12345", "ab"}},
		{name: "long line truncated", maxLine: 5, input: "1234567\nab\n", want: []string{"12345", "ab"}, truncated: 1},
		{name: "long final line truncated", maxLine: 5, input: "ab\n123456", want: []string{"ab", "12345"}, truncated: 1},
		{name: "default max_line_length", input: long + "\nnext\n", want: []string{long[:512], "next"}, truncated: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &sourcetest.Processor{}
			r := start(t, testConfig(func(c *netcat.Config) {
				if tt.maxLine > 0 {
					c.MaxLineLength = tt.maxLine
				}
			}), p)
			answer := send(t, r, []byte(tt.input))
			if want := strings.Repeat("OK\n", len(tt.want)); answer != want {
				t.Errorf("answer = %q, want %q", answer, want)
			}
			if got := p.Bodies(); !slices.Equal(got, tt.want) {
				t.Errorf("bodies = %q, want %q", got, tt.want)
			}
			if got := r.truncated(); got != tt.truncated {
				t.Errorf("EventTruncatedCount = %d, want %d", got, tt.truncated)
			}
		})
	}
}

func TestBuffered_linesShareABatch(t *testing.T) {
	p := &sourcetest.Processor{}
	r := start(t, testConfig(func(c *netcat.Config) { c.Batch = 4 }), p)
	var in strings.Builder
	for i := range 10 {
		fmt.Fprintf(&in, "line %d\n", i)
	}
	send(t, r, []byte(in.String()))
	// All ten lines arrive in one segment, so they fill batches of four before a short one.
	if got, want := p.BatchSizes(), []int{4, 4, 2}; !slices.Equal(got, want) {
		t.Errorf("batch sizes = %v, want %v", got, want)
	}
	for _, b := range p.Batches() {
		for _, e := range b {
			if cap(e.Body) != len(e.Body) {
				t.Fatalf("body %q has room to grow into its neighbour (cap %d)", e.Body, cap(e.Body))
			}
			if e.Headers != nil {
				t.Fatalf("event has headers %v, want none", e.Headers)
			}
		}
	}
}

func TestNoAcknowledgementsWhenAckEveryEventIsOff(t *testing.T) {
	p := &sourcetest.Processor{}
	r := start(t, testConfig(func(c *netcat.Config) { c.AckEveryEvent = false }), p)
	if answer := send(t, r, []byte("a\nb\nc\n")); answer != "" {
		t.Errorf("answer = %q, want nothing", answer)
	}
	if got, want := p.Bodies(), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("bodies = %q, want %q", got, want)
	}
}

func TestHugeLineIsTruncatedAndTheNextLineArrives(t *testing.T) {
	for _, maxLine := range []int{512, 100_000} { // below and above the read buffer's size
		t.Run(fmt.Sprint("max_line_length=", maxLine), func(t *testing.T) {
			p := &sourcetest.Processor{}
			r := start(t, testConfig(func(c *netcat.Config) { c.MaxLineLength = maxLine }), p)
			huge := make([]byte, 1<<20)
			for i := range huge {
				huge[i] = 'a' + byte(i%26)
			}
			input := append(append(huge, '\n'), "next line\n"...)
			answer := send(t, r, input)
			want := []string{string(huge[:maxLine]), "next line"}
			if got := p.Bodies(); !slices.Equal(got, want) {
				t.Fatalf("got %d events (lengths %v), want one truncated to %d and %q", len(got), lengths(got), maxLine, "next line")
			}
			if answer != "OK\nOK\n" {
				t.Errorf("answer = %q, want two OKs", answer)
			}
			if got := r.truncated(); got != 1 {
				t.Errorf("EventTruncatedCount = %d, want 1", got)
			}
		})
	}
}

func lengths(s []string) []int {
	var out []int
	for _, x := range s {
		out = append(out, len(x))
	}
	return out
}

func TestBinaryGarbageIsDeliveredAsBytes(t *testing.T) {
	const maxLine = 300
	p := &sourcetest.Processor{}
	r := start(t, testConfig(func(c *netcat.Config) { c.MaxLineLength = maxLine; c.Batch = 7 }), p)
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 512<<10) // several read buffers, so reused buffers would show
	for i := range garbage {
		switch rng.IntN(40) {
		case 0:
			garbage[i] = '\n'
		case 1:
			garbage[i] = '\r'
		case 2:
			garbage[i] = 0
		default:
			garbage[i] = byte(rng.Uint32())
		}
	}
	want, truncated := splitLines(garbage, maxLine)
	answer := send(t, r, garbage)
	got := p.Bodies()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("event %d = %q, want %q", i, got[i], want[i])
		}
	}
	if answer != strings.Repeat("OK\n", len(want)) {
		t.Errorf("answer has %d bytes, want %d OKs", len(answer), len(want))
	}
	if got := r.truncated(); got != int64(truncated) {
		t.Errorf("EventTruncatedCount = %d, want %d", got, truncated)
	}
	// The source keeps serving.
	if answer := send(t, r, []byte("still here\n")); answer != "OK\n" {
		t.Errorf("after garbage, answer = %q, want OK", answer)
	}
}

func TestQuietClientsDoNotHoldUpOthers(t *testing.T) {
	p := &sourcetest.Processor{}
	r := start(t, testConfig(nil), p)
	silent := dial(t, r)
	halfLine := dial(t, r)
	if _, err := halfLine.Write([]byte("no newline yet")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two open connections", func() bool { return r.m.OpenConnectionCount.Load() == 2 })
	if answer := send(t, r, []byte("busy 1\nbusy 2\n")); answer != "OK\nOK\n" {
		t.Errorf("answer = %q, want two OKs", answer)
	}
	if got, want := p.Bodies(), []string{"busy 1", "busy 2"}; !slices.Equal(got, want) {
		t.Errorf("bodies = %q, want %q", got, want)
	}
	// The half line completes later.
	if _, err := halfLine.Write([]byte(", now\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the completed half line", func() bool { return p.Count() == 3 })
	if got := p.Bodies()[2]; got != "no newline yet, now" {
		t.Errorf("half line = %q", got)
	}
	silent.Close()
	waitFor(t, "the silent client's connection to close", func() bool { return r.m.OpenConnectionCount.Load() == 1 })
}

func TestManyConnectionsAtOnce(t *testing.T) {
	const conns, lines = 500, 20
	p := &sourcetest.Processor{}
	r := start(t, testConfig(func(c *netcat.Config) { c.Batch = 8 }), p)
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for c := range conns {
		wg.Go(func() {
			nc, err := net.Dial("tcp", r.src.Addr().String())
			if err != nil {
				errs <- err
				return
			}
			defer nc.Close()
			var in bytes.Buffer
			for l := range lines {
				fmt.Fprintf(&in, "conn %03d line %02d\n", c, l)
			}
			if _, err := nc.Write(in.Bytes()); err != nil {
				errs <- err
				return
			}
			nc.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := io.ReadFull(nc, make([]byte, 3*lines)); err != nil {
				errs <- fmt.Errorf("conn %d: reading OKs: %w", c, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := p.Bodies()
	if len(got) != conns*lines {
		t.Fatalf("got %d events, want %d", len(got), conns*lines)
	}
	// Every line arrived once, and each connection's lines in order.
	next := make([]int, conns)
	for _, b := range got {
		var c, l int
		if _, err := fmt.Sscanf(b, "conn %d line %d", &c, &l); err != nil {
			t.Fatalf("unexpected body %q", b)
		}
		if l != next[c] {
			t.Fatalf("conn %d: line %d arrived when line %d was expected", c, l, next[c])
		}
		next[c]++
	}
	waitFor(t, "every connection to close", func() bool { return r.m.OpenConnectionCount.Load() == 0 })
}

func TestFullChannelSlowsTheClientAndLosesNothing(t *testing.T) {
	const lines = 300
	p := &sourcetest.Processor{Refusing: true}
	var ackedBeforeCommit atomic.Int64
	var oks atomic.Int64
	r := start(t, testConfig(func(c *netcat.Config) { c.Batch = 16 }), p)
	c := dial(t, r)

	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 3)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if string(buf) != "OK\n" {
				ackedBeforeCommit.Add(1000) // garbage answer: fail loudly
				return
			}
			if n := oks.Add(1); int(n) > p.Count() {
				ackedBeforeCommit.Add(1)
			}
		}
	}()
	var in bytes.Buffer
	for i := range lines {
		fmt.Fprintf(&in, "event %d\n", i)
	}
	if _, err := c.Write(in.Bytes()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the source to retry a full channel", func() bool { return p.Refusals() >= 20 })
	if n := oks.Load(); n != 0 {
		t.Fatalf("client read %d OKs while the channel refused everything", n)
	}
	p.SetRefusing(false)
	waitFor(t, "every event", func() bool { return p.Count() == lines })
	waitFor(t, "every OK", func() bool { return oks.Load() == lines })
	c.Close()
	<-readDone

	if n := ackedBeforeCommit.Load(); n != 0 {
		t.Errorf("%d OKs were read before their event was committed", n)
	}
	got := p.Bodies()
	for i, b := range got {
		if want := fmt.Sprintf("event %d", i); b != want {
			t.Fatalf("event %d = %q, want %q", i, b, want)
		}
	}
}

func TestDeliveryFailureIsReportedAndClosesTheConnection(t *testing.T) {
	p := &sourcetest.Processor{Fail: errors.New("transaction capacity exceeded\nsecond line")}
	r := start(t, testConfig(nil), p)
	answer := send(t, r, []byte("a\nb\n"))
	want := strings.Repeat("FAILED: transaction capacity exceeded second line\n", 2)
	if answer != want {
		t.Errorf("answer = %q, want %q", answer, want)
	}
	if got := r.m.GenericProcessingFail.Load(); got != 1 {
		t.Errorf("GenericProcessingFail = %d, want 1", got)
	}
}

func TestShutdownWithOpenConnections(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	p := &sourcetest.Processor{}
	r := start(t, testConfig(nil), p)
	idle := dial(t, r)
	partial := dial(t, r)
	partial.Write([]byte("half a line"))
	p.SetGate(gate) // the next batch blocks in the processor
	blocked := dial(t, r)
	blocked.Write([]byte("stuck in a full channel\n"))
	waitFor(t, "three open connections", func() bool { return r.m.OpenConnectionCount.Load() == 3 })

	begin := time.Now()
	r.stop()
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	for name, c := range map[string]net.Conn{"idle": idle, "partial": partial, "blocked": blocked} {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 16)); err == nil || n > 0 {
			t.Errorf("%s client: read %d bytes, err %v; want the connection closed without an OK", name, n, err)
		}
	}
	if got := r.m.OpenConnectionCount.Load(); got != 0 {
		t.Errorf("OpenConnectionCount = %d after shutdown", got)
	}
	if _, err := net.Dial("tcp", r.src.Addr().String()); err == nil {
		t.Errorf("the listener still accepts after shutdown")
	}
}

func TestMaxConnectionsMakesNewClientsWait(t *testing.T) {
	p := &sourcetest.Processor{}
	r := start(t, testConfig(func(c *netcat.Config) { c.MaxConnections = 1 }), p)
	first := dial(t, r)
	first.Write([]byte("first\n"))
	if _, err := io.ReadFull(first, make([]byte, 3)); err != nil {
		t.Fatal(err)
	}
	second := dial(t, r) // completes in the kernel's backlog
	second.Write([]byte("second\n"))
	// A negative check can only wait a while: the second client must not be served yet.
	time.Sleep(100 * time.Millisecond)
	if got := p.Bodies(); !slices.Equal(got, []string{"first"}) {
		t.Fatalf("while the first client is connected, bodies = %q", got)
	}
	first.Close()
	second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(second, make([]byte, 3)); err != nil {
		t.Fatalf("second client after the first left: %v", err)
	}
	if got, want := p.Bodies(), []string{"first", "second"}; !slices.Equal(got, want) {
		t.Errorf("bodies = %q, want %q", got, want)
	}
}

func TestPortInUseFailsAtStartUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig(func(c *netcat.Config) { c.Port = ln.Addr().(*net.TCPAddr).Port })
	_, err = netcat.New(cfg, source.Settings{Name: "r1", Processor: &sourcetest.Processor{}})
	if err == nil || !strings.Contains(err.Error(), "netcat: listen on 127.0.0.1:") {
		t.Errorf("New on a port in use: err = %v, want a listen error naming the type (the agent adds the name)", err)
	}
}

func TestCloseWithoutRun(t *testing.T) {
	src, err := netcat.New(testConfig(nil), source.Settings{Name: "r1", Processor: &sourcetest.Processor{}})
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*netcat.Source)
	addr := s.Addr().String()
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port not released: %v", err)
	}
	ln.Close()
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		want  netcat.Config
		diags []string // "line: substring" of each expected error
	}{
		{
			name: "defaults",
			body: "bind = \"0.0.0.0\"\nport = 44444\n",
			want: netcat.Config{Bind: "0.0.0.0", Port: 44444, MaxLineLength: 512, AckEveryEvent: true, Batch: 100},
		},
		{
			name: "everything set",
			body: "bind = \"127.0.0.1\"\nport = 0\nmax_line_length = 4096\nack_every_event = false\nbatch_size = 1000\nmax_connections = 50\n",
			want: netcat.Config{Bind: "127.0.0.1", Port: 0, MaxLineLength: 4096, AckEveryEvent: false, Batch: 1000, MaxConnections: 50},
		},
		{
			name:  "port out of range",
			body:  "bind = \"0.0.0.0\"\nport = 70000\n",
			diags: []string{"2: port: must be 0-65535, got 70000"},
		},
		{
			name: "every problem at once",
			body: "bind = \"\"\nport = -1\nmax_line_length = 0\nbatch_size = 0\nmax_connections = -2\n",
			diags: []string{
				"1: bind: must not be empty",
				"2: port: must be 0-65535, got -1",
				"3: max_line_length: must be 1-",
				"4: batch_size: must be at least 1, got 0",
				"5: max_connections: must be 0 (unlimited) or more, got -2",
			},
		},
		{
			name:  "missing port",
			body:  "bind = \"0.0.0.0\"\n",
			diags: []string{`1: Missing required argument`},
		},
		{
			name:  "misspelt attribute",
			body:  "bind = \"0.0.0.0\"\nport = 1\nmax_line_lenght = 10\n",
			diags: []string{"3: Unsupported argument"},
		},
		{
			name:  "fractional batch size",
			body:  "bind = \"0.0.0.0\"\nport = 1\nbatch_size = 1.5\n",
			diags: []string{"3: batch_size: want a whole number"},
		},
	}
	f := netcat.NewFactory()
	if f.Type() != "netcat" {
		t.Fatalf("Type = %q", f.Type())
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, got := exampletest.DecodeSnippet(t, f, `source "netcat" "r1"`, tt.body)
			exampletest.MatchDiagnostics(t, got, tt.diags)
			if len(tt.diags) == 0 {
				if c := cfg.(*netcat.Config); *c != tt.want {
					t.Errorf("config = %+v, want %+v", *c, tt.want)
				}
				if c := cfg.(*netcat.Config); c.BatchLimit().Events != tt.want.Batch {
					t.Errorf("BatchLimit().Events = %d", c.BatchLimit().Events)
				}
			}
		})
	}
}

func TestFactoryCreatesAServingSource(t *testing.T) {
	f := netcat.NewFactory()
	file, _ := hclsyntax.ParseConfig([]byte("bind = \"127.0.0.1\"\nport = 0\n"), "flume.hcl", hcl.InitialPos)
	cfg, diags := f.Decode(file.Body, nil, "netcat", hcl.Range{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	src, err := f.Create(cfg, source.Settings{Name: "r1", Processor: &sourcetest.Processor{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.(*netcat.Source).Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestQuietConnectionsHoldNoReadBuffers(t *testing.T) {
	const conns = 200
	p := &sourcetest.Processor{}
	r := start(t, testConfig(nil), p)
	heap := func() uint64 {
		runtime.GC()
		runtime.GC() // and once more, to empty the pools' victim caches
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	for i := range conns {
		c := dial(t, r)
		// Each connection has had data once, so it went through a read buffer and back.
		if _, err := fmt.Fprintf(c, "hello %d\n", i); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every hello", func() bool { return p.Count() == conns })
	waitFor(t, "every connection open", func() bool { return r.m.OpenConnectionCount.Load() == conns })
	grown := int64(heap()) - int64(before)
	// A read buffer is 64 KiB: holding one per connection would be 12.5 MiB.
	if perConn := grown / conns; perConn > 16<<10 {
		t.Errorf("heap grew %d bytes per quiet connection", perConn)
	}
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	sourcetest.WaitFor(t, 20*time.Second, what, cond)
}

// With room for one read buffer only, connections take turns: every line of each arrives, and
// the budget is whole again once they are quiet.
func TestConnectionsShareTheInflightBudget(t *testing.T) {
	rec := &sourcetest.Processor{}
	r := start(t, testConfig(func(c *netcat.Config) { c.MaxInflightBytes = 64 << 10 }), rec)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			var b strings.Builder
			for j := range 2000 {
				fmt.Fprintf(&b, "conn%d line%d\n", i, j)
			}
			if answer := send(t, r, []byte(b.String())); strings.Count(answer, "OK\n") != 2000 {
				t.Errorf("connection %d: %d acknowledgements, want 2000", i, strings.Count(answer, "OK\n"))
			}
		})
	}
	wg.Wait()
	if rec.Count() != 8000 {
		t.Fatalf("%d events, want 8000", rec.Count())
	}
	testkit.WaitFor(t, 5*time.Second, "the budget to be released", func() bool {
		return r.m.Component.Gauge("InflightBytes").Load() == 0
	})
}
