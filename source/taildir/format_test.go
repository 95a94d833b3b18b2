package taildir_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/source/taildir"
)

// cri is one CRI record.
func cri(stream, tag, msg string) string {
	return "2026-12-01T10:00:00.123456789Z " + stream + " " + tag + " " + msg + "\n"
}

func docker(stream, log string) string {
	return fmt.Sprintf(`{"log":%q,"stream":%q,"time":"2026-12-01T10:00:00.123456789Z"}`, log, stream) + "\n"
}

func appendRaw(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func formatConfig(dir string, f taildir.Format) *taildir.Config {
	c := testConfig(dir, "*.log")
	c.FileGroups[0].Format = f
	return c
}

func TestCRIFormatJoinsPartialLinesPerStream(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "0.log")
	appendRaw(t, log, cri("stdout", "P", "hello ")+cri("stderr", "F", "an error")+cri("stdout", "P", "big ")+
		cri("stdout", "F", "world")+cri("stdout", "F", "")+"garbage line\n"+cri("stderr", "F:x", "tagged"))
	r := run(t, formatConfig(dir, taildir.FormatCRI))
	waitLines(t, r, 5)
	time.Sleep(50 * time.Millisecond)
	r.stop()
	sameLines(t, []string{"an error", "hello big world", "", "garbage line", "tagged"}, r.rec.Bodies())
	evs := r.rec.Events()
	if h := evs[1].Headers; h["stream"] != "stdout" || h["timestamp"] != "1796119200123" {
		t.Errorf("headers = %v", h)
	}
	if h := evs[3].Headers; h["stream"] != "" || h["timestamp"] != "" {
		t.Errorf("a malformed record has runtime headers: %v", h)
	}
	if n := r.counter("FormatErrorCount"); n != 1 {
		t.Errorf("FormatErrorCount = %d, want 1", n)
	}
}

func TestDockerFormat(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "c-json.log")
	appendRaw(t, log, docker("stdout", "part one, ")+docker("stderr", "err \"quoted\" \u00e9\n")+docker("stdout", "part two\n")+
		`{"stream":"stdout","log":"other order\n","attrs":{"a":"b"},"time":"2026-12-01T10:00:01Z"}`+"\nnot json\n")
	r := run(t, formatConfig(dir, taildir.FormatDocker))
	waitLines(t, r, 4)
	time.Sleep(50 * time.Millisecond)
	r.stop()
	sameLines(t, []string{"err \"quoted\" \u00e9", "part one, part two", "other order", "not json"}, r.rec.Bodies())
	if h := r.rec.Events()[2].Headers; h["timestamp"] != "1796119201000" || h["stream"] != "stdout" {
		t.Errorf("headers = %v", h)
	}
	if n := r.counter("FormatErrorCount"); n != 1 {
		t.Errorf("FormatErrorCount = %d, want 1", n)
	}
}

func TestAutoFormatTellsThemApart(t *testing.T) {
	dir := t.TempDir()
	appendRaw(t, filepath.Join(dir, "a.log"), docker("stdout", "from docker\n")+cri("stdout", "F", "from cri"))
	r := run(t, formatConfig(dir, taildir.FormatAuto))
	waitLines(t, r, 2)
	r.stop()
	sameLines(t, []string{"from docker", "from cri"}, r.rec.Bodies())
}

func TestPartialLineLongerThanMaxLineLength(t *testing.T) {
	for _, tc := range []struct {
		overflow taildir.Overflow
		want     []string
	}{
		{taildir.OverflowSplit, []string{"0123456789", "abcdefghij", "klm", "next"}},
		{taildir.OverflowTruncate, []string{"0123456789", "next"}},
	} {
		t.Run(string(tc.overflow), func(t *testing.T) {
			dir := t.TempDir()
			c := formatConfig(dir, taildir.FormatCRI)
			c.MaxLineLength = 10
			c.LineOverflow = tc.overflow
			appendRaw(t, filepath.Join(dir, "0.log"), cri("stdout", "P", "01234")+cri("stdout", "P", "56789abcdefghij")+
				cri("stdout", "F", "klm")+cri("stdout", "F", "next"))
			r := run(t, c)
			waitLines(t, r, len(tc.want))
			time.Sleep(50 * time.Millisecond)
			r.stop()
			sameLines(t, tc.want, r.rec.Bodies())
			if r.counter("LongLineCount") == 0 {
				t.Error("LongLineCount not counted")
			}
		})
	}
}

// TestRestartInTheMiddleOfAPartialLine stops the source while a line is half assembled (and
// the other stream went on past its start): the restarted source delivers the line once,
// whole, and the other stream's lines once.
func TestRestartInTheMiddleOfAPartialLine(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "0.log")
	c := formatConfig(dir, taildir.FormatCRI)
	appendRaw(t, log, cri("stdout", "F", "before")+cri("stdout", "P", "head ")+cri("stderr", "F", "err 1"))
	r := run(t, c)
	waitLines(t, r, 2)
	r.stop()
	sameLines(t, []string{"before", "err 1"}, r.rec.Bodies())
	ps := readPositionFile(t, c.PositionFile)
	if want := float64(len(cri("stdout", "F", "before"))); ps[0]["pos"] != want {
		t.Errorf("pos = %v, want %v: the start of the partial line's first record", ps[0]["pos"], want)
	}

	appendRaw(t, log, cri("stderr", "F", "err 2")+cri("stdout", "F", "tail"))
	r2 := run(t, c)
	waitLines(t, r2, 2)
	time.Sleep(50 * time.Millisecond)
	r2.stop()
	sameLines(t, []string{"err 2", "head tail"}, r2.rec.Bodies())
}

func TestPartialLineAcrossRotations(t *testing.T) {
	for _, how := range []string{"rename and create", "copytruncate"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "0.log")
			c := formatConfig(dir, taildir.FormatCRI)
			appendRaw(t, log, cri("stdout", "F", "one")+cri("stdout", "P", "two, "))
			r := run(t, c)
			waitLines(t, r, 1)
			waitFor(t, "the partial record read", func() bool {
				ps := readPositionFile(t, c.PositionFile)
				return len(ps) == 1 && ps[0]["pending"] != nil
			})
			if how == "copytruncate" {
				b, _ := os.ReadFile(log)
				writeFile(t, log+".20261201", string(b))
				os.Truncate(log, 0)
			} else {
				os.Rename(log, log+".20261201")
			}
			appendRaw(t, log, cri("stdout", "F", "continued")+cri("stdout", "F", "three"))
			waitLines(t, r, 3)
			time.Sleep(50 * time.Millisecond)
			r.stop()
			sameLines(t, []string{"one", "two, continued", "three"}, r.rec.Bodies())
		})
	}
}

func TestPartialLineCarriedOverARotationWhileStopped(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "0.log")
	c := formatConfig(dir, taildir.FormatCRI)
	appendRaw(t, log, cri("stdout", "P", "split "))
	r := run(t, c)
	waitFor(t, "the partial record read", func() bool {
		ps := readPositionFile(t, c.PositionFile)
		return len(ps) == 1 && ps[0]["pending"] != nil
	})
	r.stop()
	// Kubelet rotates while the agent is down; the runtime goes on in the new file.
	os.Rename(log, log+".20261201")
	appendRaw(t, log, cri("stdout", "F", "line")+cri("stdout", "F", "next"))
	r2 := run(t, c)
	waitLines(t, r2, 2)
	time.Sleep(50 * time.Millisecond)
	r2.stop()
	sameLines(t, []string{"split line", "next"}, r2.rec.Bodies())
}

func TestPartialLineNeverEndedIsDeliveredWhenItsFileIsReleased(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "0.log")
	r := run(t, formatConfig(dir, taildir.FormatCRI))
	appendRaw(t, log, cri("stdout", "P", "the container died here"))
	waitFor(t, "the file held", func() bool { return r.counter("OpenFileCount") == 1 })
	os.Remove(log)
	waitLines(t, r, 1)
	r.stop()
	sameLines(t, []string{"the container died here"}, r.rec.Bodies())
	if n := r.counter("PartialFlushedCount"); n != 1 {
		t.Errorf("PartialFlushedCount = %d", n)
	}
}

func TestMultilineAfterReassembly(t *testing.T) {
	dir := t.TempDir()
	c := formatConfig(dir, taildir.FormatCRI)
	c.Multiline = &taildir.Multiline{Pattern: `^\s`, Match: "after", Timeout: 100 * time.Millisecond}
	c.Validate()
	appendRaw(t, filepath.Join(dir, "0.log"), cri("stderr", "F", "Exception: boom")+cri("stdout", "F", "unrelated")+
		cri("stderr", "P", "\tat a.b")+cri("stderr", "F", "(C.java:1)")+cri("stderr", "F", "\tat d.e(F.java:2)")+cri("stderr", "F", "next"))
	r := run(t, c)
	waitLines(t, r, 3)
	time.Sleep(150 * time.Millisecond)
	r.stop()
	exactlyOnce(t, []string{"Exception: boom\n\tat a.b(C.java:1)\n\tat d.e(F.java:2)", "unrelated", "next"}, r.rec.Bodies())
}

func TestEncodings(t *testing.T) {
	utf16le := func(s string, bom bool) string {
		var b []byte
		if bom {
			b = append(b, 0xFF, 0xFE)
		}
		for _, r := range s {
			if r > 0xFFFF {
				r -= 0x10000
				hi, lo := 0xD800+(r>>10), 0xDC00+(r&0x3FF)
				b = append(b, byte(hi), byte(hi>>8), byte(lo), byte(lo>>8))
				continue
			}
			b = append(b, byte(r), byte(r>>8))
		}
		return string(b)
	}
	swap := func(s string) string {
		b := []byte(s)
		for i := 0; i+1 < len(b); i += 2 {
			b[i], b[i+1] = b[i+1], b[i]
		}
		return string(b)
	}
	text := "caf\u00e9\r\n\u0a0a\u4e2d \U0001F600\nlast\n" // U+0A0A has the byte 0x0A in both halves
	want := []string{"caf\u00e9", "\u0a0a\u4e2d \U0001F600", "last"}
	for _, tc := range []struct {
		enc, content string
		want         []string
	}{
		{"utf-16le", utf16le(text, true), want},
		{"utf-16be", swap(utf16le(text, true)), want},
		{"iso-8859-1", "caf\xe9\n\xa3 \x80\n", []string{"caf\u00e9", "\u00a3 \u0080"}},
		{"windows-1252", "\x80 5\n", []string{"\u20ac 5"}},
		{"shift_jis", "\x93\xfa\x96\x7b\n", []string{"\u65e5\u672c"}},
	} {
		t.Run(tc.enc, func(t *testing.T) {
			dir := t.TempDir()
			c := testConfig(dir, "*.log")
			c.FileGroups[0].Encoding = tc.enc
			c.ByteOffsetHeader = true
			writeFile(t, filepath.Join(dir, "app.log"), tc.content)
			r := run(t, c)
			waitLines(t, r, len(tc.want))
			time.Sleep(50 * time.Millisecond)
			r.stop()
			sameLines(t, tc.want, r.rec.Bodies())
			if tc.enc == "utf-16le" {
				// Offsets are the file's: the BOM and "café\r\n" are 2+12 bytes.
				if off := r.rec.Events()[1].Headers["byteoffset"]; off != "14" {
					t.Errorf("offset of the second line = %s, want 14", off)
				}
			}
		})
	}
}

func TestUTF16LinesAreWholeAfterARestart(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir, "*.log")
	c.FileGroups[0].Encoding = "utf-16le"
	log := filepath.Join(dir, "app.log")
	enc := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			b.WriteByte(byte(r))
			b.WriteByte(byte(r >> 8))
		}
		return b.String()
	}
	appendRaw(t, log, enc("one\ntw"))
	r := run(t, c)
	waitLines(t, r, 1)
	r.stop()
	appendRaw(t, log, enc("o\n"))
	r2 := run(t, c)
	waitLines(t, r2, 1)
	time.Sleep(50 * time.Millisecond)
	r2.stop()
	sameLines(t, []string{"two"}, r2.rec.Bodies())
}

func TestFullChannelWithContainerLogsDropsNothing(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "0.log")
	var want []string
	var recs strings.Builder
	for i := 0; i < 500; i++ {
		l := fmt.Sprintf("line %04d", i)
		want = append(want, l)
		recs.WriteString(cri(streamName(i), "P", l[:5]) + cri(streamName(i), "F", l[5:]))
	}
	rec := &sourcetest.Processor{Refusing: true}
	c := formatConfig(dir, taildir.FormatCRI)
	c.Batch = 7
	r := runWith(t, c, rec)
	appendRaw(t, log, recs.String())
	time.Sleep(200 * time.Millisecond)
	rec.SetRefusing(false)
	waitLines(t, r, 500)
	time.Sleep(50 * time.Millisecond)
	r.stop()
	exactlyOnce(t, want, rec.Bodies())
}

func streamName(i int) string { return [2]string{"stdout", "stderr"}[i%2] }
