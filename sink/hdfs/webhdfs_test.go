package hdfs

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/sink/hdfs/webhdfs/webhdfstest"
)

// The webhdfs:// tests run the sink against webhdfstest, an in-memory server implementing the
// documented WebHDFS protocol (a model, not a live cluster).

func newWebSink(t *testing.T, srv *webhdfstest.Server, dir, src string) (*Sink, *metrics.Sink) {
	t.Helper()
	cfg, diags := decode(t, fmt.Sprintf("path = %q\nuser = \"flume\"\n%s", "webhdfs://"+srv.Addr()+dir, src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	m := metrics.NewRegistry("a1").Sink("k1", "hdfs")
	s, err := New(cfg, sink.Settings{Name: "k1", Type: "hdfs", Metrics: m, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Sink), m
}

// serverLines decodes every file on the server under prefix, in name order.
func serverLines(t *testing.T, srv *webhdfstest.Server, gz bool) (names []string, out []string) {
	t.Helper()
	files := srv.Files()
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		data := files[n]
		if gz {
			z, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			if data, err = io.ReadAll(z); err != nil {
				t.Fatalf("%s: %v", n, err)
			}
		}
		if len(data) > 0 {
			out = append(out, strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")...)
		}
	}
	return names, out
}

func TestWebHDFSHourlyGzipWithRolls(t *testing.T) {
	srv := webhdfstest.New()
	defer srv.Close()
	s, m := newWebSink(t, srv, "/flume/%Y%m%d%H", "codec = \"gzip\"\nroll_count = 250\ntime_zone = \"UTC\"\nround = true\nround_unit = \"hour\"")
	ctx := context.Background()
	var want []string
	for b := range 6 {
		evs := numbered(b*100, 100)
		for i := range evs {
			evs[i].Headers = map[string]string{"timestamp": fmt.Sprint(hour + int64(b/3)*3600_000)}
		}
		want = append(want, testkit.Bodies(evs)...)
		if err := s.Write(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	names, got := serverLines(t, srv, true)
	sameLines(t, got, want)
	var shape []string
	for _, n := range names {
		shape = append(shape, strings.Split(n, "/")[2])
		if !strings.HasSuffix(n, ".gz") {
			t.Errorf("%s: want the .gz extension and no in-use suffix", n)
		}
	}
	// 300 events per hour, rolled at 250.
	if !slices.Equal(shape, []string{"2024030507", "2024030507", "2024030508", "2024030508"}) {
		t.Errorf("files %v", names)
	}
	if n := srv.Ops("APPEND"); n < 6 {
		t.Errorf("%d APPENDs for 6 batches", n)
	}
	if misuse := srv.Misuse(); len(misuse) > 0 {
		t.Errorf("protocol misuse: %v", misuse)
	}
	if c := m.ConnectionCreatedCount.Load(); c != 4 {
		t.Errorf("ConnectionCreatedCount %d, want 4", c)
	}
}

// TestWebHDFSFailedAppendIsCutBackAndRetried: an APPEND fails after half its data landed; the
// file is truncated back to the previous batch, renamed, and the retried batch lands once.
func TestWebHDFSFailedAppendIsCutBackAndRetried(t *testing.T) {
	srv := webhdfstest.New()
	defer srv.Close()
	s, m := newWebSink(t, srv, "/flume", "")
	ctx := context.Background()
	if err := s.Write(ctx, numbered(0, 10)); err != nil {
		t.Fatal(err)
	}
	srv.FailNext("APPEND", 1)
	err := s.Write(ctx, numbered(10, 10))
	if err == nil || !strings.Contains(err.Error(), "IOException: injected failure of APPEND") {
		t.Fatalf("Write = %v, want the datanode's RemoteException", err)
	}
	if err := s.Write(ctx, numbered(10, 10)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	names, got := serverLines(t, srv, false)
	sameLines(t, got, lines(0, 20))
	if len(names) != 2 || srv.Ops("TRUNCATE") != 1 {
		t.Errorf("files %v, %d TRUNCATEs; want 2 files and one cut", names, srv.Ops("TRUNCATE"))
	}
	if n := m.ConnectionClosedCount.Load(); n != 2 {
		t.Errorf("ConnectionClosedCount %d, want 2", n)
	}
}

func TestWebHDFSCreateFailureIsCountedAndRetried(t *testing.T) {
	srv := webhdfstest.New()
	defer srv.Close()
	s, m := newWebSink(t, srv, "/flume", "")
	srv.FailNext("CREATE", 1)
	if err := s.Write(context.Background(), numbered(0, 3)); err == nil {
		t.Fatal("Write succeeded with CREATE failing")
	}
	if n := m.ConnectionFailedCount.Load(); n != 1 {
		t.Errorf("ConnectionFailedCount %d, want 1", n)
	}
	if err := s.Write(context.Background(), numbered(0, 3)); err != nil {
		t.Fatal(err)
	}
	s.Close(context.Background())
	_, got := serverLines(t, srv, false)
	sameLines(t, got, lines(0, 3))
}

// TestWebHDFSRefusedPathIsPermanentSafeModeIsNot: a directory the user may not write refuses
// its events for good, while the others are written; a namenode in safe mode fails the batch
// retryably, however long it lasts.
func TestWebHDFSRefusedPathIsPermanentSafeModeIsNot(t *testing.T) {
	srv := webhdfstest.New()
	defer srv.Close()
	s, _ := newWebSink(t, srv, "/flume/%%{app}", "")
	defer s.Close(context.Background())
	srv.Deny("/flume/locked")
	events := []channel.Event{ev("a1", 0, "app", "open"), ev("l1", 0, "app", "locked"), ev("a2", 0, "app", "open"), ev("l2", 0, "app", "locked")}
	err := s.Write(context.Background(), events)
	pe, ok := sink.AsPermanent(err)
	if !ok || !slices.Equal(pe.Events, []int{1, 3}) || !strings.Contains(pe.Err.Error(), "AccessControlException") {
		t.Fatalf("Write = %v, want events 1 and 3 refused for good with the AccessControlException", err)
	}
	if n := srv.Ops("CREATE"); n != 2 {
		t.Errorf("%d CREATE calls, want 2: one per bucket, the refused one not asked again for each event", n)
	}

	srv.SafeMode(true)
	err = s.Write(context.Background(), []channel.Event{ev("b1", 0, "app", "new")})
	if err == nil || sink.IsPermanent(err) || !strings.Contains(err.Error(), "SafeModeException") {
		t.Fatalf("Write in safe mode = %v, want a retryable SafeModeException", err)
	}
	srv.SafeMode(false)
	if err := s.Write(context.Background(), []channel.Event{ev("b1", 0, "app", "new")}); err != nil {
		t.Fatal(err)
	}
}

func TestWebHDFSRecoveryFinishesATornInUseFile(t *testing.T) {
	srv := webhdfstest.New()
	defer srv.Close()
	// A crashed run left a gzip file: one whole member, then a torn one.
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	z.Write([]byte("kept 1\nkept 2\n"))
	z.Close()
	whole := buf.Len()
	z = gzip.NewWriter(&buf)
	z.Write([]byte("lost\n"))
	z.Close()
	srv.Put("/flume/2024030507/FlumeData.1700000000000.gz.tmp", buf.Bytes()[:whole+10])
	srv.Put("/flume/2024030507/Other.1.gz.tmp", []byte("not ours"))

	s, m := newWebSink(t, srv, "/flume/%Y%m%d%H", "codec = \"gzip\"")
	testkit.WaitFor(t, 10*time.Second, "the file recovered", func() bool { return testkit.Counter(m.Component, "FileRecoveredCount") == 1 })
	s.Close(context.Background())
	files := srv.Files()
	got, ok := files["/flume/2024030507/FlumeData.1700000000000.gz"]
	if !ok || len(files) != 2 {
		t.Fatalf("files after recovery: %v", keys(files))
	}
	zr, err := gzip.NewReader(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil || string(data) != "kept 1\nkept 2\n" {
		t.Errorf("recovered file decodes to %q, %v", data, err)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
