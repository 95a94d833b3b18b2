package convert_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/flumego/flumego/components"
	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/config/convert"
)

// TestSerializerSettingsBecomeASerializerBlock converts Flume's serializer properties of the
// hdfs and file_roll sinks into the sinks' serializer block, and the result loads.
func TestSerializerSettingsBecomeASerializerBlock(t *testing.T) {
	src := `a1.sources = r1
a1.channels = c1
a1.sinks = k1 k2 k3
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = 44444
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = hdfs
a1.sinks.k1.channel = c1
a1.sinks.k1.hdfs.path = file:///tmp/x
a1.sinks.k1.hdfs.fileType = DataStream
a1.sinks.k1.serializer = avro_event
a1.sinks.k1.serializer.compressionCodec = Snappy
a1.sinks.k1.serializer.appendNewline = false
a1.sinks.k2.type = file_roll
a1.sinks.k2.channel = c1
a1.sinks.k2.sink.directory = /tmp/y
a1.sinks.k2.sink.serializer.appendNewline = false
a1.sinks.k3.type = file_roll
a1.sinks.k3.channel = c1
a1.sinks.k3.sink.directory = /tmp/z
a1.sinks.k3.sink.serializer = TEXT
`
	res, err := convert.Convert([]byte(src), convert.Options{Components: components.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	hcl := string(res.HCL)
	for _, want := range []string{
		"serializer \"avro_event\" {\n      compression_codec = \"snappy\"\n    }",
		"serializer \"text\" {\n      append_newline = false\n    }",
	} {
		if !strings.Contains(hcl, want) {
			t.Errorf("converted HCL lacks %q:\n%s", want, hcl)
		}
	}
	if strings.Count(hcl, "serializer \"") != 2 {
		t.Errorf("want two serializer blocks (TEXT is the default, written as none):\n%s", hcl)
	}
	var report bytes.Buffer
	res.Report(&report, "flume.conf")
	if !strings.Contains(report.String(), "a1.sinks.k1.serializer.appendNewline: not carried over: a setting of the text serializer") {
		t.Errorf("report does not say appendNewline is ignored with avro_event:\n%s", report.String())
	}
	if _, _, diags := config.Load("flume.hcl", res.HCL, "a1", components.Builtin()); diags.HasErrors() {
		t.Errorf("converted HCL does not load: %v\n%s", diags, hcl)
	}
}
