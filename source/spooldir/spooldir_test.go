package spooldir_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/spooldir"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type running struct {
	rec  *sourcetest.Processor
	m    *metrics.Source
	logs *sourcetest.SyncBuffer
	stop func() // cancels Run and waits for it
}

func testConfig(dir string) *spooldir.Config {
	c := spooldir.Defaults()
	c.SpoolDir = dir
	c.PollDelay = 10 * time.Millisecond
	return c
}

func start(t *testing.T, cfg *spooldir.Config, rec *sourcetest.Processor) *running {
	t.Helper()
	r := &running{rec: rec, m: metrics.NewRegistry("a1").Source("r1", "spooldir"), logs: &sourcetest.SyncBuffer{}}
	src, err := spooldir.New(cfg, source.Settings{Name: "r1", Processor: rec, Metrics: r.m,
		Logger: slog.New(slog.NewTextHandler(r.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the source stopped
		if t.Failed() {
			t.Logf("source logs:\n%s", r.logs)
		}
	})
	r.stop = sourcetest.Run(t, src, 10*time.Second)
	return r
}

func (r *running) counter(name string) int64 { return sourcetest.Counter(r.m.Component, name) }

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	sourcetest.WaitFor(t, 10*time.Second, what, cond)
}

func write(t *testing.T, path, content string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// drop writes a file elsewhere and renames it into the spool directory, as producers should.
func drop(t *testing.T, dir, name, content string, mtime time.Time) {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), name)
	write(t, tmp, content)
	if !mtime.IsZero() {
		os.Chtimes(tmp, mtime, mtime)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%05d", prefix, i)
	}
	return out
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := spooldir.Defaults()
	c.DeletePolicy = "sometimes"
	c.TrackingPolicy = "guess"
	c.ConsumeOrder = "alphabetical"
	c.IncludePattern = "("
	c.Batch = 0
	c.InputCharset = "EBCDIC"
	c.DecodeErrorPolicy = "shrug"
	c.Deserializer = "avro"
	c.MaxLineLength = 0
	err := c.Validate()
	for _, attr := range []string{"spool_dir", "delete_policy", "tracking_policy", "consume_order", "include_pattern",
		"batch_size", "input_charset", "decode_error_policy", "deserializer", "max_line_length"} {
		if err == nil || !strings.Contains(err.Error(), attr+":") {
			t.Errorf("no error about %s in: %v", attr, err)
		}
	}
}

func TestMissingSpoolDirFailsAtStartUp(t *testing.T) {
	_, err := spooldir.New(testConfig(filepath.Join(t.TempDir(), "nope")), source.Settings{Name: "r1", Processor: &sourcetest.Processor{}})
	if err == nil || !strings.Contains(err.Error(), "spool_dir") {
		t.Fatalf("New = %v", err)
	}
}

func TestFilesAreReadAndRenamedOnceCompleted(t *testing.T) {
	dir := t.TempDir()
	lines := numbered("a", 1000)
	drop(t, dir, "one.log", strings.Join(lines[:600], "\n")+"\n", time.Time{})
	drop(t, dir, "two.log", strings.Join(lines[600:], "\r\n"), time.Time{}) // no final newline
	r := start(t, testConfig(dir), &sourcetest.Processor{})
	waitFor(t, "both files completed", func() bool { return r.counter("FileCompletedCount") == 2 })
	r.stop()
	got := r.rec.Bodies()
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(lines, ",") {
		t.Fatalf("got %d lines, want %d", len(got), len(lines))
	}
	if n := names(t, dir); strings.Join(n, " ") != ".flumespool one.log.COMPLETED two.log.COMPLETED" {
		t.Fatalf("spool dir holds %v", n)
	}
}

func TestConsumeOrder(t *testing.T) {
	for _, tc := range []struct {
		order spooldir.ConsumeOrder
		want  string
	}{
		{spooldir.ConsumeOldest, "a b c"},
		{spooldir.ConsumeYoungest, "c b a"},
	} {
		t.Run(string(tc.order), func(t *testing.T) {
			dir := t.TempDir()
			now := time.Now()
			drop(t, dir, "x", "c\n", now.Add(-1*time.Minute))
			drop(t, dir, "y", "a\n", now.Add(-3*time.Minute))
			drop(t, dir, "z", "b\n", now.Add(-2*time.Minute))
			c := testConfig(dir)
			c.ConsumeOrder = tc.order
			r := start(t, c, &sourcetest.Processor{})
			waitFor(t, "three files", func() bool { return r.counter("FileCompletedCount") == 3 })
			r.stop()
			if got := strings.Join(r.rec.Bodies(), " "); got != tc.want {
				t.Errorf("read in order %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("random", func(t *testing.T) {
		dir := t.TempDir()
		for i := 0; i < 20; i++ {
			drop(t, dir, fmt.Sprintf("f%02d", i), fmt.Sprintf("%02d\n", i), time.Time{})
		}
		c := testConfig(dir)
		c.ConsumeOrder = spooldir.ConsumeRandom
		r := start(t, c, &sourcetest.Processor{})
		waitFor(t, "every file", func() bool { return r.counter("FileCompletedCount") == 20 })
		r.stop()
		if got := r.rec.Bodies(); sort.StringsAreSorted(got) {
			t.Errorf("random order read the files in name order: %v", got)
		}
	})
}

func TestDeletePolicyImmediate(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "one.log", "x\ny\n", time.Time{})
	c := testConfig(dir)
	c.DeletePolicy = spooldir.DeleteImmediate
	r := start(t, c, &sourcetest.Processor{})
	waitFor(t, "the file deleted", func() bool { return strings.Join(names(t, dir), " ") == ".flumespool" })
	r.stop()
	if r.rec.Count() != 2 {
		t.Errorf("%d events", r.rec.Count())
	}
}

func TestTrackerDirPolicyLeavesFilesAndTellsReusedNames(t *testing.T) {
	dir := t.TempDir()
	tracker := filepath.Join(t.TempDir(), "tracker")
	drop(t, dir, "one.log", "first\n", time.Time{})
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	drop(t, filepath.Join(dir, "sub"), "two.log", "second\n", time.Time{})
	c := testConfig(dir)
	c.TrackingPolicy = spooldir.TrackTrackerDir
	c.TrackerDir = tracker
	c.RecursiveDirectorySearch = true
	r := start(t, c, &sourcetest.Processor{})
	waitFor(t, "both files", func() bool { return r.counter("FileCompletedCount") == 2 })
	if _, err := os.Stat(filepath.Join(tracker, "sub", "two.log.COMPLETED")); err != nil {
		t.Errorf("no marker for sub/two.log: %v", err)
	}
	time.Sleep(50 * time.Millisecond) // polls: completed files are not read again
	// A new file under a consumed name is reported, not read, not marked.
	os.Remove(filepath.Join(dir, "one.log"))
	drop(t, dir, "one.log", "another file\n", time.Time{})
	waitFor(t, "the reused name reported", func() bool { return r.counter("FileFailedCount") == 1 })
	drop(t, dir, "three.log", "third\n", time.Time{})
	waitFor(t, "the source to carry on", func() bool { return r.counter("FileCompletedCount") == 3 })
	r.stop()
	if got := strings.Join(r.rec.Bodies(), " "); got != "first second third" && got != "second first third" {
		t.Errorf("events: %q", got)
	}
	if !strings.Contains(r.logs.String(), "consumed before") {
		t.Errorf("reused name not reported:\n%s", r.logs)
	}
}

func TestReusedNameWithRenamePolicyIsReportedAndSkipped(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.log.COMPLETED"), "old\n")
	drop(t, dir, "a.log", "new\n", time.Time{})
	drop(t, dir, "b.log", "b\n", time.Time{})
	r := start(t, testConfig(dir), &sourcetest.Processor{})
	waitFor(t, "b.log completed", func() bool { return r.counter("FileCompletedCount") == 1 })
	waitFor(t, "a.log reported", func() bool { return r.counter("FileFailedCount") == 1 })
	r.stop()
	if got := r.rec.Bodies(); len(got) != 1 || got[0] != "b" {
		t.Errorf("events: %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.log.COMPLETED")); string(b) != "old\n" {
		t.Error("the completed file was overwritten")
	}
}

func TestAFileChangedWhileReadIsReportedAndTheSourceCarriesOn(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "a.log", strings.Join(numbered("a", 1000), "\n")+"\n", time.Now().Add(-time.Minute))
	drop(t, dir, "b.log", "b\n", time.Time{})
	rec := &sourcetest.Processor{}
	path := filepath.Join(dir, "a.log")
	rec.OnCommit = func(total int) {
		if total == 100 { // someone appends to the file while it is read
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString("late\n")
			f.Close()
		}
	}
	r := start(t, testConfig(dir), rec)
	waitFor(t, "b.log completed", func() bool { return r.counter("FileCompletedCount") == 1 })
	r.stop()
	if r.counter("FileFailedCount") != 1 || !strings.Contains(r.logs.String(), "changed while it was read") {
		t.Errorf("the change was not reported:\n%s", r.logs)
	}
	if _, err := os.Stat(path); err != nil {
		t.Error("the changed file was not left in place")
	}
}

func TestResumesAfterARestartWithoutResending(t *testing.T) {
	dir := t.TempDir()
	lines := numbered("a", 1000)
	drop(t, dir, "a.log", strings.Join(lines, "\n")+"\n", time.Time{})
	c := testConfig(dir)
	stopAt := make(chan struct{})
	rec := &sourcetest.Processor{}
	rec.OnCommit = func(total int) {
		if total == 300 { // the channel fills up, and the agent stops
			rec.SetRefusing(true)
			close(stopAt)
		}
	}
	r := start(t, c, rec)
	<-stopAt
	r.stop() // the agent stops in the middle of the file
	first := rec.Count()
	if first != 300 {
		t.Fatalf("%d events before the stop", first)
	}
	rec2 := &sourcetest.Processor{}
	r2 := start(t, c, rec2)
	waitFor(t, "the file completed", func() bool { return r2.counter("FileCompletedCount") == 1 })
	r2.stop()
	got := append(rec.Bodies(), rec2.Bodies()...)
	if strings.Join(got, ",") != strings.Join(lines, ",") {
		t.Fatalf("%d + %d events, want exactly the 1000 lines once in order", first, rec2.Count())
	}
}

func TestCSVWithHeaderAndFileHeaders(t *testing.T) {
	dir := t.TempDir()
	csv := "id,name,price\n1,apple,0.5\n2,pear,0.75\n"
	drop(t, dir, "crawl-001.csv", csv, time.Time{})
	drop(t, dir, "crawl-001.csv.tmp", "still being written", time.Time{})
	c := testConfig(dir)
	c.FileHeader = true
	c.BasenameHeader = true
	c.IgnorePattern = `\.tmp$`
	r := start(t, c, &sourcetest.Processor{})
	waitFor(t, "the CSV completed", func() bool { return r.counter("FileCompletedCount") == 1 })
	r.stop()
	evs := r.rec.Events()
	want := []string{"id,name,price", "1,apple,0.5", "2,pear,0.75"}
	if len(evs) != 3 {
		t.Fatalf("%d events", len(evs))
	}
	for i, e := range evs {
		if string(e.Body) != want[i] || e.Headers["file"] != filepath.Join(dir, "crawl-001.csv") || e.Headers["basename"] != "crawl-001.csv" {
			t.Errorf("event %d: %q %v", i, e.Body, e.Headers)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "crawl-001.csv.tmp")); err != nil {
		t.Error("the ignored file was touched")
	}
}

func TestLongLinesAreSplitAtCharacterBoundaries(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "a", "0123456789abc\nééééé\nok\n", time.Time{})
	c := testConfig(dir)
	c.MaxLineLength = 5
	r := start(t, c, &sourcetest.Processor{})
	waitFor(t, "the file", func() bool { return r.counter("FileCompletedCount") == 1 })
	r.stop()
	want := []string{"01234", "56789", "abc", "éé", "éé", "é", "ok"}
	if got := r.rec.Bodies(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDecodeErrorPolicies(t *testing.T) {
	for _, tc := range []struct {
		charset string
		policy  spooldir.DecodePolicy
		want    []string
		failed  int64
	}{
		{"UTF-8", spooldir.DecodeReplace, []string{"ok", "bad\uFFFDbyte", "end"}, 0},
		{"UTF-8", spooldir.DecodeIgnore, []string{"ok", "badbyte", "end"}, 0},
		{"UTF-8", spooldir.DecodeFail, []string{"ok"}, 1},
		{"ISO-8859-1", spooldir.DecodeFail, []string{"ok", "bad\u00ffbyte", "end"}, 0},
		{"US-ASCII", spooldir.DecodeReplace, []string{"ok", "bad\uFFFDbyte", "end"}, 0},
	} {
		t.Run(tc.charset+"/"+string(tc.policy), func(t *testing.T) {
			dir := t.TempDir()
			drop(t, dir, "a", "ok\nbad\xffbyte\nend\n", time.Time{})
			drop(t, dir, "b", "next\n", time.Now().Add(time.Hour))
			c := testConfig(dir)
			c.InputCharset = tc.charset
			c.DecodeErrorPolicy = tc.policy
			r := start(t, c, &sourcetest.Processor{})
			waitFor(t, "the next file", func() bool { return r.counter("FileCompletedCount") == 2-tc.failed })
			r.stop()
			got := r.rec.Bodies()
			if strings.Join(got, "|") != strings.Join(append(tc.want, "next"), "|") {
				t.Errorf("got %q", got)
			}
			if r.counter("FileFailedCount") != tc.failed {
				t.Errorf("FileFailedCount = %d", r.counter("FileFailedCount"))
			}
		})
	}
}

func TestBlobDeserializer(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "a", "line one\nline two\n", time.Now().Add(-time.Minute))
	drop(t, dir, "b", strings.Repeat("x", 25), time.Time{})
	c := testConfig(dir)
	c.Deserializer = spooldir.DeserializeBlob
	c.MaxBlobLength = 10
	r := start(t, c, &sourcetest.Processor{})
	waitFor(t, "both files", func() bool { return r.counter("FileCompletedCount") == 2 })
	r.stop()
	want := []string{"line one\nl", "ine two\n", "xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"}
	if got := r.rec.Bodies(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q", got)
	}
}

func TestFullChannelHoldsTheFileBack(t *testing.T) {
	dir := t.TempDir()
	drop(t, dir, "a", strings.Join(numbered("a", 500), "\n")+"\n", time.Time{})
	rec := &sourcetest.Processor{Refusing: true}
	r := start(t, testConfig(dir), rec)
	time.Sleep(100 * time.Millisecond)
	if _, err := os.Stat(filepath.Join(dir, "a")); err != nil || rec.Count() != 0 {
		t.Fatal("the file was completed while the channel refused its events")
	}
	rec.SetRefusing(false)
	waitFor(t, "the file", func() bool { return r.counter("FileCompletedCount") == 1 })
	r.stop()
	if rec.Count() != 500 {
		t.Errorf("%d events", rec.Count())
	}
}
