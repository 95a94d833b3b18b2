package hdfs

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/sink"
)

func TestDefaults(t *testing.T) {
	cfg, diags := decode(t, `path = "hdfs://nn/flume"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := *defaults()
	want.Path = "hdfs://nn/flume"
	if *cfg != want {
		t.Errorf("defaults %+v, want %+v", *cfg, want)
	}
	if cfg.RollInterval != time.Hour || cfg.RollSize != 128<<20 || cfg.RollCount != 0 || cfg.fileType() != DataStream {
		t.Errorf("roll defaults %v/%v/%d, file type %s", cfg.RollInterval, cfg.RollSize, cfg.RollCount, cfg.fileType())
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in     string
		scheme string
		hosts  string
		dir    string
		err    string
	}{
		{"file:///data/flume/%Y%m%d/", "file", "", "/data/flume/%Y%m%d", ""},
		{"hdfs://hadoop102:9820/flume2/%Y%m%d%H", "hdfs", "hadoop102:9820", "/flume2/%Y%m%d%H", ""},
		{"hdfs://nn1,nn2:8021/x", "hdfs", "nn1:8020,nn2:8021", "/x", ""},
		{"webhdfs://nn/x/%{topic}", "webhdfs", "nn:9870", "/x/%{topic}", ""},
		{"swebhdfs://nn:443/x", "swebhdfs", "nn:443", "/x", ""},
		{"/data/flume", "", "", "", "want a URL"},
		{"s3://bucket/x", "", "", "", "unknown scheme"},
		{"file://host/x", "", "", "", "no host"},
		{"hdfs:///x", "", "", "", "needs a namenode"},
		{"webhdfs://a,b/x", "", "", "", "one host"},
	}
	for _, tt := range tests {
		got, err := parseTarget(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got.scheme != tt.scheme || strings.Join(got.hosts, ",") != tt.hosts || got.dir != tt.dir {
			t.Errorf("%s: %+v, %v", tt.in, got, err)
		}
	}
}

func TestConfigErrorsAreAllReported(t *testing.T) {
	src := `path = "s3://b/%Q"
file_prefix = "a/%w"
in_use_suffix = ""
codec = "bzip2"
file_type = "SequenceFile"
serializer "avro_event" {
  compression_codec = "xz"
}
round_unit = "day"
time_zone = "Mars/Olympus"
missing_timestamp = "fail"
max_open_files = 0
close_tries = -1
retry_interval = 0
call_timeout = 0`
	_, diags := decode(t, src)
	var msgs []string
	for _, d := range diags {
		msgs = append(msgs, d.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		`flume.hcl:1,8-19: sink "hdfs" "k1": path: unknown scheme "s3"`,
		`file_prefix: unknown escape %w`, `file_prefix: must be part of a file name`,
		`in_use_suffix: in_use_prefix and in_use_suffix are both empty`,
		`codec: unknown codec "bzip2"`, `file_type: unknown file type "SequenceFile"`,
		`serializer "avro_event": compression_codec: unknown Avro codec "xz"`,
		`round_unit: unknown unit "day"`, `time_zone: unknown time zone "Mars/Olympus"`,
		`missing_timestamp: unknown policy "fail"`, `max_open_files: must be at least 1`,
		`close_tries: must not be negative`, `retry_interval: must be positive`, `call_timeout: must be positive`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, all)
		}
	}
}

func TestCodecAndFileTypeRules(t *testing.T) {
	tests := []struct {
		src  string
		err  string
		want FileType
	}{
		{`codec = "zstd"`, "", CompressedStream},
		{`codec = "GzipCodec"`, "", CompressedStream},
		{"codec = \"snappy\"\nfile_type = \"CompressedStream\"", "", CompressedStream},
		{"codec = \"gzip\"\nfile_type = \"DataStream\"", "DataStream writes uncompressed files", ""},
		{`file_type = "CompressedStream"`, "needs a codec", ""},
		{"round = true\nround_unit = \"hour\"\nround_value = 25", "1 to 24", ""},
		{"round = true\nround_unit = \"minute\"\nround_value = 0", "1 to 60", ""},
	}
	for _, tt := range tests {
		cfg, diags := decode(t, "path = \"file:///x\"\n"+tt.src)
		if tt.err == "" {
			if diags.HasErrors() || cfg.fileType() != tt.want {
				t.Errorf("%q: %v, file type %s", tt.src, diags, cfg.fileType())
			}
			continue
		}
		if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.err) {
			t.Errorf("%q: %v, want %q", tt.src, diags, tt.err)
		}
	}
}

func TestSmallFileSettingsWarn(t *testing.T) {
	_, diags := decode(t, "path = \"file:///x\"\nroll_interval = 30\nroll_size = 1024\nroll_count = 10")
	if diags.HasErrors() || len(diags) != 3 {
		t.Fatalf("want three warnings for Flume's small-file defaults, got %v", diags)
	}
	for _, d := range diags {
		if !strings.Contains(d.Error(), "small files") {
			t.Errorf("warning %q", d.Error())
		}
	}
}

// TestUnreachableNamenode: hdfs:// to a port nobody listens on starts, fails each Write with
// an error naming the namenode, counts the failure, and closes cleanly.
func TestUnreachableNamenode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg, diags := decode(t, `path = "hdfs://`+addr+`/flume/%Y"`+"\ncall_timeout = \"2s\"\nuse_local_timestamp = true")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	m := metrics.NewRegistry("a1").Sink("k1", "hdfs")
	s, err := New(cfg, sink.Settings{Name: "k1", Type: "hdfs", Metrics: m, BatchSize: 100})
	if err != nil {
		t.Fatalf("New failed with the namenode down: %v", err)
	}
	for range 2 {
		err = s.Write(context.Background(), numbered(0, 3))
		if err == nil || !strings.Contains(err.Error(), "connect to namenode ["+addr+"]") {
			t.Fatalf("Write = %v, want a connection error naming the namenode", err)
		}
	}
	if n := m.ConnectionFailedCount.Load(); n != 2 {
		t.Errorf("ConnectionFailedCount %d, want 2", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Errorf("Close = %v", err)
	}
}
