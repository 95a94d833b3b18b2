package taildir_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/taildir"
)

func TestValidateReportsEveryProblem(t *testing.T) {
	c := taildir.Defaults()
	c.FileGroups = []taildir.FileGroup{{Name: "a", Path: "/var/log/[.log"}, {Name: "b", Path: ""}}
	c.Batch = 0
	c.IdleTimeout = 0
	c.LineOverflow = "wrap"
	c.MaxOpenFiles = -1
	c.Multiline = &taildir.Multiline{Pattern: "(", Match: "around", Timeout: -time.Second}
	err := c.Validate()
	for _, attr := range []string{"filegroup.a.path", "filegroup.b.path", "batch_size", "idle_timeout",
		"line_overflow", "max_open_files", "multiline.pattern", "multiline.match", "multiline.timeout"} {
		if !strings.Contains(err.Error(), attr+":") {
			t.Errorf("no error about %s in:\n%v", attr, err)
		}
	}
	var ae *schema.AttrError
	if !errorsAs(err, &ae) {
		t.Errorf("errors are not schema.AttrErrors: %v", err)
	}
}

func TestPositionFileIsRequiredWithoutDataDir(t *testing.T) {
	c := testConfig(t.TempDir(), "*.log")
	c.PositionFile = ""
	_, err := taildir.New(c, source.Settings{Name: "r1", Processor: &sourcetest.Processor{}})
	if err == nil || !strings.Contains(err.Error(), "data_dir") {
		t.Fatalf("New without position_file and data_dir: %v", err)
	}
	dataDir := t.TempDir()
	r := runWithDataDir(t, c, dataDir)
	waitFor(t, "the position file in data_dir", func() bool {
		_, err := os.Stat(filepath.Join(dataDir, "taildir-r1.json"))
		return err == nil
	})
	r.stop()
}

func TestTailsExistingAndAppendedLinesInOrder(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	appendLines(t, log, lines("a", 0, 500))
	r := run(t, testConfig(dir, "*.log"))
	waitLines(t, r, 500)
	appendLines(t, log, lines("a", 500, 1000))
	waitLines(t, r, 1000)
	r.stop()
	sameLines(t, lines("a", 0, 1000), r.rec.Bodies())
}

func TestLinesEndAtNewlineAndWaitForIt(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	writeFile(t, log, "one\r\n\ntwo\nthr")
	r := run(t, testConfig(dir, "*.log"))
	waitLines(t, r, 3)
	time.Sleep(100 * time.Millisecond) // a last line without "\n" must not be delivered
	if n := r.rec.Count(); n != 3 {
		t.Fatalf("%d events before the last line ended, want 3", n)
	}
	f, _ := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("ee\n")
	f.Close()
	waitLines(t, r, 4)
	r.stop()
	sameLines(t, []string{"one", "", "two", "three"}, r.rec.Bodies())
}

func TestLongLines(t *testing.T) {
	for _, tc := range []struct {
		overflow taildir.Overflow
		want     []string
	}{
		{taildir.OverflowSplit, []string{"short", "0123456789", "abcdef", "0123456789", "0123456789", "x", "end"}},
		{taildir.OverflowTruncate, []string{"short", "0123456789", "0123456789", "end"}},
	} {
		t.Run(string(tc.overflow), func(t *testing.T) {
			dir := t.TempDir()
			c := testConfig(dir, "*.log")
			c.MaxLineLength = 10
			c.LineOverflow = tc.overflow
			log := filepath.Join(dir, "app.log")
			// The second long line is written in two steps, so it is cut at a read boundary.
			writeFile(t, log, "short\n0123456789abcdef\n0123456789012345")
			r := run(t, c)
			waitLines(t, r, 3)
			appendLines(t, log, []string{"6789x", "end"})
			waitLines(t, r, len(tc.want))
			r.stop()
			sameLines(t, tc.want, r.rec.Bodies())
			if n := r.counter("LongLineCount"); n != 3 && tc.overflow == taildir.OverflowSplit || n != 2 && tc.overflow == taildir.OverflowTruncate {
				t.Errorf("LongLineCount = %d", n)
			}
		})
	}
}

func TestRestartResumesFromThePositionFile(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	appendLines(t, log, lines("a", 0, 300))
	c := testConfig(dir, "*.log")
	r := run(t, c)
	waitLines(t, r, 300)
	r.stop()

	ps := readPositionFile(t, c.PositionFile)
	fi, _ := os.Stat(log)
	if len(ps) != 1 || ps[0]["file"] != log || ps[0]["pos"] != float64(fi.Size()) || ps[0]["inode"] != float64(inode(t, log)) {
		t.Fatalf("position file = %v, want %s at %d", ps, log, fi.Size())
	}

	appendLines(t, log, lines("a", 300, 400))
	r2 := run(t, c)
	waitLines(t, r2, 100)
	time.Sleep(50 * time.Millisecond)
	r2.stop()
	sameLines(t, lines("a", 300, 400), r2.rec.Bodies())
}

func TestSkipToEndStartsKnownFilesAtTheirEnd(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	appendLines(t, log, lines("old", 0, 100))
	c := testConfig(dir, "*.log")
	c.SkipToEnd = true
	r := run(t, c)
	waitFor(t, "the position file", func() bool { return len(readPositionFile(t, c.PositionFile)) == 1 })
	appendLines(t, log, lines("new", 0, 10))
	// A file created after start-up is read from its start.
	appendLines(t, filepath.Join(dir, "later.log"), lines("later", 0, 10))
	waitLines(t, r, 20)
	r.stop()
	exactlyOnce(t, append(lines("new", 0, 10), lines("later", 0, 10)...), r.rec.Bodies())
}

func TestFlumePositionFileIsHonoured(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	appendLines(t, log, lines("a", 0, 100))
	fi, _ := os.Stat(log)
	half := fi.Size() / 2 / 8 * 8 // a line start: every line is 8 bytes ("a000000\n")
	c := testConfig(dir, "*.log")
	os.MkdirAll(filepath.Dir(c.PositionFile), 0o755)
	// Exactly what Apache Flume's TAILDIR writes.
	writeFile(t, c.PositionFile, fmt.Sprintf(`[{"inode":%d,"pos":%d,"file":"%s"}]`, inode(t, log), half, log))
	r := run(t, c)
	waitLines(t, r, 50)
	time.Sleep(50 * time.Millisecond)
	r.stop()
	sameLines(t, lines("a", 50, 100), r.rec.Bodies())
}

func TestRecycledInodeIsANewFile(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	c := testConfig(dir, "*.log")
	appendLines(t, log, lines("old", 0, 100))
	r := run(t, c)
	waitLines(t, r, 100)
	r.stop()

	// While the agent is down the file is deleted, and a new one gets its inode.
	ino := inode(t, log)
	os.Remove(log)
	reused := createWithInode(t, log, ino)
	appendLines(t, log, lines("new", 0, 150))
	r2 := run(t, c)
	waitLines(t, r2, 150)
	time.Sleep(50 * time.Millisecond)
	r2.stop()
	sameLines(t, lines("new", 0, 150), r2.rec.Bodies())
	if !reused {
		t.Log("the file system did not recycle the inode; the case ran as a plain new file")
	}
}

// createWithInode creates path, trying to have it take inode ino (ext4 and tmpfs recycle a
// freed inode at once); it reports whether it did.
func createWithInode(t *testing.T, path string, ino uint64) bool {
	t.Helper()
	for i := 0; i < 50; i++ {
		writeFile(t, path, "")
		if inode(t, path) == ino {
			return true
		}
		tmp := fmt.Sprintf("%s.hold%d", path, i)
		os.Rename(path, tmp)
		defer os.Remove(tmp)
	}
	writeFile(t, path, "")
	return false
}

func TestRotationByRenameDeliversEveryLineOnce(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	r := run(t, testConfig(dir, "*.log"))
	appendLines(t, log, lines("a", 0, 1000))
	waitLines(t, r, 1) // the source holds the file
	// The writer still appends to the renamed file before it switches.
	os.Rename(log, log+".1")
	appendLines(t, log+".1", lines("a", 1000, 1100))
	appendLines(t, log, lines("a", 1100, 2000))
	waitLines(t, r, 2000)
	waitFor(t, "the renamed file to be released", func() bool { return r.counter("FileReleasedCount") == 1 })
	r.stop()
	exactlyOnce(t, lines("a", 0, 2000), r.rec.Bodies())
}

func TestRenameWithinTheGlobKeepsThePosition(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	r := run(t, testConfig(dir, "app.log*"))
	appendLines(t, log, lines("a", 0, 100))
	waitLines(t, r, 100)
	os.Rename(log, log+".1")
	appendLines(t, log+".1", lines("a", 100, 150))
	appendLines(t, log, lines("a", 150, 200))
	waitLines(t, r, 200)
	time.Sleep(100 * time.Millisecond)
	r.stop()
	exactlyOnce(t, lines("a", 0, 200), r.rec.Bodies())
}

func TestTruncationRestartsAtZero(t *testing.T) {
	for _, copyFirst := range []bool{false, true} {
		name := map[bool]string{false: "truncate", true: "copytruncate"}[copyFirst]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "app.log")
			r := run(t, testConfig(dir, "*.log"))
			appendLines(t, log, lines("a", 0, 500))
			waitLines(t, r, 500)
			if copyFirst {
				b, _ := os.ReadFile(log)
				writeFile(t, log+".1", string(b))
			}
			os.Truncate(log, 0)
			appendLines(t, log, lines("a", 500, 600))
			waitLines(t, r, 600)
			time.Sleep(50 * time.Millisecond)
			r.stop()
			exactlyOnce(t, lines("a", 0, 600), r.rec.Bodies())
			if n := r.counter("FileTruncatedCount"); n != 1 {
				t.Errorf("FileTruncatedCount = %d, want 1", n)
			}
		})
	}
}

func TestTruncatedAndRegrownPastThePositionIsSeenByItsFirstBytes(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	c := testConfig(dir, "*.log")
	appendLines(t, log, lines("a", 0, 10))
	r := run(t, c)
	waitLines(t, r, 10)
	r.stop()
	// While stopped, the file is rewritten with more (and other) content than before.
	writeFile(t, log, strings.Join(lines("b", 0, 20), "\n")+"\n")
	r2 := run(t, c)
	waitLines(t, r2, 20)
	time.Sleep(50 * time.Millisecond)
	r2.stop()
	sameLines(t, lines("b", 0, 20), r2.rec.Bodies())
}

func TestDeleteAndRecreate(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	r := run(t, testConfig(dir, "*.log"))
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(strings.Join(lines("a", 0, 300), "\n") + "\n")
	waitLines(t, r, 1)
	os.Remove(log)
	// The writer still holds the deleted file and appends to it.
	f.WriteString(strings.Join(lines("a", 300, 400), "\n") + "\n")
	f.Close()
	appendLines(t, log, lines("a", 400, 500))
	waitLines(t, r, 500)
	waitFor(t, "the deleted file to be released", func() bool { return r.counter("FileReleasedCount") == 1 })
	r.stop()
	exactlyOnce(t, lines("a", 0, 500), r.rec.Bodies())
}

func TestFullChannelStopsReadingAndDropsNothing(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	rec := &sourcetest.Processor{Refusing: true}
	r := runWith(t, testConfig(dir, "*.log"), rec)
	appendLines(t, log, lines("a", 0, 1000))
	time.Sleep(200 * time.Millisecond)
	if n := rec.Count(); n != 0 {
		t.Fatalf("%d events went through a full channel", n)
	}
	rec.SetRefusing(false)
	waitLines(t, r, 1000)
	r.stop()
	sameLines(t, lines("a", 0, 1000), rec.Bodies())
}

func TestDeletedFileIsReleasedWhenTheChannelStaysFull(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	c := testConfig(dir, "*.log")
	c.IdleTimeout = time.Second
	rec := &sourcetest.Processor{}
	r := runWith(t, c, rec)
	appendLines(t, log, lines("a", 0, 10))
	waitLines(t, r, 10)
	rec.SetRefusing(true)
	appendLines(t, log, lines("a", 10, 20))
	time.Sleep(50 * time.Millisecond)
	os.Remove(log)
	waitFor(t, "the deleted file to be released", func() bool { return r.counter("OpenFileCount") == 0 })
	if n := r.counter("AbandonedByteCount"); n != 80 {
		t.Errorf("AbandonedByteCount = %d, want 80", n)
	}
	rec.SetRefusing(false)
	r.stop()
	sameLines(t, lines("a", 0, 10), rec.Bodies())
}

func TestHeaders(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	c := testConfig(dir, "*.log")
	c.FileGroups[0].Headers = map[string]string{"service": "checkout"}
	c.FileHeader = true
	c.FileHeaderKey = "path"
	c.ByteOffsetHeader = true
	writeFile(t, log, "first\nsecond\n")
	r := run(t, c)
	waitLines(t, r, 2)
	r.stop()
	evs := r.rec.Events()
	for i, off := range []string{"0", "6"} {
		h := evs[i].Headers
		if h["service"] != "checkout" || h["path"] != log || h["byteoffset"] != off {
			t.Errorf("event %d headers = %v", i, h)
		}
	}
	evs[0].Headers["service"] = "changed"
	if evs[1].Headers["service"] != "checkout" {
		t.Error("events share a headers map")
	}
}

func TestBodiesDoNotShareMemoryAcrossBatches(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	c := testConfig(dir, "*.log")
	c.Batch = 3
	appendLines(t, log, lines("a", 0, 10))
	r := run(t, c)
	waitLines(t, r, 10)
	r.stop()
	evs := r.rec.Events()
	// An interceptor appending to a body must not write into the next one.
	evs[0].Body = append(evs[0].Body, "XXXXXXXX"...)
	sameLines(t, lines("a", 1, 10), r.rec.Bodies()[1:])
}

func TestMultiline(t *testing.T) {
	trace := "2026-01-01 ERROR boom\n" +
		"java.lang.IllegalStateException: x\n" +
		"\tat a.b(C.java:1)\n" +
		"\tat d.e(F.java:2)\n" +
		"2026-01-01 INFO fine\n" +
		"2026-01-01 INFO next\n"
	for _, tc := range []struct {
		name string
		ml   taildir.Multiline
		in   string
		want []string
	}{
		{"java stack trace, negate after", taildir.Multiline{Pattern: `^\d{4}-`, Negate: true, Match: "after"}, trace,
			[]string{"2026-01-01 ERROR boom\njava.lang.IllegalStateException: x\n\tat a.b(C.java:1)\n\tat d.e(F.java:2)", "2026-01-01 INFO fine", "2026-01-01 INFO next"}},
		{"indented lines after", taildir.Multiline{Pattern: `^\s`, Match: "after"}, "a\n b\n c\nd\ne\n f\ng\n",
			[]string{"a\n b\n c", "d", "e\n f", "g"}},
		{"continuation before", taildir.Multiline{Pattern: `\\$`, Match: "before"}, "one \\\ntwo \\\nthree\nfour\n",
			[]string{"one \\\ntwo \\\nthree", "four"}},
		{"max_lines", taildir.Multiline{Pattern: `^\s`, Match: "after", MaxLines: 2}, "a\n 1\n 2\n 3\nb\nc\n",
			[]string{"a\n 1", " 2\n 3", "b", "c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c := testConfig(dir, "*.log")
			ml := tc.ml
			ml.Timeout = 100 * time.Millisecond
			c.Multiline = &ml
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, "app.log"), tc.in)
			r := run(t, c)
			// The last event is delivered by the timeout, as no line follows it.
			waitLines(t, r, len(tc.want))
			time.Sleep(150 * time.Millisecond)
			r.stop()
			sameLines(t, tc.want, r.rec.Bodies())
		})
	}
}

func TestMultilineEventIsDeliveredWhenItsNextLineComes(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir, "*.log")
	c.Multiline = &taildir.Multiline{Pattern: `^\s`, Match: "after", Timeout: time.Hour}
	c.Validate()
	log := filepath.Join(dir, "app.log")
	writeFile(t, log, "a\n b\n")
	r := run(t, c)
	time.Sleep(100 * time.Millisecond)
	if n := r.rec.Count(); n != 0 {
		t.Fatalf("an event still open was delivered: %q", r.rec.Bodies())
	}
	appendLines(t, log, []string{" c", "d"})
	waitLines(t, r, 1)
	r.stop()
	sameLines(t, []string{"a\n b\n c"}, r.rec.Bodies())
	// Its position is the start of the event still open, so a restart delivers "d" then.
	ps := readPositionFile(t, c.PositionFile)
	if ps[0]["pos"] != float64(len("a\n b\n c\n")) {
		t.Errorf("position = %v", ps[0]["pos"])
	}
}

func TestGlobsInDirectoriesAndNewDirectories(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir, "*/logs/*.log")
	os.MkdirAll(filepath.Join(dir, "svc1", "logs"), 0o755)
	appendLines(t, filepath.Join(dir, "svc1", "logs", "a.log"), lines("one", 0, 10))
	appendLines(t, filepath.Join(dir, "svc1", "logs", "a.txt"), lines("ignored", 0, 10))
	r := run(t, c)
	waitLines(t, r, 10)
	os.MkdirAll(filepath.Join(dir, "svc2", "logs"), 0o755)
	appendLines(t, filepath.Join(dir, "svc2", "logs", "b.log"), lines("two", 0, 10))
	waitLines(t, r, 20)
	time.Sleep(50 * time.Millisecond)
	r.stop()
	exactlyOnce(t, append(lines("one", 0, 10), lines("two", 0, 10)...), r.rec.Bodies())
}

func TestMaxOpenFilesBoundsOpenFiles(t *testing.T) {
	maxOpenFiles(t)
}

// Without change notifications, closed files with new lines are found by the poll, which also
// marks every open file for a look: the closed ones still get a slot at once, not after
// idle_timeout.
func TestMaxOpenFilesWithoutChangeNotifications(t *testing.T) {
	maxOpenFiles(t, taildir.PollOnly)
}

// maxOpenFiles tails 40 files with max_open_files = 5, twice over.
func maxOpenFiles(t *testing.T, before ...func(source.Source)) {
	dir := t.TempDir()
	c := testConfig(dir, "*.log")
	c.MaxOpenFiles = 5
	var want []string
	for i := 0; i < 40; i++ {
		ls := lines(fmt.Sprintf("f%02d-", i), 0, 20)
		appendLines(t, filepath.Join(dir, fmt.Sprintf("%02d.log", i)), ls)
		want = append(want, ls...)
	}
	r := runWith(t, c, &sourcetest.Processor{}, before...)
	peak := int64(0)
	waitFor(t, "every line", func() bool {
		peak = max(peak, r.counter("OpenFileCount"))
		return r.rec.Count() >= len(want)
	})
	// More lines in the files read first, closed since (the last five read stay open, with
	// nothing new in them): they are opened again in turn.
	for i := 0; i < 35; i++ {
		ls := lines(fmt.Sprintf("f%02d-", i), 20, 30)
		appendLines(t, filepath.Join(dir, fmt.Sprintf("%02d.log", i)), ls)
		want = append(want, ls...)
	}
	waitFor(t, "every line", func() bool {
		peak = max(peak, r.counter("OpenFileCount"))
		return r.rec.Count() >= len(want)
	})
	r.stop()
	exactlyOnce(t, want, r.rec.Bodies())
	if peak > 5 {
		t.Errorf("%d files open at once, max_open_files = 5", peak)
	}
}

func TestIdleFilesAreClosedAndReopened(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir, "*.log")
	c.IdleTimeout = time.Second
	log := filepath.Join(dir, "app.log")
	appendLines(t, log, lines("a", 0, 10))
	r := run(t, c)
	waitLines(t, r, 10)
	waitFor(t, "the idle file to be closed", func() bool { return r.counter("OpenFileCount") == 0 })
	appendLines(t, log, lines("a", 10, 20))
	waitLines(t, r, 20)
	r.stop()
	sameLines(t, lines("a", 0, 20), r.rec.Bodies())
}

func readPositionFile(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var ps []map[string]any
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatalf("position file %s: %v\n%s", path, err, b)
	}
	return ps
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func runWithDataDir(t *testing.T, c *taildir.Config, dataDir string) *running {
	t.Helper()
	rec := &sourcetest.Processor{}
	src, err := taildir.New(c, source.Settings{Name: "r1", Processor: rec, DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	return &running{rec: rec, stop: sourcetest.Run(t, src, 10*time.Second)}
}

func TestAnUnwritablePositionFileFailsAtStartUp(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "plain"), "")
	c := testConfig(dir, "*.log")
	c.PositionFile = filepath.Join(dir, "plain", "taildir.json") // under a regular file
	if _, err := taildir.New(c, source.Settings{Name: "r1", Processor: &sourcetest.Processor{}}); err == nil || !strings.Contains(err.Error(), "position file") {
		t.Fatalf("New = %v, want a position file error", err)
	}
}

func TestECSHeaders(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	c := testConfig(dir, "*.log")
	c.ECSHeaders = true
	c.Multiline = &taildir.Multiline{Pattern: `^\s`, Match: "after", Timeout: 100 * time.Millisecond}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, log, "first\nboom\n  at a\n  at b\nlast\n")
	before := time.Now().UnixMilli()
	r := run(t, c)
	waitLines(t, r, 3)
	r.stop()
	after := time.Now().UnixMilli()
	evs := r.rec.Events()
	for i, want := range []struct {
		body, offset, flags string
	}{{"first", "0", ""}, {"boom\n  at a\n  at b", "6", "multiline"}, {"last", "25", ""}} {
		h := evs[i].Headers
		if string(evs[i].Body) != want.body || h["log.file.path"] != log || h["log.offset"] != want.offset || h["log.flags"] != want.flags {
			t.Errorf("event %d = %q %v, want %q at offset %s, flags %q", i, evs[i].Body, h, want.body, want.offset, want.flags)
		}
		if _, ok := h["log.flags"]; ok != (want.flags != "") {
			t.Errorf("event %d: log.flags present = %v", i, ok)
		}
		ts, err := strconv.ParseInt(h["timestamp"], 10, 64)
		if err != nil || ts < before || ts > after {
			t.Errorf("event %d: timestamp %q is not the read time (between %d and %d)", i, h["timestamp"], before, after)
		}
	}
}

func TestECSHeadersKeepAnEventsOwnTimestamp(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir, "*.log")
	c.ECSHeaders = true
	c.FileGroups[0].Headers = map[string]string{"timestamp": "1700000000000"}
	writeFile(t, filepath.Join(dir, "app.log"), "one\n")
	r := run(t, c)
	waitLines(t, r, 1)
	r.stop()
	if h := r.rec.Events()[0].Headers; h["timestamp"] != "1700000000000" || h["log.offset"] != "0" {
		t.Errorf("headers = %v, want the group's timestamp kept", h)
	}
}

func TestNoHeadersByDefault(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app.log"), "one\n")
	r := run(t, testConfig(dir, "*.log"))
	waitLines(t, r, 1)
	r.stop()
	if h := r.rec.Events()[0].Headers; h != nil {
		t.Errorf("headers = %v, want none", h)
	}
}

// TestReplacedFileWithTheSameBannerIsANewFile: the new file on the old file's inode starts
// with the same first KiB (a fixed banner), so only the birth time or the longer fingerprint
// tells them apart.
func TestReplacedFileWithTheSameBannerIsANewFile(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	c := testConfig(dir, "*.log")
	banner := strings.Repeat("# application log, format v1\n", 50) // 1450 bytes
	writeFile(t, log, banner)
	appendLines(t, log, lines("old", 0, 500))
	r := run(t, c)
	waitLines(t, r, 550)
	r.stop()

	ino := inode(t, log)
	os.Remove(log)
	reused := createWithInode(t, log, ino)
	appendLines(t, log, []string{banner[:len(banner)-1]})
	appendLines(t, log, lines("new", 0, 800))
	r2 := run(t, c)
	waitLines(t, r2, 850)
	time.Sleep(50 * time.Millisecond)
	r2.stop()
	got := r2.rec.Bodies()
	sameLines(t, lines("new", 0, 800), got[50:])
	if !reused {
		t.Log("the file system did not recycle the inode; the case ran as a plain new file")
	}
}

func TestMultilineEventDeliveredByTimeoutIsNotDeliveredAgainAfterARestart(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir, "*.log")
	c.Multiline = &taildir.Multiline{Pattern: `^\s`, Match: "after", Timeout: 50 * time.Millisecond}
	c.Validate()
	log := filepath.Join(dir, "app.log")
	writeFile(t, log, "a\n b\n")
	r := run(t, c)
	waitLines(t, r, 1)
	r.stop()
	appendLines(t, log, []string{"c", "d"})
	r2 := run(t, c)
	waitLines(t, r2, 2)
	time.Sleep(100 * time.Millisecond)
	r2.stop()
	sameLines(t, []string{"a\n b"}, r.rec.Bodies())
	sameLines(t, []string{"c", "d"}, r2.rec.Bodies())
}
