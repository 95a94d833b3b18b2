package logger

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/sink"
)

// newSink builds a logger sink from HCL whose records land in a buffer, one message a line.
func newSink(t *testing.T, src string, level slog.Level) (sink.Sink, *bytes.Buffer) {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(src), "flume.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	f := NewFactory()
	cfg, diags := f.Decode(file.Body, nil, `sink "logger" "k1"`, hcl.Range{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
			return slog.Attr{}
		}
		return a
	}})
	s, err := f.Create(cfg, sink.Settings{Name: "k1", Type: "logger", Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	return s, &buf
}

func TestLoggerPrintsEventsAsFlume(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		event channel.Event
		want  string
	}{
		{
			// The example output in Flume's user guide.
			name:  "flume user guide",
			event: channel.Event{Body: []byte("Hello world!\r")},
			want:  "Event: { headers:{} body: 48 65 6C 6C 6F 20 77 6F 72 6C 64 21 0D          Hello world!. }",
		},
		{
			name:  "headers sorted",
			event: channel.Event{Headers: map[string]string{"k2": "v2", "k1": "v1"}, Body: []byte("hello")},
			want:  "Event: { headers:{k1=v1, k2=v2} body: 68 65 6C 6C 6F                                  hello }",
		},
		{
			name:  "body cut at max_bytes_to_log",
			event: channel.Event{Body: []byte("0123456789abcdefXYZ")},
			want:  "Event: { headers:{} body: 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 0123456789abcdef }",
		},
		{
			name:  "longer dump has Commons IO's offset on the second line",
			src:   "max_bytes_to_log = 20",
			event: channel.Event{Body: []byte("0123456789abcdef\x00\xffyz!")},
			want: "Event: { headers:{} body: 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 0123456789abcdef\n" +
				"00000010 00 FF 79 7A                                     ..yz }",
		},
		{
			name:  "empty body",
			event: channel.Event{Headers: map[string]string{"h": ""}},
			want:  "Event: { headers:{h=} body: }",
		},
		{
			name:  "as the json serializer writes it",
			src:   `serializer "json" { preset = "flume" }`,
			event: channel.Event{Headers: map[string]string{"h": "v"}, Body: []byte("say \"hi\"")},
			want:  `{"body":"say \"hi\"","headers":{"h":"v"}}`,
		},
		{
			name:  "as the format serializer writes it",
			src:   `serializer "format" { format = "%%{h}: %%{body}" }`,
			event: channel.Event{Headers: map[string]string{"h": "v"}, Body: []byte("hello")},
			want:  `v: hello`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, buf := newSink(t, tt.src, slog.LevelInfo)
			if err := s.Write(context.Background(), []channel.Event{tt.event}); err != nil {
				t.Fatal(err)
			}
			// The text handler quotes the message; compare with the same quoting.
			want := "msg=" + quote(tt.want) + "\n"
			if got := buf.String(); got != want {
				t.Errorf("logged\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func quote(s string) string {
	var b bytes.Buffer
	h := slog.NewTextHandler(&b, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key != slog.MessageKey {
			return slog.Attr{}
		}
		return a
	}})
	slog.New(h).Info(s)
	return strings.TrimSuffix(strings.TrimPrefix(b.String(), "msg="), "\n")
}

func TestLoggerLogsOneRecordPerEvent(t *testing.T) {
	s, buf := newSink(t, "", slog.LevelInfo)
	events := []channel.Event{{Body: []byte("a")}, {Body: []byte("b")}, {Body: []byte("c")}}
	if err := s.Write(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "msg="); n != 3 {
		t.Errorf("%d records for 3 events:\n%s", n, buf)
	}
}

func TestLoggerSilentAboveInfo(t *testing.T) {
	s, buf := newSink(t, "", slog.LevelWarn)
	if err := s.Write(context.Background(), []channel.Event{{Body: []byte("a")}}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("logged %q with the logger at Warn", buf)
	}
}

func TestLoggerRefusesBinarySerializers(t *testing.T) {
	file, _ := hclsyntax.ParseConfig([]byte("serializer \"avro_event\" {}"), "flume.hcl", hcl.InitialPos)
	_, diags := NewFactory().Decode(file.Body, nil, `sink "logger" "k1"`, hcl.Range{})
	if !strings.Contains(diags.Error(), "flume.hcl:1,1-24") || !strings.Contains(diags.Error(), "binary Avro") {
		t.Errorf("diagnostics %v", diags)
	}
}

func TestLoggerConfigErrors(t *testing.T) {
	file, _ := hclsyntax.ParseConfig([]byte("max_bytes_to_log = 0"), "flume.hcl", hcl.InitialPos)
	_, diags := NewFactory().Decode(file.Body, nil, `sink "logger" "k1"`, hcl.Range{})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "flume.hcl:1,20-21: sink \"logger\" \"k1\": max_bytes_to_log: must be positive") {
		t.Errorf("diagnostics %v, want max_bytes_to_log rejected at its position", diags)
	}
}

func BenchmarkLogger(b *testing.B) {
	s, err := New(defaults(), sink.Settings{Logger: slog.New(slog.NewTextHandler(discard{}, nil))})
	if err != nil {
		b.Fatal(err)
	}
	events := make([]channel.Event, 100)
	for i := range events {
		events[i] = channel.Event{Headers: map[string]string{"host": "web-1"}, Body: bytes.Repeat([]byte("x"), 150)}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Write(context.Background(), events); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
