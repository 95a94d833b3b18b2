package hdfs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/testkit"
)

// formats are the file layouts a sink can write: codec × serializer.
var formats = []struct {
	name string
	src  string
	avro bool
	ext  string
}{
	{"text", "", false, ""},
	{"text-no-newline", `serializer "text" { append_newline = false }`, false, ""},
	{"gzip", `codec = "gzip"`, false, ".gz"},
	{"zstd", `codec = "zstd"`, false, ".zst"},
	{"snappy", `codec = "snappy"`, false, ".snappy"},
	{"lz4", `codec = "lz4"`, false, ".lz4"},
	{"avro", `serializer "avro_event" {}`, true, ""},
	{"avro-deflate", `serializer "avro_event" { compression_codec = "deflate" }`, true, ""},
	{"avro-snappy", `serializer "avro_event" { compression_codec = "snappy" }`, true, ""},
	{"avro-in-zstd", "serializer \"avro_event\" {}\ncodec = \"zstd\"", true, ".zst"},
}

// logLines are access-log-like bodies, compressible like the real thing; some are long enough
// to span Hadoop blocks.
func logLines(from, n int) []channel.Event {
	out := make([]channel.Event, n)
	for i := range out {
		k := from + i
		body := fmt.Sprintf(`10.0.%d.%d - - [05/Mar/2024:07:%02d:%02d +0000] "GET /api/v1/items/%d HTTP/1.1" 200 %d "-" "curl/8.5"`,
			k%256, k%7, k%60, k%60, k, 100+k%900)
		if k%500 == 7 {
			body += strings.Repeat(" padding", 40_000) // 320KB: bigger than a Hadoop block
		}
		out[i] = channel.Event{Body: []byte(body), Headers: map[string]string{"n": fmt.Sprint(k)}}
	}
	return out
}

// TestEveryFormatDecodesToExactlyTheEventsSent writes batches in every format, rolling by
// count, and decodes the files with the standard library or the codec's own package.
func TestEveryFormatDecodesToExactlyTheEventsSent(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := newTestSink(t, dir, "out", f.src+"\nroll_count = 1500", nil)
			ctx := context.Background()
			var sent []channel.Event
			for i := 0; i < 4000; i += 250 {
				evs := logLines(i, 250)
				sent = append(sent, evs...)
				if err := s.Write(ctx, evs); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			files := tree(t, dir)
			if len(files) != 3 {
				t.Fatalf("files %v, want 3 (1500 + 1500 + 1000 events)", files)
			}
			for _, name := range files {
				if !strings.HasSuffix(name, f.ext) {
					t.Errorf("%s lacks the extension %q", name, f.ext)
				}
			}
			got := allLines(t, dir, f.avro)
			want := testkit.Bodies(sent)
			if f.name == "text-no-newline" {
				got, want = []string{strings.Join(got, "")}, []string{strings.Join(want, "")}
			}
			sameLines(t, got, want)
		})
	}
}

// TestValidUnitsAtEveryCut writes three units per codec and checks that validUnits finds the
// last whole one at every cut of the file.
func TestValidUnitsAtEveryCut(t *testing.T) {
	for _, c := range []Codec{Gzip, Zstd, Snappy, LZ4} {
		t.Run(string(c), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := newUnitWriter(c, &buf)
			if err != nil {
				t.Fatal(err)
			}
			ends := []int64{0}
			for u := range 3 {
				for _, e := range logLines(u*40, 40) {
					w.Write(e.Body[:min(len(e.Body), 200)])
					w.Write([]byte("\n"))
				}
				if err := w.EndUnit(); err != nil {
					t.Fatal(err)
				}
				ends = append(ends, int64(buf.Len()))
			}
			full := buf.Bytes()
			cuts := map[int]bool{len(full): true}
			for c := 0; c < len(full); c += 13 {
				cuts[c] = true
			}
			for _, e := range ends {
				for d := -3; d <= 3; d++ {
					if c := int(e) + d; c >= 0 && c <= len(full) {
						cuts[c] = true
					}
				}
			}
			for cut := range cuts {
				got, err := validUnits(c, bytes.NewReader(full[:cut]))
				if err != nil {
					t.Fatal(err)
				}
				var want int64
				for _, e := range ends {
					if int64(cut) >= e {
						want = e
					}
				}
				if got != want {
					t.Fatalf("cut at %d of %d: validUnits = %d, want %d (unit ends %v)", cut, len(full), got, want, ends)
				}
			}
		})
	}
}

// TestRecoveryCutsATornFileBackToItsLastBatch builds, for every format, the in-use file a crash
// in the middle of the third batch leaves (the first two batches synced, half of the third
// written), starts a new sink, and checks that recovery finishes it with exactly the first two
// batches.
func TestRecoveryCutsATornFileBackToItsLastBatch(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			ctx := context.Background()
			first := t.TempDir()
			s, _ := newTestSink(t, first, "out/%Y", f.src+"\ntime_zone = \"UTC\"", nil)
			var sent []channel.Event
			var sizes []int64
			var tmp string
			for b := range 3 {
				evs := logLines(b*100, 100)
				for i := range evs {
					evs[i].Headers["timestamp"] = fmt.Sprint(hour)
				}
				if err := s.Write(ctx, evs); err != nil {
					t.Fatal(err)
				}
				if b < 2 {
					sent = append(sent, evs...)
				}
				files := tree(t, first)
				tmp = filepath.Join(first, files[0])
				fi, _ := os.Stat(tmp)
				sizes = append(sizes, fi.Size())
			}
			data, err := os.ReadFile(tmp)
			if err != nil {
				t.Fatal(err)
			}
			torn := data[:sizes[1]+(sizes[2]-sizes[1])/2]

			// The torn file, as the crashed run left it, plus files that are not the sink's.
			second := t.TempDir()
			rel, _ := filepath.Rel(first, tmp)
			place := func(rel string, b []byte) {
				p := filepath.Join(second, rel)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			place(rel, torn)
			place("out/2024/Other.1.tmp", []byte("not ours"))
			place("out/notayear/FlumeData.1.tmp", []byte("not ours either"))
			emptyRel := strings.Replace(rel, ".17", ".16", 1)
			place(emptyRel, nil) // created, never written
			s.Close(ctx)

			s2, m2 := newTestSink(t, second, "out/%Y", f.src+"\ntime_zone = \"UTC\"", nil)
			testkit.WaitFor(t, 10*time.Second, "two files recovered", func() bool { return testkit.Counter(m2.Component, "FileRecoveredCount") == 2 })
			s2.Close(ctx)
			files := tree(t, second)
			want := []string{"out/2024/" + strings.TrimSuffix(filepath.Base(rel), ".tmp"), "out/2024/Other.1.tmp", "out/notayear/FlumeData.1.tmp"}
			if strings.Join(files, " ") != strings.Join(want, " ") {
				t.Fatalf("files after recovery %v, want %v", files, want)
			}
			got := decodeFile(t, filepath.Join(second, files[0]), f.avro)
			w := testkit.Bodies(sent)
			if f.name == "text-no-newline" {
				// Without newlines no cut is possible: the whole torn file is kept.
				if n := len(strings.Join(got, "")); n != len(torn) {
					t.Fatalf("kept %d bytes, want all %d", n, len(torn))
				}
				return
			}
			if strings.HasPrefix(f.name, "text") {
				// Text is cut after its last whole line: lines of the torn batch that made it
				// whole stay, the duplicates of the batch in flight.
				third := testkit.Bodies(logLines(200, 100))
				if len(got) < len(w) || len(got) >= len(w)+len(third) {
					t.Fatalf("kept %d lines, want the %d of the first two batches and part of the third", len(got), len(w))
				}
				w = append(w, third[:len(got)-len(w)]...)
			}
			sameLines(t, got, w)
		})
	}
}

// TestRecoveryLeavesALiveWritersFileAlone: a second sink on the same directory (another agent)
// does not touch the in-use file the first one holds open.
func TestRecoveryLeavesALiveWritersFileAlone(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s1, _ := newTestSink(t, dir, "out", "", nil)
	if err := s1.Write(ctx, numbered(0, 5)); err != nil {
		t.Fatal(err)
	}
	s2, m2 := newTestSink(t, dir, "out", "", nil)
	s2.Close(ctx) // waits for its recovery to end
	if n := testkit.Counter(m2.Component, "FileRecoveredCount"); n != 0 {
		t.Errorf("the second sink recovered %d files of the live first one", n)
	}
	if err := s1.Write(ctx, numbered(5, 5)); err != nil {
		t.Fatal(err)
	}
	s1.Close(ctx)
	noTmp(t, dir)
	sameLines(t, allLines(t, dir, false), lines(0, 10))
}
