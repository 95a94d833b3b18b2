package taildir

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseTimeMatchesTimeParse(t *testing.T) {
	for _, s := range []string{"2026-12-01T10:00:00.123456789Z", "2026-12-01T10:00:00Z", "1999-02-28T23:59:59.9+05:30",
		"2024-02-29T00:00:00.01-08:00", "1970-01-01T00:00:00Z", "2400-12-31T23:59:59.999Z"} {
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := parseTime([]byte(s)); !ok || got != want.UnixMilli() {
			t.Errorf("parseTime(%s) = %d, %v, want %d", s, got, ok, want.UnixMilli())
		}
	}
	for _, s := range []string{"", "2026-12-01 10:00:00Z", "2026-13-01T10:00:00Z", "2026-12-01T10:00:00", "2026-12-01T10:00:00.Z", "2026-12-01T10:00:00+0100"} {
		if _, ok := parseTime([]byte(s)); ok {
			t.Errorf("parseTime(%q) accepted", s)
		}
	}
}

// FuzzParseDocker checks the parser against encoding/json: whatever both accept, the message is
// the same (invalid UTF-8 replaced by U+FFFD in both).
func FuzzParseDocker(f *testing.F) {
	for _, s := range []string{`{"log":"a\n","stream":"stdout","time":"2026-12-01T10:00:00.1Z"}`,
		`{"log":"\ud83d\ude00 \u00e9 \"q\" \\","stream":"stderr","time":"2026-12-01T10:00:00Z"}`,
		`{"log":"\ud800","stream":"stdout","time":"2026-12-01T10:00:00Z"}`, `{"stream":"stdout","log":"x"}`, `not json`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		e, _, ok := parseDocker(rec, nil)
		if !ok {
			return
		}
		var v struct {
			Log string `json:"log"`
		}
		if json.Unmarshal(rec, &v) != nil {
			return
		}
		want := v.Log
		if n := len(want); n > 0 && want[n-1] == '\n' {
			want = want[:n-1]
		}
		if string(e.msg) != want {
			t.Fatalf("%q: message %q, want %q", rec, e.msg, want)
		}
	})
}

func FuzzParseCRI(f *testing.F) {
	f.Add([]byte("2026-12-01T10:00:00.123456789Z stdout F message"))
	f.Add([]byte("2026-12-01T10:00:00Z stderr P:x "))
	f.Fuzz(func(t *testing.T, rec []byte) {
		if e, ok := parseCRI(rec); ok && (e.stream == "" || len(e.msg) > len(rec)) {
			t.Fatalf("%q: %+v", rec, e)
		}
	})
}

// BenchmarkParseDocker parses one json-file line of 150 bytes with a few escapes.
func BenchmarkParseDocker(b *testing.B) {
	rec := []byte(`{"log":"192.168.10.24 - - [01/Dec/2026:19:46:35 +0000] \"GET /api/v1/items?id=12345 HTTP/1.1\" 200 5123 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n","stream":"stdout","time":"2026-12-01T19:46:35.526123456Z"}`)
	var scratch []byte
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		var ok bool
		if _, scratch, ok = parseDocker(rec, scratch); !ok {
			b.Fatal("not parsed")
		}
	}
}
