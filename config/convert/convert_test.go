package convert_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flumego/flumego/components"
	"github.com/flumego/flumego/config/convert"
)

var update = flag.Bool("update", false, "rewrite the golden .hcl and .report files in testdata")

// TestGoldenFlumeConfigs converts every Flume configuration from the field in testdata: the
// HCL and the report must match their golden files. That each one passes `agent validate` is
// checked through the binary (cmd/agent, TestConvertEveryFieldConfigurationThenValidate).
func TestGoldenFlumeConfigs(t *testing.T) {
	confs, _ := filepath.Glob("testdata/*.conf")
	if len(confs) < 11 {
		t.Fatalf("want the 11 field configurations in testdata, found %d", len(confs))
	}
	for _, conf := range confs {
		name := strings.TrimSuffix(filepath.Base(conf), ".conf")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			res, err := convert.Convert(src, convert.Options{Source: filepath.Base(conf), Components: components.Builtin()})
			if err != nil {
				t.Fatalf("convert: %v", err)
			}
			var report bytes.Buffer
			res.Report(&report, filepath.Base(conf))
			golden(t, strings.TrimSuffix(conf, ".conf")+".hcl", res.HCL)
			golden(t, strings.TrimSuffix(conf, ".conf")+".report", report.Bytes())
		})
	}
}

// TestGoldenReportsSayWhatWasNotCarriedOver pins the two field configurations that cannot be
// converted whole: the malformed key and the custom Java interceptor.
func TestGoldenReportsSayWhatWasNotCarriedOver(t *testing.T) {
	for _, tc := range []struct{ conf, key, says string }{
		{"avro-hdfs.conf", "a2.sinks.k1.hdfs: not carried over", `Flume reads "fileType = DataStream" as the value of "a2.sinks.k1.hdfs"`},
		{"netcat-interceptor-multiplexing.conf", "a1.sources.r1.interceptors.i1.type: not carried over", "flumego cannot run Java code"},
	} {
		src, _ := os.ReadFile(filepath.Join("testdata", tc.conf))
		res, err := convert.Convert(src, convert.Options{Components: components.Builtin()})
		if err != nil {
			t.Fatal(err)
		}
		var report bytes.Buffer
		res.Report(&report, tc.conf)
		if !strings.Contains(report.String(), tc.key) || !strings.Contains(report.String(), tc.says) {
			t.Errorf("%s: report does not say %q / %q:\n%s", tc.conf, tc.key, tc.says, report.String())
		}
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./config/convert -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the conversion (run with -update if the change is intended)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

func TestInputThatNamesNoAgentIsAnError(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "foo = bar\nx.y = z\n"} {
		if _, err := convert.Convert([]byte(src), convert.Options{Components: components.Builtin()}); !errors.Is(err, convert.ErrNoAgent) {
			t.Errorf("%q: want ErrNoAgent, got %v", src, err)
		}
	}
	if _, err := convert.Convert([]byte("a1.sources = r\\u12\n"), convert.Options{Components: components.Builtin()}); err == nil {
		t.Error("a malformed \\u escape should fail, as in Java")
	}
}
