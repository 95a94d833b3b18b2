package hdfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/sink"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hour is 2024-03-05 07:00:00 UTC in milliseconds.
const hour = int64(1709622000000)

func TestHourlyBucketsWithRounding(t *testing.T) {
	dir := t.TempDir()
	s, m := newTestSink(t, dir, "flume2/%Y%m%d%H", `
file_prefix = "flume2-"
round       = true
round_value = 1
round_unit  = "hour"
time_zone   = "UTC"`, nil)
	ctx := context.Background()
	batch := []channel.Event{
		ev("a", hour+1),
		ev("b", hour+59*60_000),     // same hour
		ev("c", hour+60*60_000),     // next hour
		ev("d", hour+2*60*60_000-1), // still the next hour
		ev("e", hour+5),
	}
	if err := s.Write(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// While open, the files are in use, and what was written is already on disk.
	files := tree(t, dir)
	if len(files) != 2 || !strings.HasSuffix(files[0], ".tmp") {
		t.Fatalf("files while open: %v", files)
	}
	sameLines(t, decodeFile(t, filepath.Join(dir, files[0]), false), []string{"a", "b", "e"})
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	files = tree(t, dir)
	re := regexp.MustCompile(`^flume2/(2024030507|2024030508)/flume2-\.\d{13}$`)
	if len(files) != 2 || !re.MatchString(files[0]) || !re.MatchString(files[1]) {
		t.Fatalf("files %v, want one per hour matching %s", files, re)
	}
	sameLines(t, decodeFile(t, filepath.Join(dir, files[0]), false), []string{"a", "b", "e"})
	sameLines(t, decodeFile(t, filepath.Join(dir, files[1]), false), []string{"c", "d"})
	if c, cl := m.ConnectionCreatedCount.Load(), m.ConnectionClosedCount.Load(); c != 2 || cl != 2 {
		t.Errorf("ConnectionCreatedCount %d, ConnectionClosedCount %d; want 2 and 2", c, cl)
	}
}

func TestEscapesInPrefixAndSuffix(t *testing.T) {
	dir := t.TempDir()
	s, _ := newTestSink(t, dir, "%{service}/%Y", `
file_prefix = "%{host}-%H"
file_suffix = ".%{kind}.log"
time_zone   = "UTC"`, nil)
	ctx := context.Background()
	if err := s.Write(ctx, []channel.Event{
		ev("1", hour, "service", "web", "host", "h1", "kind", "access"),
		ev("2", hour, "service", "web", "host", "h1", "kind", "error"),
		ev("3", hour, "service", "../../etc", "host", "a/b", "kind", "x"),
		ev("4", hour), // no headers: empty expansions
	}); err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)
	var got []string
	for _, f := range tree(t, dir) {
		got = append(got, regexp.MustCompile(`\d{13}`).ReplaceAllString(f, "N"))
	}
	want := []string{"2024/-07.N..log", "__/__/etc/2024/a_b-07.N.x.log", "web/2024/h1-07.N.access.log", "web/2024/h1-07.N.error.log"}
	if !slices.Equal(got, want) {
		t.Errorf("files %q, want %q", got, want)
	}
}

// TestAPathThatCannotBeCreatedRefusesOnlyItsEvents: a header sends some events under a name
// that is a file, not a directory; those are refused for good, the others are written.
func TestAPathThatCannotBeCreatedRefusesOnlyItsEvents(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "blocked"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ := newTestSink(t, dir, "%{app}", "", nil)
	ctx := context.Background()
	err := s.Write(ctx, []channel.Event{ev("1", 0, "app", "web"), ev("2", 0, "app", "blocked"), ev("3", 0, "app", "web")})
	pe, ok := sink.AsPermanent(err)
	if !ok || !slices.Equal(pe.Events, []int{1}) {
		t.Fatalf("Write = %v, want event 1 refused for good", err)
	}
	s.Close(ctx)
	if got := tree(t, dir); len(got) != 2 || !strings.HasPrefix(got[1], "web/") {
		t.Errorf("files %v, want the web events' file beside the blocking one", got)
	}
}

func TestRollsByCountAndSize(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		wantFiles []int // events per file
	}{
		{"count", "roll_count = 4", []int{4, 4, 2}},
		{"size", "roll_size = 21", []int{3, 3, 3, 1}}, // bodies of 7 bytes: a file rolls once it holds >= 21
		{"both", "roll_count = 2\nroll_size = 1000", []int{2, 2, 2, 2, 2}},
		{"neither", "", []int{10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, m := newTestSink(t, dir, "out", tt.src, nil)
			ctx := context.Background()
			// Batches of three across the rolls: a roll inside a batch syncs the full file first.
			for i := 0; i < 10; i += 3 {
				if err := s.Write(ctx, numbered(i, min(3, 10-i))); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			files := tree(t, dir)
			var got []int
			var all []string
			for _, f := range files {
				l := decodeFile(t, filepath.Join(dir, f), false)
				got = append(got, len(l))
				all = append(all, l...)
			}
			if !slices.Equal(got, tt.wantFiles) {
				t.Errorf("events per file %v, want %v (files %v)", got, tt.wantFiles, files)
			}
			sameLines(t, all, lines(0, 10))
			if n := m.ConnectionClosedCount.Load(); n != int64(len(tt.wantFiles)) {
				t.Errorf("ConnectionClosedCount %d, want %d", n, len(tt.wantFiles))
			}
		})
	}
}

func TestRollsByIntervalAndIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		s, _ := newTestSink(t, dir, "out/%{b}", "roll_interval = \"10m\"\nidle_timeout = \"1m\"", nil)
		defer s.Close(context.Background())
		ctx := context.Background()
		write := func(bucket string, from int) {
			t.Helper()
			evs := numbered(from, 2)
			for i := range evs {
				evs[i].Headers = map[string]string{"b": bucket}
			}
			if err := s.Write(ctx, evs); err != nil {
				t.Fatal(err)
			}
		}
		finished := func(bucket string) int {
			n := 0
			for _, f := range tree(t, filepath.Join(dir, "out", bucket)) {
				if !strings.HasSuffix(f, ".tmp") {
					n++
				}
			}
			return n
		}
		// Bucket "busy" gets a write every 30s: it rolls by interval after 10 minutes.
		// Bucket "quiet" gets one write: it closes after a minute idle.
		write("quiet", 0)
		for i := range 20 {
			write("busy", 100+2*i)
			time.Sleep(30 * time.Second)
			synctest.Wait()
			if i == 1 && finished("quiet") != 1 {
				t.Fatalf("after %v the idle bucket has %d finished files, want 1", time.Duration(i+1)*30*time.Second, finished("quiet"))
			}
			if i == 18 && finished("busy") != 0 {
				t.Fatalf("after 9m30s busy has %d finished files, want 0: it rolls at 10m", finished("busy"))
			}
		}
		if n := finished("busy"); n != 1 {
			t.Errorf("busy has %d finished files after 10 minutes, want 1", n)
		}
		if n := finished("quiet"); n != 1 {
			t.Errorf("quiet has %d finished files, want 1", n)
		}
	})
}

func TestMaxOpenFilesClosesTheLeastRecentlyWritten(t *testing.T) {
	dir := t.TempDir()
	s, m := newTestSink(t, dir, "out/%{b}", "max_open_files = 2", nil)
	ctx := context.Background()
	w := func(buckets ...string) {
		t.Helper()
		var evs []channel.Event
		for _, b := range buckets {
			evs = append(evs, ev("x"+b, 0, "b", b))
		}
		if err := s.Write(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	w("a")
	w("b")
	w("a")           // b is now the least recently written
	w("c")           // closes b
	w("d", "e", "f") // one batch over three new buckets: each opens by closing another
	if n := m.Gauge("OpenFileCount").Load(); n != 2 {
		t.Errorf("OpenFileCount %d, want 2", n)
	}
	var bOpen bool
	for _, f := range tree(t, dir) {
		if strings.HasPrefix(f, "out/b/") && strings.HasSuffix(f, ".tmp") {
			bOpen = true
		}
	}
	if bOpen {
		t.Errorf("bucket b still open after c opened: %v", tree(t, dir))
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	noTmp(t, dir)
	got := allLines(t, dir, false)
	slices.Sort(got)
	sameLines(t, got, []string{"xa", "xa", "xb", "xc", "xd", "xe", "xf"})
}

func TestMissingTimestamp(t *testing.T) {
	for _, policy := range []MissingTimestamp{LocalTime, Drop} {
		t.Run(string(policy), func(t *testing.T) {
			dir := t.TempDir()
			s, m := newTestSink(t, dir, "%Y", fmt.Sprintf("missing_timestamp = %q\ntime_zone = \"UTC\"", policy), nil)
			ctx := context.Background()
			if err := s.Write(ctx, []channel.Event{ev("ok", hour), ev("none", 0), ev("bad", 0, "timestamp", "yesterday")}); err != nil {
				t.Fatal(err)
			}
			s.Close(ctx)
			if n := m.Counter("EventTimestampMissingCount").Load(); n != 2 {
				t.Errorf("EventTimestampMissingCount %d, want 2", n)
			}
			got := allLines(t, dir, false)
			slices.Sort(got)
			want := []string{"bad", "none", "ok"}
			if policy == Drop {
				want = []string{"ok"}
				if n := m.Counter("EventTimestampDropCount").Load(); n != 2 {
					t.Errorf("EventTimestampDropCount %d, want 2", n)
				}
			}
			sameLines(t, got, want)
		})
	}
}

func TestUseLocalTimestampIgnoresTheHeader(t *testing.T) {
	dir := t.TempDir()
	s, _ := newTestSink(t, dir, "%Y", "use_local_timestamp = true", nil)
	s.Write(context.Background(), []channel.Event{ev("x", 1)}) // 1970 by the header
	s.Close(context.Background())
	files := tree(t, dir)
	if len(files) != 1 || !strings.HasPrefix(files[0], fmt.Sprint(time.Now().Year())+"/") {
		t.Errorf("files %v, want one under this year", files)
	}
}

// TestFailedSyncCutsTheFileBack fails one bucket's sync in a batch over two: Write fails, both
// files are finished cut back to the previous batch, and the retried batch lands once.
func TestFailedSyncCutsTheFileBack(t *testing.T) {
	dir := t.TempDir()
	ffs := &faultFS{FS: mustLocal()}
	s, m := newTestSink(t, dir, "out/%{b}", "", ffs)
	ctx := context.Background()
	batch := func(from int) []channel.Event {
		evs := numbered(from, 4)
		for i := range evs {
			evs[i].Headers = map[string]string{"b": []string{"x", "y"}[i%2]}
		}
		return evs
	}
	if err := s.Write(ctx, batch(0)); err != nil {
		t.Fatal(err)
	}
	ffs.set(func(f *faultFS) {
		f.failSync = func(name string) error {
			if strings.Contains(name, "/y/") {
				return errors.New("disk on fire")
			}
			return nil
		}
	})
	if err := s.Write(ctx, batch(4)); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Write = %v, want the sync error", err)
	}
	ffs.set(func(f *faultFS) { f.failSync = nil })
	if err := s.Write(ctx, batch(4)); err != nil { // the runner's retry
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	noTmp(t, dir)
	got := allLines(t, dir, false)
	slices.Sort(got)
	want := lines(0, 8)
	slices.Sort(want)
	sameLines(t, got, want)
	if c, cl := m.ConnectionCreatedCount.Load(), m.ConnectionClosedCount.Load(); c != 4 || cl != 4 {
		t.Errorf("created %d closed %d files, want 4 and 4", c, cl)
	}
}

// TestFailedRenameIsRetriedInTheBackground: renames fail; writes to other buckets go on; the
// renames are retried every retry_interval and the files end up finished.
func TestFailedRenameIsRetriedInTheBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		ffs := &faultFS{FS: mustLocal(), failRename: errors.New("namenode in safe mode")}
		s, m := newTestSink(t, dir, "out/%{b}", "roll_count = 1000\nretry_interval = \"1m\"\nidle_timeout = \"10s\"", ffs)
		defer s.Close(context.Background())
		ctx := context.Background()
		if err := s.Write(ctx, []channel.Event{ev("1", 0, "b", "a")}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(11 * time.Second) // idle: a is finished, its rename fails
		synctest.Wait()
		for i := range 5 { // other buckets keep being written meanwhile
			if err := s.Write(ctx, []channel.Event{ev(fmt.Sprint(i), 0, "b", "b")}); err != nil {
				t.Fatal(err)
			}
		}
		if n := m.Counter("FileCloseFailCount").Load(); n != 1 {
			t.Errorf("FileCloseFailCount %d, want 1", n)
		}
		// b goes idle at 21s; each is retried every 30-60s (retry_interval, jittered): a by 71s
		// and at most twice by 101s, b by 81s and at most twice.
		time.Sleep(90 * time.Second)
		synctest.Wait()
		if n := m.Counter("FileCloseFailCount").Load(); n < 4 || n > 6 {
			t.Errorf("FileCloseFailCount %d after 101s, want 4-6 (a at 11s, b at 21s, each retried every 30-60s)", n)
		}
		ffs.set(func(f *faultFS) { f.failRename = nil })
		time.Sleep(time.Minute)
		synctest.Wait()
		noTmp(t, dir)
		sameLines(t, allLines(t, dir, false), []string{"1", "0", "1", "2", "3", "4"})
	})
}

func TestCloseTriesGivesUpAndRecoveryFinishesTheFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		ffs := &faultFS{FS: mustLocal(), failRename: errors.New("no")}
		s, _ := newTestSink(t, dir, "out", "close_tries = 2\nretry_interval = \"1s\"", ffs)
		if err := s.Write(context.Background(), numbered(0, 3)); err != nil {
			t.Fatal(err)
		}
		s.Close(context.Background())
		if ffs.renames != 2 {
			t.Errorf("%d rename tries, want close_tries = 2", ffs.renames)
		}
		files := tree(t, dir)
		if len(files) != 1 || !strings.HasSuffix(files[0], ".tmp") {
			t.Fatalf("files %v, want the one in-use file", files)
		}
		// The next start finishes it.
		s2, m2 := newTestSink(t, dir, "out", "", nil)
		synctest.Wait()
		s2.Close(context.Background())
		noTmp(t, dir)
		sameLines(t, allLines(t, dir, false), lines(0, 3))
		if n := m2.Counter("FileRecoveredCount").Load(); n != 1 {
			t.Errorf("FileRecoveredCount %d, want 1", n)
		}
	})
}

func TestWriteAfterCloseFails(t *testing.T) {
	s, _ := newTestSink(t, t.TempDir(), "out", "", nil)
	s.Close(context.Background())
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := s.Write(context.Background(), numbered(0, 1)); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func mustLocal() *localFS { return &localFS{} }
