package fileroll

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/memory"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/sink"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// decode decodes a file_roll body.
func decode(t testing.TB, src string) (*Config, hcl.Diagnostics) {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(src), "flume.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg, diags := NewFactory().Decode(file.Body, nil, `sink "file_roll" "k1"`, hcl.Range{Filename: "flume.hcl"})
	return cfg.(*Config), diags
}

// newSink builds a file_roll sink writing to dir from the HCL attributes in src.
func newSink(t testing.TB, dir, src string) (*Sink, *metrics.Sink) {
	t.Helper()
	cfg, diags := decode(t, fmt.Sprintf("directory = %q\n%s", dir, src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	m := metrics.NewRegistry("a1").Sink("k1", "file_roll")
	s, err := NewFactory().Create(cfg, sink.Settings{Name: "k1", Type: "file_roll", Metrics: m, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Sink), m
}

func events(from, n int) []channel.Event {
	out := make([]channel.Event, n)
	for i := range out {
		out[i] = channel.Event{Body: []byte("event " + strconv.Itoa(from+i))}
	}
	return out
}

func lines(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "event " + strconv.Itoa(from+i)
	}
	return out
}

// files returns the names in dir in the order the sink opened them (by their index).
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	index := regexp.MustCompile(`-(\d+)`)
	slices.SortFunc(names, func(a, b string) int {
		ia, _ := strconv.Atoi(index.FindStringSubmatch(a)[1])
		ib, _ := strconv.Atoi(index.FindStringSubmatch(b)[1])
		return ia - ib
	})
	return names
}

// readLines returns the lines of the files in dir, file after file.
func readLines(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, name := range files(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 {
			out = append(out, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
		}
	}
	return out
}

func TestFileRollWritesEventsExactly(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		wantName string // regexp
		want     string
	}{
		{"defaults", "", `^\d{13}-1$`, "a\n\nccc\nd\n"},
		{"prefix and extension", "prefix = \"app-\"\nextension = \"log\"", `^app-\d{13}-1\.log$`, "a\n\nccc\nd\n"},
		{"without newline", "serializer \"text\" { append_newline = false }\nfsync = false", `^\d{13}-1$`, "acccd"},
		{"format", "serializer \"format\" { format = \"%%{h}|%%{body}\" }", `^\d{13}-1$`, "|a\n|\nnot written|ccc\n|d\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, m := newSink(t, dir, tt.src)
			ctx := context.Background()
			batches := [][]channel.Event{
				{{Body: []byte("a")}, {Body: nil}, {Body: []byte("ccc"), Headers: map[string]string{"h": "not written"}}},
				{{Body: []byte("d")}},
			}
			for _, b := range batches {
				if err := s.Write(ctx, b); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			names := files(t, dir)
			if len(names) != 1 || !regexp.MustCompile(tt.wantName).MatchString(names[0]) {
				t.Fatalf("files %v, want one matching %s", names, tt.wantName)
			}
			got, _ := os.ReadFile(filepath.Join(dir, names[0]))
			if string(got) != tt.want {
				t.Errorf("file holds %q, want %q", got, tt.want)
			}
			if c, cl := m.ConnectionCreatedCount.Load(), m.ConnectionClosedCount.Load(); c != 1 || cl != 1 {
				t.Errorf("ConnectionCreatedCount %d, ConnectionClosedCount %d; want 1 and 1", c, cl)
			}
		})
	}
}

func TestFileRollNamesFilesFromStartTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		start := time.Now().UnixMilli()
		s, _ := newSink(t, dir, "roll_interval = \"10s\"\nprefix = \"p\"\nextension = \"txt\"")
		for i := range 3 {
			if err := s.Write(context.Background(), events(i, 1)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Second)
			synctest.Wait() // let the roll timer finish before the next Write
		}
		s.Close(context.Background())
		want := []string{}
		for i := 1; i <= 3; i++ {
			want = append(want, fmt.Sprintf("p%d-%d.txt", start, i))
		}
		if got := files(t, dir); !slices.Equal(got, want) {
			t.Errorf("files %v, want %v", got, want)
		}
	})
}

func TestFileRollRollsByInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		s, m := newSink(t, dir, `roll_interval = "30s"`)
		defer s.Close(context.Background())
		ctx := context.Background()
		write := func(from int) {
			t.Helper()
			if err := s.Write(ctx, events(from, 10)); err != nil {
				t.Fatal(err)
			}
		}
		write(0)
		time.Sleep(29 * time.Second)
		write(10) // same file: the interval is not over
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := m.ConnectionClosedCount.Load(); n != 1 {
			t.Fatalf("ConnectionClosedCount = %d after the first roll, want 1", n)
		}
		write(20)
		time.Sleep(5 * time.Minute) // idle rolls open no empty files
		write(30)

		names := files(t, dir)
		if len(names) != 3 {
			t.Fatalf("files %v, want 3", names)
		}
		for i, want := range [][]string{lines(0, 20), lines(20, 10), lines(30, 10)} {
			b, _ := os.ReadFile(filepath.Join(dir, names[i]))
			if got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"); !slices.Equal(got, want) {
				t.Errorf("file %d holds %v, want %v", i+1, got, want)
			}
		}
	})
}

func TestFileRollIntervalZeroNeverRolls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		s, _ := newSink(t, dir, `roll_interval = 0`)
		for i := range 5 {
			if err := s.Write(context.Background(), events(i, 1)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Hour)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := files(t, dir); len(got) != 1 {
			t.Errorf("files %v, want one", got)
		}
		if got := readLines(t, dir); !slices.Equal(got, lines(0, 5)) {
			t.Errorf("lines %v", got)
		}
	})
}

func TestFileRollCreatesDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "c")
	s, _ := newSink(t, dir, "")
	defer s.Close(context.Background())
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		t.Fatalf("directory not created: %v", err)
	}
	if perm := fi.Mode().Perm(); perm&^0o755 != 0 {
		t.Errorf("directory mode %v, want at most 0755", perm)
	}
}

func TestFileRollNewFailsWhenDirectoryIsAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := decode(t, fmt.Sprintf("directory = %q", path))
	if _, err := New(cfg, sink.Settings{Name: "k1"}); err == nil {
		t.Error("New succeeded with a file for a directory")
	}
}

// TestFileRollSurvivesDirectoryLoss runs the sink under a runner over a memory channel while the
// directory disappears and comes back: Writes fail meanwhile, the runner rolls back, and once the
// directory is back every event is in it, exactly once.
func TestFileRollSurvivesDirectoryLoss(t *testing.T) {
	tests := []struct {
		name      string
		breakDir  func(t *testing.T, dir string)
		keepFirst bool // the first batch's file survives (moved away rather than deleted)
	}{
		{"replaced by a file", func(t *testing.T, dir string) {
			if err := os.Rename(dir, dir+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dir, []byte("not a directory"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"removed", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "out")
				s, m := newSink(t, dir, `roll_interval = "1h"`)
				defer s.Close(context.Background())
				ch, err := memory.New(&memory.Config{Capacity: 10000, TxCapacity: 1000, ByteCapacityBufferPercentage: 20, KeepAlive: time.Second}, channel.Settings{Name: "c1"})
				if err != nil {
					t.Fatal(err)
				}
				r := sink.NewRunner(sink.RunnerConfig{
					Name: "k1", Channel: ch, BatchSize: 100, Metrics: m,
					Sink: sink.NewDefaultProcessor(sink.Member{Name: "k1", Sink: s, Metrics: m}, 100),
				})
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error, 1)
				go func() { done <- r.Run(ctx) }()
				put := func(from, n int) {
					t.Helper()
					if err := channel.PutBatch(ctx, ch, events(from, n)); err != nil {
						t.Fatal(err)
					}
				}

				put(0, 150)
				time.Sleep(time.Second)
				if got := readLines(t, dir); !slices.Equal(got, lines(0, 150)) {
					t.Fatalf("before the loss the directory holds %d lines, want 150", len(got))
				}

				tt.breakDir(t, dir)
				put(150, 150)
				time.Sleep(10 * time.Second)
				if m.EventWriteFail.Load() == 0 || m.ConnectionFailedCount.Load() == 0 {
					t.Errorf("EventWriteFail %d, ConnectionFailedCount %d: writes did not fail without the directory",
						m.EventWriteFail.Load(), m.ConnectionFailedCount.Load())
				}

				os.Remove(dir)
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				time.Sleep(10 * time.Second)
				cancel()
				<-done
				if err := s.Close(context.Background()); err != nil {
					t.Fatal(err)
				}

				var got []string
				if tt.keepFirst {
					got = readLines(t, dir+".old")
				}
				got = append(got, readLines(t, dir)...)
				want := lines(150, 150)
				if tt.keepFirst {
					want = lines(0, 300)
				}
				if !slices.Equal(got, want) {
					t.Errorf("files hold %d lines %v..., want %d, each once and in order", len(got), got[:min(len(got), 3)], len(want))
				}
				if c, cl := m.ConnectionCreatedCount.Load(), m.ConnectionClosedCount.Load(); c != cl {
					t.Errorf("%d files opened, %d closed", c, cl)
				}
			})
		})
	}
}

func TestFileRollCloseIsSafeTwiceAndWithRolling(t *testing.T) {
	dir := t.TempDir()
	s, m := newSink(t, dir, `roll_interval = "1ms"`)
	for i := range 200 {
		if err := s.Write(context.Background(), events(i*5, 5)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = s.Close(context.Background()) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("Close = %v", err)
		}
	}
	if err := s.Write(context.Background(), events(0, 1)); err == nil {
		t.Error("Write after Close succeeded")
	}
	if got := readLines(t, dir); !slices.Equal(got, lines(0, 1000)) {
		t.Errorf("files hold %d lines, want the 1000 written in order", len(got))
	}
	if c, cl := m.ConnectionCreatedCount.Load(), m.ConnectionClosedCount.Load(); c != cl || c != int64(len(files(t, dir))) {
		t.Errorf("%d opened, %d closed, %d files", c, cl, len(files(t, dir)))
	}
}

func TestFileRollConfigErrors(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{`roll_interval = "1s"`, []string{`Missing required argument`}},
		{"directory = \"\"\nserializer \"avro\" {}\nprefix = \"a/b\"\nextension = \"x\\\\y\"", []string{
			`flume.hcl:2,1-18: sink "file_roll" "k1": serializer "avro": unknown serializer type "avro": want one of "text", "json", "format" or "avro_event"`,
			`flume.hcl:1,13-15: sink "file_roll" "k1": directory: must not be empty`,
			`flume.hcl:3,10-15: sink "file_roll" "k1": prefix: must be part of a file name`,
			`flume.hcl:4,13-19: sink "file_roll" "k1": extension: must be part of a file name`,
		}},
		{"directory = \"/tmp/x\"\nbatch_size = 10", []string{`batch_size`}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, diags := decode(t, tt.src)
			var got []string
			for _, d := range diags {
				got = append(got, d.Error())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("diagnostics %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("diagnostic %q lacks %q", got[i], w)
				}
			}
		})
	}
}

func TestFileRollDefaults(t *testing.T) {
	cfg, diags := decode(t, `directory = "/var/log/flume"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := Config{Directory: "/var/log/flume", RollInterval: 30 * time.Second, Fsync: true}
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("defaults %+v, want %+v", *cfg, want)
	}
}

func BenchmarkFileRoll(b *testing.B) {
	const batch, size = 1000, 150
	evs := make([]channel.Event, batch)
	for i := range evs {
		evs[i].Body = bytes.Repeat([]byte{'x'}, size)
	}
	for _, fsync := range []bool{true, false} {
		b.Run(fmt.Sprintf("fsync=%v/batch=%d", fsync, batch), func(b *testing.B) {
			s, _ := newSink(b, b.TempDir(), fmt.Sprintf("fsync = %v", fsync))
			defer s.Close(context.Background())
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if err := s.Write(context.Background(), evs); err != nil {
					b.Fatal(err)
				}
			}
			mib := float64(b.N) * batch * (size + 1) / (1 << 20)
			b.ReportMetric(mib/time.Since(start).Seconds(), "MiB/s")
			b.ReportMetric(float64(b.N)*batch/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkRunnerToFileRoll measures a memory channel → runner → file_roll flow: a producer puts
// batches of 1000 150-byte events while the runner takes, writes and commits them.
func BenchmarkRunnerToFileRoll(b *testing.B) {
	const batch, size = 1000, 150
	evs := make([]channel.Event, batch)
	for i := range evs {
		evs[i].Body = bytes.Repeat([]byte{'x'}, size)
	}
	for _, fsync := range []bool{true, false} {
		b.Run(fmt.Sprintf("fsync=%v/batch=%d", fsync, batch), func(b *testing.B) {
			s, m := newSink(b, b.TempDir(), fmt.Sprintf("fsync = %v", fsync))
			defer s.Close(context.Background())
			ch, err := memory.New(&memory.Config{Capacity: 20 * batch, TxCapacity: batch, ByteCapacityBufferPercentage: 20, KeepAlive: time.Second}, channel.Settings{Name: "c1"})
			if err != nil {
				b.Fatal(err)
			}
			r := sink.NewRunner(sink.RunnerConfig{Name: "k1", Channel: ch, BatchSize: batch, Metrics: m,
				Sink: sink.NewDefaultProcessor(sink.Member{Name: "k1", Sink: s, Metrics: m}, batch)})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				for {
					// Each put gets its own copy: the channel owns what it was given.
					err := channel.PutBatch(ctx, ch, slices.Clone(evs))
					if err == nil {
						break
					}
				}
			}
			for m.EventDrainSuccessCount.Load() < int64(b.N)*batch {
				time.Sleep(100 * time.Microsecond)
			}
			el := time.Since(start)
			cancel()
			<-done
			b.ReportMetric(float64(b.N)*batch*(size+1)/(1<<20)/el.Seconds(), "MiB/s")
			b.ReportMetric(float64(b.N)*batch/el.Seconds(), "events/s")
		})
	}
}
