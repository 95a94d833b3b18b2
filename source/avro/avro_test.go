package avro_test

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	cryptomd5 "crypto/md5"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/memory"
	"github.com/flumego/flumego/internal/avrorpc"
	"github.com/flumego/flumego/internal/avrorpc/avrotest"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/avro"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type running struct {
	src  *avro.Source
	m    *metrics.Source
	addr string
}

func testConfig(mod func(*avro.Config)) *avro.Config {
	cfg := avro.Defaults()
	cfg.Bind, cfg.Port = "127.0.0.1", 0
	if mod != nil {
		mod(cfg)
	}
	return cfg
}

// start runs a source on cfg until the test ends.
func start(t *testing.T, cfg *avro.Config, p source.Processor) *running {
	t.Helper()
	m := metrics.NewRegistry("a1").Source("r1", "avro")
	src, err := avro.New(cfg, source.Settings{Name: "r1", Type: "avro", Metrics: m, Processor: p})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sourcetest.Run(t, src, 10*time.Second)
	s := src.(*avro.Source)
	return &running{src: s, m: m, addr: s.Addr().String()}
}

func dialClient(t *testing.T, r *running, mod func(*avrorpc.ClientConfig)) *avrorpc.Client {
	t.Helper()
	cc := avrorpc.ClientConfig{Addr: r.addr, ConnectTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second}
	if mod != nil {
		mod(&cc)
	}
	c, err := avrorpc.Dial(context.Background(), cc)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func events(prefix string, n int) []channel.Event {
	out := make([]channel.Event, n)
	for i := range out {
		out[i] = channel.Event{Headers: map[string]string{"seq": fmt.Sprint(i), "src": prefix}, Body: fmt.Appendf(nil, "%s event %d", prefix, i)}
	}
	return out
}

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	sourcetest.WaitFor(t, 10*time.Second, what, cond)
}

func TestAppendAndAppendBatchArePutAndAnsweredOK(t *testing.T) {
	rec := &sourcetest.Processor{}
	r := start(t, testConfig(nil), rec)
	c := dialClient(t, r, nil)
	batch := events("b", 250)
	if err := c.AppendBatch(context.Background(), batch, 100, 1); err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	single := channel.Event{Body: []byte("alone")}
	if err := c.Append(context.Background(), single); err != nil {
		t.Fatalf("Append: %v", err)
	}
	want := append(append([]channel.Event{}, batch...), single)
	if got := rec.Events(); !reflect.DeepEqual(got, want) {
		t.Fatalf("processor got %d events, want %d (first %+v)", len(got), len(want), got[0])
	}
	if n := len(rec.Batches()); n != 4 {
		t.Fatalf("%d calls reached the processor, want 4 (100+100+50+1)", n)
	}
	if got := r.m.OpenConnectionCount.Load(); got != 1 {
		t.Fatalf("OpenConnectionCount = %d while connected", got)
	}
	c.Close()
	waitFor(t, "the connection to be counted closed", func() bool { return r.m.OpenConnectionCount.Load() == 0 })
	if got := r.m.EventReadFail.Load(); got != 0 {
		t.Fatalf("EventReadFail = %d after a clean session", got)
	}
}

func TestPipelinedCallsAreAllAnswered(t *testing.T) {
	rec := &sourcetest.Processor{}
	r := start(t, testConfig(nil), rec)
	c := dialClient(t, r, nil)
	batch := events("p", 1000)
	if err := c.AppendBatch(context.Background(), batch, 100, 8); err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	if got := rec.Events(); !reflect.DeepEqual(got, batch) {
		t.Fatalf("processor got %d events, want %d in order", len(got), len(batch))
	}
}

func TestAFullChannelIsAnsweredFailedAndTheRetryIsAccepted(t *testing.T) {
	rec := &sourcetest.Processor{Refusing: true}
	r := start(t, testConfig(nil), rec)
	c := dialClient(t, r, nil)
	batch := events("f", 10)
	var se *avrorpc.StatusError
	if err := c.AppendBatch(context.Background(), batch, 100, 1); !errors.As(err, &se) || se.Status != avrorpc.StatusFailed {
		t.Fatalf("AppendBatch into a full channel: %v, want FAILED", err)
	}
	rec.SetRefusing(false)
	if err := c.AppendBatch(context.Background(), batch, 100, 1); err != nil {
		t.Fatalf("retry on the same connection: %v", err)
	}
	if got := rec.Events(); !reflect.DeepEqual(got, batch) {
		t.Fatalf("got %d events after the retry", len(got))
	}
	if r.m.EventReadFail.Load() != 0 {
		t.Fatal("a FAILED answer counted as bad input")
	}
}

// TestCountersThroughTheRealProcessor checks the source's counters as an operator reads them:
// the processor counts batches and events, once per call.
func TestCountersThroughTheRealProcessor(t *testing.T) {
	ch, err := memory.New(&memory.Config{Capacity: 1000, TxCapacity: 1000, ByteCapacityBufferPercentage: 20}, channel.Settings{Name: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close(context.Background())
	m := metrics.NewRegistry("a1").Source("r1", "avro")
	proc := source.NewProcessor(source.ProcessorConfig{Channels: []channel.Channel{ch}, ChannelNames: []string{"c1"}, Metrics: m})
	src, err := avro.New(testConfig(nil), source.Settings{Name: "r1", Metrics: m, Processor: proc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	defer func() { cancel(); <-done }()
	c, err := avrorpc.Dial(ctx, avrorpc.ClientConfig{Addr: src.(*avro.Source).Addr().String(), RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.AppendBatch(ctx, events("m", 30), 10, 1); err != nil {
		t.Fatal(err)
	}
	if err := c.Append(ctx, events("one", 1)[0]); err != nil {
		t.Fatal(err)
	}
	// Flume's names for the single append next to the batch ones, which count every call.
	for name, want := range map[string]int64{"AppendBatchReceivedCount": 4, "AppendBatchAcceptedCount": 4, "AppendReceivedCount": 1, "AppendAcceptedCount": 1, "EventReceivedCount": 31, "EventAcceptedCount": 31} {
		if got := m.Component.Counter(name).Load(); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	tx := ch.BeginTake()
	got, _ := tx.Take(100)
	if len(got) != 31 || string(got[29].Body) != "m event 29" {
		t.Fatalf("channel holds %d events", len(got))
	}
	tx.Commit(ctx)
}

func capture(t *testing.T, name string) []avrotest.Chunk {
	return avrotest.ReadCapture(t, filepath.Join("..", "..", "internal", "avrorpc", "testdata", name))
}

// rawAnswers writes the client frames one at a time and returns the server's raw answer bytes,
// each read as a whole frame through a tee, so they can be compared byte for byte.
func rawAnswers(t *testing.T, addr string, frames [][]byte) [][]byte {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	var raw bytes.Buffer
	br := bufio.NewReader(io.TeeReader(nc, &raw))
	var answers [][]byte
	for _, f := range frames {
		if _, err := nc.Write(f); err != nil {
			t.Fatal(err)
		}
		if _, _, err := avrorpc.ReadFrame(br, nil, 1<<20); err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		if br.Buffered() != 0 {
			t.Fatal("more than one answer arrived")
		}
		answers = append(answers, append([]byte(nil), raw.Bytes()...))
		raw.Reset()
	}
	return answers
}

// TestJavaClientCapturesGetTheJavaServerAnswers replays what Flume's Java clients sent: the
// source must decode it, put the events, and answer with exactly the bytes the Java server
// answered.
func TestJavaClientCapturesGetTheJavaServerAnswers(t *testing.T) {
	for _, tt := range []struct {
		file   string
		events int
	}{
		{"01-appendBatch-2events-handshake-BOTH.log", 2},
		{"03-two-appends-same-connection.log", 2},
		{"05-flume-sdk-client-batch-size-3.log", 7},
	} {
		t.Run(tt.file, func(t *testing.T) {
			rec := &sourcetest.Processor{}
			r := start(t, testConfig(nil), rec)
			chunks := capture(t, tt.file)
			var frames, want [][]byte
			for _, c := range chunks {
				if c.FromClient {
					frames = append(frames, c.Bytes)
				} else {
					want = append(want, c.Bytes)
				}
			}
			got := rawAnswers(t, r.addr, frames)
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("answer %d:\n%x\nwant the Java server's\n%x", i, got[i], want[i])
				}
			}
			if n := len(rec.Events()); n != tt.events {
				t.Fatalf("%d events put, want %d", n, tt.events)
			}
		})
	}
}

// TestUnknownClientProtocolIsAnsweredNoneThenTheResendIsAccepted: a client presenting an unknown
// hash without its text gets NONE (the Java server's exact bytes: Flume's protocol and hash),
// nothing is put; its resend with the text is executed.
func TestUnknownClientProtocolIsAnsweredNoneThenTheResendIsAccepted(t *testing.T) {
	rec := &sourcetest.Processor{}
	r := start(t, testConfig(nil), rec)
	text := avrorpc.FlumeProtocolAvro1111().Text
	text = text[:len(text)-3] + `  }}}` // another text, same messages: an unknown hash
	other := avrorpc.Protocol{Text: text, Hash: md5(text)}
	ev := []channel.Event{{Headers: map[string]string{"seq": "0", "host": "javapeer"}, Body: []byte("event 0")}}
	var first, resend avrorpc.FrameBuilder
	avrorpc.BuildRequest(&first, 1, &avrorpc.HandshakeRequest{ClientHash: other.Hash, ServerHash: other.Hash, Meta: map[string][]byte{}}, avrorpc.MessageAppendBatch, ev)
	firstFrame := append([]byte(nil), first.Bytes()...)
	avrorpc.BuildRequest(&resend, 2, &avrorpc.HandshakeRequest{ClientHash: other.Hash, ClientProtocol: other.Text, HasClientProtocol: true,
		ServerHash: avrorpc.FlumeProtocol().Hash, Meta: map[string][]byte{}}, avrorpc.MessageAppendBatch, ev)
	got := rawAnswers(t, r.addr, [][]byte{firstFrame, resend.Bytes()})
	java := capture(t, "02-handshake-NONE-then-resend.log")
	if !bytes.Equal(got[0], java[1].Bytes) {
		t.Fatalf("NONE answer:\n%x\nwant the Java server's\n%x", got[0], java[1].Bytes)
	}
	if !bytes.Equal(got[1], java[3].Bytes) {
		t.Fatalf("answer to the resend:\n%x\nwant\n%x", got[1], java[3].Bytes)
	}
	if n := len(rec.Events()); n != 1 {
		t.Fatalf("%d events put, want 1 (the NONE call must not be executed)", n)
	}
}

// TestAvro1111ClientIsAcceptedByHash: Flume built with Avro 1.11.1 presents the other hash
// without text (capture 02's first call); this source knows it and executes the call at once.
func TestAvro1111ClientIsAcceptedByHash(t *testing.T) {
	rec := &sourcetest.Processor{}
	r := start(t, testConfig(nil), rec)
	java := capture(t, "02-handshake-NONE-then-resend.log")
	got := rawAnswers(t, r.addr, [][]byte{java[0].Bytes})
	want := capture(t, "01-appendBatch-2events-handshake-BOTH.log")[1].Bytes // BOTH, OK, serial 1
	if !bytes.Equal(got[0], want) {
		t.Fatalf("answer:\n%x\nwant\n%x", got[0], want)
	}
	if n := len(rec.Events()); n != 1 {
		t.Fatalf("%d events put, want 1", n)
	}
}

// TestDeflateCaptureIsAnswered replays the Java client's compressed stream (capture 06).
func TestDeflateCaptureIsAnswered(t *testing.T) {
	rec := &sourcetest.Processor{}
	r := start(t, testConfig(func(c *avro.Config) { c.CompressionType = "deflate" }), rec)
	java := capture(t, "06-deflate-raw.log")
	nc, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write(java[0].Bytes); err != nil {
		t.Fatal(err)
	}
	zr, err := zlib.NewReader(nc)
	if err != nil {
		t.Fatal(err)
	}
	wantZ, _ := zlib.NewReader(bytes.NewReader(java[1].Bytes))
	want := make([]byte, 23+4) // the Java answer: serial 1, BOTH, OK
	if _, err := io.ReadFull(wantZ, want); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(zr, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("inflated answer %x, want %x", got, want)
	}
	if _, err := nc.Write(java[2].Bytes); err != nil { // the client finishes its stream
		t.Fatal(err)
	}
	if n := len(rec.Events()); n != 3 {
		t.Fatalf("%d events put, want 3", n)
	}
}

func md5(s string) avrorpc.Hash { return cryptomd5.Sum([]byte(s)) }

func sourceSettings() source.Settings {
	return source.Settings{Name: "r1", Type: "avro", Processor: &sourcetest.Processor{}}
}

// gated is a processor that holds each put until released.
type gated struct {
	sourcetest.Processor
	entered chan struct{}
	release chan struct{}
}

func (g *gated) Process(ctx context.Context, events []channel.Event) error {
	g.entered <- struct{}{}
	<-g.release
	return g.Processor.Process(ctx, events)
}

// TestStoppingAnswersTheCallBeingPut: the source stops while a call is being put; the call is
// committed and answered OK, so its sender does not send it again; idle connections are closed
// at once.
func TestStoppingAnswersTheCallBeingPut(t *testing.T) {
	g := &gated{entered: make(chan struct{}, 1), release: make(chan struct{})}
	src, err := avro.New(testConfig(nil), source.Settings{Name: "r1", Processor: g})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	addr := src.(*avro.Source).Addr().String()
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	c, err := avrorpc.Dial(context.Background(), avrorpc.ClientConfig{Addr: addr, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sent := make(chan error, 1)
	go func() { sent <- c.AppendBatch(context.Background(), events("stop", 5), 5, 1) }()
	<-g.entered
	cancel()
	idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("the idle connection was not closed at the stop: %v", err)
	}
	close(g.release)
	if err := <-sent; err != nil {
		t.Fatalf("the call being put at the stop: %v, want OK", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(g.Events()); n != 5 {
		t.Fatalf("%d events put", n)
	}
}
