package serializer

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/avrofile"
	"github.com/flumego/flumego/internal/flumeevent"
)

var twoEvents = []channel.Event{
	{Headers: map[string]string{"host": "web1", "timestamp": "1796154395526"}, Body: []byte("first")},
	{Body: []byte("second")},
}

// stream writes events through a new stream of s and returns the file.
func stream(t *testing.T, s Serializer, events []channel.Event) []byte {
	t.Helper()
	var file bytes.Buffer
	st, err := s.NewStream(&file)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if err := st.Append(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	return file.Bytes()
}

func TestRecordsHaveNoFramingAndStreamsDo(t *testing.T) {
	tests := []struct {
		typ, cfg       string
		record, stream string // of the first event; the stream of both
	}{
		{Text, ``, "first", "first\nsecond\n"},
		{Text, `append_newline = false`, "first", "firstsecond"},
		{Format, `format = "%%{host}|%%{body}|%Y-%m-%d|%%{body}"` + "\ntime_zone = \"UTC\"", "web1|first|2026-12-01|first", "web1|first|2026-12-01|first\n|second|TODAY|second\n"},
		{JSON, `preset = "flume"`, `{"body":"first","headers":{"host":"web1","timestamp":"1796154395526"}}`,
			`{"body":"first","headers":{"host":"web1","timestamp":"1796154395526"}}` + "\n" + `{"body":"second"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.cfg, func(t *testing.T) {
			s, _ := build(t, tt.typ, tt.cfg)
			if got := record(t, s, twoEvents[0].Headers, string(twoEvents[0].Body)); got != tt.record {
				t.Errorf("record %q, want %q", got, tt.record)
			}
			got := string(stream(t, s, twoEvents))
			// The second event has no time of its own: it is written at the time of writing.
			if want := strings.Replace(tt.stream, "TODAY", time.Now().UTC().Format("2006-01-02"), 1); got != want {
				t.Errorf("stream %q, want %q", got, tt.stream)
			}
		})
	}
}

func TestAvroEventIsADatumAsARecordAndAContainerAsAStream(t *testing.T) {
	s, _ := build(t, AvroEvent, `compression_codec = "deflate"`)
	rec, err := s.AppendRecord([]byte("kept"), &twoEvents[0])
	if err != nil || !bytes.HasPrefix(rec, []byte("kept")) {
		t.Fatalf("AppendRecord = %q, %v", rec, err)
	}
	h, b, err := flumeevent.Decode(rec[4:])
	if err != nil || string(b) != "first" || h["host"] != "web1" {
		t.Errorf("record decodes to %v %q, %v", h, b, err)
	}
	file := stream(t, s, twoEvents)
	evs, err := avrofile.ReadAll(bytes.NewReader(file))
	if err != nil || len(evs) != 2 || string(evs[1].Body) != "second" || evs[0].Headers["host"] != "web1" {
		t.Errorf("container holds %+v, %v", evs, err)
	}
	n, any, err := s.ValidPrefix(bytes.NewReader(append(file, 2, 40, 'x')))
	if err != nil || n != int64(len(file)) || !any {
		t.Errorf("ValidPrefix of a torn container = %d, %v, %v; want %d", n, any, err, len(file))
	}
}

func TestLineStreamsValidPrefix(t *testing.T) {
	for _, tt := range []struct {
		typ, cfg, file string
		valid          int64
		any            bool
	}{
		{JSON, ``, "{\"a\":1}\n{\"b\":", 8, true},
		{Text, ``, "torn", 0, false},
		{Text, `append_newline = false`, "abc", 3, true},
		{Format, `format = "%%{body}"`, "", 0, false},
	} {
		s, _ := build(t, tt.typ, tt.cfg)
		n, any, err := s.ValidPrefix(strings.NewReader(tt.file))
		if err != nil || n != tt.valid || any != tt.any {
			t.Errorf("%s %s: ValidPrefix(%q) = %d, %v, %v; want %d, %v", tt.typ, tt.cfg, tt.file, n, any, err, tt.valid, tt.any)
		}
	}
}

func TestConfigOfEveryTypeAndNew(t *testing.T) {
	for _, f := range Builtin() {
		c := Of(f.Type())
		if c.Factory == nil || c.Spec == nil {
			t.Errorf("Of(%q) = %+v", f.Type(), c)
			continue
		}
		if f.Type() == Format {
			c.Spec.(*FormatConfig).Format = "%{body}"
		}
		if _, err := New(c, Settings{DataDir: t.TempDir()}); err != nil {
			t.Errorf("New(%q): %v", f.Type(), err)
		}
	}
	s, err := New(Config{}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*text); !ok {
		t.Errorf("the zero Config makes %T, want text", s)
	}
	if _, err := New(Config{Type: "xml"}, Settings{}); err == nil {
		t.Error("New of an unknown type succeeded")
	}
}

func TestOtherConfigDiagnostics(t *testing.T) {
	for _, tt := range []struct {
		typ, body string
		want      []string
	}{
		{Format, ``, []string{`1: Missing required argument`}},
		{Format, `format = "%q"`, []string{`1: format: unknown escape %q`}},
		{Format, "format = \"x\"\ntime_zone = \"Mars/Base\"", []string{`2: time_zone: unknown time zone "Mars/Base"`}},
		{AvroEvent, "compression_codec = \"xz\"\nsync_interval_bytes = 0", []string{`1: compression_codec: unknown Avro codec "xz"`, `2: sync_interval_bytes: must be at least 1`}},
		{Text, `append_newline = "yes"`, []string{`1: Unsuitable value`}},
	} {
		_, got := decodeSnippet(t, tt.typ, tt.body)
		for i := range got {
			got[i] = strings.Replace(got[i], "flume.hcl:", "", 1)
		}
		matchDiagnostics(t, got, tt.want)
	}
}

func BenchmarkSerializers(b *testing.B) {
	line := []byte(`192.168.10.24 - - [01/Dec/2026:19:46:35 +0000] "GET /api/v1/items?id=12345 HTTP/1.1" 200 5123 "-" "Mozilla/5.0 (X11; Linux x86_64)"`)
	ecs := map[string]string{"timestamp": "1796154395526", "log.file.path": "/var/log/nginx/access.log", "log.offset": "123456789",
		"fields.log_topic": "app-web", "fields.env": "prod"}
	// A JSON log line (escapes, a nested object, an array) for body = "json".
	jsonLine := []byte(`{"@timestamp":"2026-12-01T19:46:35.526Z","level":"info","message":"GET /api/v1/items?id=12345 \"ok\" caf\u00e9","http":{"status":200,"bytes":5123},"tags":["web","prod"]}`)
	for _, bc := range []struct {
		name, typ, cfg string
		body           []byte
	}{
		{"text", Text, ``, line},
		{"json", JSON, ``, line},
		{"json/filebeat", JSON, `preset = "filebeat"` + "\nagent_id = \"fdb38320-793f-4d6d-97f7-646d58881b11\"", line},
		{"json/flume", JSON, `preset = "flume"`, line},
		{"json/body=json", JSON, `body = "json"`, jsonLine},
		{"json/filebeat/body_under_root", JSON, `preset = "filebeat"` + "\nagent_id = \"fdb38320-793f-4d6d-97f7-646d58881b11\"\nbody = \"json\"\nbody_under_root = true", jsonLine},
		{"format", Format, `format = "%%{log.file.path} %%{body}"`, line},
		{"avro_event", AvroEvent, ``, line},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, _ := build(b, bc.typ, bc.cfg)
			ev := channel.Event{Headers: ecs, Body: bc.body}
			var buf []byte
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				var err error
				if buf, err = s.AppendRecord(buf[:0], &ev); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(buf)), "bytes/event")
		})
	}
}

func TestOnlyTextIsVerbatim(t *testing.T) {
	for _, tt := range []struct{ typ, cfg string }{{Text, ``}, {Format, `format = "%%{body}"`}, {JSON, ``}, {AvroEvent, ``}} {
		s, _ := build(t, tt.typ, tt.cfg)
		if got, want := Verbatim(s), tt.typ == Text; got != want {
			t.Errorf("Verbatim(%s) = %v, want %v", tt.typ, got, want)
		}
	}
}
