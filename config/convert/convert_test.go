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
	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/config/convert"
	"github.com/flumego/flumego/config/flume"
	"github.com/flumego/flumego/interceptor"
)

var update = flag.Bool("update", false, "rewrite the golden .hcl and .report files in testdata")

// TestGoldenFlumeConfigs converts every Flume configuration in testdata — the ones from the
// field and one per class of file that used to convert wrong (validated through the binary too:
// cmd/agent, TestConvertEveryFieldConfigurationThenValidate).
func TestGoldenFlumeConfigs(t *testing.T) {
	goldenDir(t, "testdata", "*.conf", 23, convert.Convert)
}

// TestGoldenFilebeatConfigs converts every Filebeat configuration in testdata/filebeat: the
// shared filebeat.yml (run end to end by cmd/agent) and one per group of settings of
// Filebeat's reference.
func TestGoldenFilebeatConfigs(t *testing.T) {
	goldenDir(t, "testdata/filebeat", "*.yml", 8, convert.ConvertFilebeat)
}

// goldenDir converts the files of dir matching pattern (at least want of them) and compares
// the HCL and the report with their golden files; each converted agent must load, with the
// agent's own components, as `agent validate` loads it.
func goldenDir(t *testing.T, dir, pattern string, want int, conv func([]byte, convert.Options) (*convert.Result, error)) {
	setTestdataEnv(t, dir)
	files, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(files) < want {
		t.Fatalf("want %d configurations in %s, found %d", want, dir, len(files))
	}
	for _, file := range files {
		base := strings.TrimSuffix(file, filepath.Ext(file))
		t.Run(filepath.Base(base), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := conv(src, convert.Options{Source: filepath.Base(file), Components: components.Builtin()})
			if err != nil && !errors.Is(err, convert.ErrNothingToRun) {
				t.Fatalf("convert: %v", err)
			}
			var report bytes.Buffer
			res.Report(&report, filepath.Base(file))
			golden(t, base+".hcl", res.HCL)
			golden(t, base+".report", report.Bytes())
			for _, a := range res.Agents {
				if _, _, diags := config.Load(filepath.Base(base)+".hcl", res.HCL, a, components.Builtin()); diags.HasErrors() {
					t.Errorf("agent %q does not validate: %v\n%s", a, diags, res.HCL)
				}
			}
		})
	}
}

// setTestdataEnv sets the environment variables dir/env lists, which the converted files read
// with env("NAME").
func setTestdataEnv(t *testing.T, dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Fields(string(b)) {
		k, v, _ := strings.Cut(l, "=")
		t.Setenv(k, v)
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

// TestACustomAgentsConverterKnowsItsCustomTypes: the converter reads its tables from the
// component list it is given, so a custom agent that ports a Java interceptor as a Go one
// (with the Java class among its Flume aliases) converts Flume files using it, and one that
// has the script interceptor gets a script skeleton for the Java classes it does not know.
func TestACustomAgentsConverterKnowsItsCustomTypes(t *testing.T) {
	type routeConfig struct {
		Header string `hcl:"header,optional"`
	}
	ported := &flume.Mapping{
		Flume:    "custom routing interceptor",
		Aliases:  []string{"com.myUbuntu.flume.interceptor.CustomInterceptor$Builder"},
		Settings: []flume.Setting{flume.Map("header", flume.AsString, "headerName")},
	}
	route := interceptor.NewFactory("route", func() *routeConfig { return &routeConfig{} },
		func(*routeConfig, interceptor.Settings) (interceptor.Interceptor, error) { return nil, nil }, ported)
	script := interceptor.NewFactory("script", func() *routeConfig { return &routeConfig{} },
		func(*routeConfig, interceptor.Settings) (interceptor.Interceptor, error) { return nil, nil })
	src := []byte(`a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = i1 i2
a1.sources.r1.interceptors.i1.type = com.myUbuntu.flume.interceptor.CustomInterceptor$Builder
a1.sources.r1.interceptors.i1.headerName = type
a1.sources.r1.interceptors.i2.type = com.example.Masker$Builder
a1.sources.r1.interceptors.i2.fields = card,ssn
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
`)
	comps := components.Builtin()
	comps.Interceptors = append(comps.Interceptors, route, script)
	res, err := convert.Convert(src, convert.Options{Components: comps})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.HCL)
	for _, want := range []string{
		"interceptor \"route\" {\n      header = \"type\"\n    }",
		`#     // com.example.Masker$Builder, ported:`,
		`#   params = { fields = "card,ssn" }`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HCL lacks %q:\n%s", want, out)
		}
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0].Reason, "script interceptor skeleton") {
		t.Errorf("notes = %v, want one about the Masker class", res.Notes)
	}
	// The same file for the built-in list: the ported class is a Java class again.
	res, err = convert.Convert(src, convert.Options{Components: components.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) != 2 {
		t.Errorf("notes = %v, want both classes reported", res.Notes)
	}
}
