package journald

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/flumego/flumego/internal/journaltest"
)

// binaryField is NAME, newline, the length as a little-endian uint64, the bytes, newline.
func binaryField(name string, value []byte, declared uint64) []byte {
	var b bytes.Buffer
	b.WriteString(name + "\n")
	_ = binary.Write(&b, binary.LittleEndian, declared)
	b.Write(value)
	b.WriteByte('\n')
	return b.Bytes()
}

// readAll reads every entry of in, as NAME=value strings, and the error that ended it.
func readAll(in []byte, max int) ([][]string, []int, error) {
	r := newExportReader(bytes.NewReader(in), max)
	var got [][]string
	var cut []int
	for {
		var e entry
		err := r.next(&e)
		if err != nil {
			return got, cut, err
		}
		var fs []string
		for _, f := range e.fields {
			fs = append(fs, f.name+"="+string(f.value))
		}
		got = append(got, fs)
		cut = append(cut, e.truncated)
	}
}

func TestExportReaderReadsEntries(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // longer than the reader's buffer
	tests := []struct {
		name    string
		in      []byte
		max     int
		want    [][]string
		cut     []int
		wantErr error
	}{
		{
			name: "text fields, blank lines between entries",
			in:   []byte("\n__CURSOR=c1\nMESSAGE=hello world\nPRIORITY=6\n\n\n__CURSOR=c2\nMESSAGE=a=b\n\n"),
			max:  1024,
			want: [][]string{{"__CURSOR=c1", "MESSAGE=hello world", "PRIORITY=6"}, {"__CURSOR=c2", "MESSAGE=a=b"}},
			cut:  []int{0, 0}, wantErr: io.EOF,
		},
		{
			name: "a binary MESSAGE with a newline and a NUL",
			in:   append(append([]byte("__CURSOR=c1\n"), binaryField("MESSAGE", []byte("two\nlines\x00"), 10)...), []byte("_PID=1\n\n")...),
			max:  1024,
			want: [][]string{{"__CURSOR=c1", "MESSAGE=two\nlines\x00", "_PID=1"}},
			cut:  []int{0}, wantErr: io.EOF,
		},
		{
			name: "a text field over max is cut and counted, the next field intact",
			in:   []byte("MESSAGE=" + long + "\n_PID=7\n\n"),
			max:  1024,
			want: [][]string{{"MESSAGE=" + long[:1024], "_PID=7"}},
			cut:  []int{1}, wantErr: io.EOF,
		},
		{
			name: "a text field over the buffer but within max is whole",
			in:   []byte("MESSAGE=" + long + "\n\n"),
			max:  1 << 20,
			want: [][]string{{"MESSAGE=" + long}},
			cut:  []int{0}, wantErr: io.EOF,
		},
		{
			name: "a binary field over max is cut and counted",
			in:   append(binaryField("MESSAGE", bytes.Repeat([]byte{1}, 5000), 5000), []byte("_PID=7\n\n")...),
			max:  1024,
			want: [][]string{{"MESSAGE=" + string(bytes.Repeat([]byte{1}, 1024)), "_PID=7"}},
			cut:  []int{1}, wantErr: io.EOF,
		},
		{
			name:    "an entry cut off by the end",
			in:      []byte("__CURSOR=c1\nMESSAGE=hel"),
			max:     1024,
			wantErr: io.ErrUnexpectedEOF,
		},
		{
			name:    "a binary field whose bytes end early",
			in:      binaryField("MESSAGE", []byte("abc"), 10),
			max:     1024,
			wantErr: io.ErrUnexpectedEOF,
		},
		{
			name:    "garbage: a field name in lower case",
			in:      []byte("__CURSOR=c1\n\nnot a journal line\n\n"),
			max:     1024,
			want:    [][]string{{"__CURSOR=c1"}},
			cut:     []int{0},
			wantErr: errNotExport,
		},
		{
			name:    "garbage: a declared length beyond any journal field",
			in:      binaryField("MESSAGE", nil, 1<<62),
			max:     1024,
			wantErr: errNotExport,
		},
		{
			name:    "garbage: a binary field not followed by a newline",
			in:      append(binaryField("MESSAGE", []byte("abc"), 2), []byte("\n")...),
			max:     1024,
			wantErr: errNotExport,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cut, err := readAll(tt.in, tt.max)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d entries %q, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if strings.Join(got[i], "|") != strings.Join(tt.want[i], "|") {
					t.Errorf("entry %d: %.200q, want %.200q", i, got[i], tt.want[i])
				}
				if cut[i] != tt.cut[i] {
					t.Errorf("entry %d: %d fields cut, want %d", i, cut[i], tt.cut[i])
				}
			}
		})
	}
}

func TestExportReaderReadsWhatTheTestJournalWrites(t *testing.T) {
	in := journaltest.Export(journaltest.Entry{"MESSAGE": "bin\x01ary\nline", "_SYSTEMD_UNIT": "app.service"})
	got, _, err := readAll(in, 1024)
	if !errors.Is(err, io.EOF) || len(got) != 1 {
		t.Fatalf("%q, %v", got, err)
	}
	if want := "__CURSOR=c1|__REALTIME_TIMESTAMP=1764626400001000|MESSAGE=bin\x01ary\nline|_SYSTEMD_UNIT=app.service"; strings.Join(got[0], "|") != want {
		t.Errorf("%q, want %q", strings.Join(got[0], "|"), want)
	}
}

// FuzzExportReader feeds arbitrary bytes: the reader never panics, never keeps a value over
// its bound, and ends with EOF, an unexpected EOF or errNotExport.
func FuzzExportReader(f *testing.F) {
	f.Add([]byte("__CURSOR=c1\nMESSAGE=hello\n\n"))
	f.Add(binaryField("MESSAGE", []byte("a\nb"), 3))
	f.Add(binaryField("MESSAGE", []byte("a\nb"), 1<<40))
	f.Add(journaltest.Export(journaltest.Entry{"MESSAGE": "x\x00y", "PRIORITY": "3"}))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := newExportReader(bytes.NewReader(in), 64)
		for i := 0; ; i++ {
			var e entry
			err := r.next(&e)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, errNotExport) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(e.fields) == 0 {
				t.Fatal("an entry without fields")
			}
			for _, fl := range e.fields {
				if len(fl.value) > 64 || !validFieldName(fl.name) {
					t.Fatalf("field %q of %d bytes", fl.name, len(fl.value))
				}
			}
			if i > len(in) {
				t.Fatal("more entries than bytes")
			}
		}
	})
}
