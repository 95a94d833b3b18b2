package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/testkit"
)

// convertTestdata is the converter's testdata: the Flume configurations from the field and
// their golden conversions and reports.
var convertTestdata = filepath.Join("..", "..", "config", "convert", "testdata")

// runAgent runs the agent binary in dir with args and returns stdout, stderr and the exit code.
func runAgent(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(agentBin, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	default:
		t.Fatalf("agent %v: %v", args, err)
		return "", "", -1
	}
}

// TestConvertEveryFieldConfigurationThenValidate is the migration check: each Flume
// configuration of the converter's testdata (from the field, and one per class of file that
// used to convert wrong) converts through the real binary (stdout and stderr equal to the golden
// HCL and report), and `agent validate` accepts the result.
func TestConvertEveryFieldConfigurationThenValidate(t *testing.T) {
	convertEveryFileThenValidate(t, convertTestdata, "*.conf", 23)
}

// TestConvertEveryFilebeatConfigurationThenValidate does the same for the Filebeat
// configurations: the shared filebeat.yml and one per group of Filebeat's settings.
func TestConvertEveryFilebeatConfigurationThenValidate(t *testing.T) {
	convertEveryFileThenValidate(t, filepath.Join(convertTestdata, "filebeat"), "*.yml", 8)
}

func convertEveryFileThenValidate(t *testing.T, testdata, pattern string, want int) {
	dir, err := filepath.Abs(testdata)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(files) < want {
		t.Fatalf("want %d configurations in %s, found %d", want, dir, len(files))
	}
	// The converted files read these with env("NAME").
	env, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Fields(string(env)) {
		k, v, _ := strings.Cut(l, "=")
		t.Setenv(k, v)
	}
	for _, file := range files {
		name := filepath.Base(file)
		base := strings.TrimSuffix(file, filepath.Ext(file))
		t.Run(strings.TrimSuffix(name, filepath.Ext(name)), func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runAgent(t, dir, "convert", name)
			wantHCL, _ := os.ReadFile(base + ".hcl")
			wantReport, _ := os.ReadFile(base + ".report")
			if stdout != string(wantHCL) {
				t.Errorf("stdout differs from the golden HCL:\n%s", stdout)
			}
			if !strings.HasPrefix(stderr, string(wantReport)) {
				t.Errorf("stderr differs from the golden report:\n%s\nwant:\n%s", stderr, wantReport)
			}
			if code != 0 {
				if code != 2 || !strings.Contains(stderr, "no agent has a source or sink left to run") {
					t.Fatalf("agent convert %s: exit %d\n%s", name, code, stderr)
				}
				return // nothing to run: the golden HCL is comments only
			}
			hclFile := filepath.Join(t.TempDir(), "flume.hcl")
			if err := os.WriteFile(hclFile, []byte(stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			out, verr, code := runAgent(t, ".", "validate", "-f", hclFile)
			if code != 0 || !strings.Contains(out, "is valid") {
				t.Fatalf("agent validate of the converted %s: exit %d\n%s%s\n%s", name, code, out, verr, stdout)
			}
		})
	}
}

func TestConvertCommandLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	two := write("two.conf", "a1.sources = r1\na1.sources.r1.type = seq\na1.sources.r1.channels = c1\na1.channels = c1\na1.channels.c1.type = memory\n"+
		"a2.sources = r1\na2.sources.r1.type = seq\na2.sources.r1.channels = c1\na2.channels = c1\na2.channels.c1.type = memory\n")
	none := write("none.conf", "# nothing here\nfoo = bar\n")
	fbText := write("beat.txt", "filebeat.inputs:\n  - type: log\n    paths: [/var/log/x.log]\noutput.file:\n  path: /tmp/out\n")
	badYAML := write("bad.yml", "filebeat.inputs:\n  - type: log\n   paths: [oops\n")
	logstash := write("ls.yml", "filebeat.inputs:\n  - type: stdin\noutput.logstash:\n  hosts: [ls:5044]\n")
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		unwanted []string
		stderr   string
	}{
		{"every agent", []string{"convert", two}, 0, []string{`agent "a1"`, `agent "a2"`}, nil, `converted agent "a1", "a2"`},
		{"-n after the file", []string{"convert", two, "-n", "a2"}, 0, []string{`agent "a2"`}, []string{`agent "a1"`}, `converted agent "a2"`},
		{"-n before the file", []string{"convert", "-n", "a1", two}, 0, []string{`agent "a1"`}, []string{`agent "a2"`}, `converted agent "a1"`},
		{"-f", []string{"convert", "-f", two, "-n", "a1"}, 0, []string{`agent "a1"`}, nil, ""},
		{"an agent the file lacks", []string{"convert", two, "-n", "a9"}, 2, nil, nil, `no agent "a9" (the file has: a1, a2)`},
		{"no agent at all", []string{"convert", none}, 2, nil, nil, "no Flume agent found"},
		{"a file that does not exist", []string{"convert", filepath.Join(dir, "missing.conf")}, 2, nil, nil, "no such file"},
		{"no file", []string{"convert"}, 2, nil, nil, "give exactly one Flume or Filebeat configuration file"},
		{"a Filebeat configuration by its content", []string{"convert", fbText}, 0, []string{`source "taildir" "log_1"`, `sink "file_roll" "file"`}, nil, `converted Filebeat configuration "filebeat"`},
		{"a Filebeat configuration that is not YAML", []string{"convert", badYAML}, 2, nil, nil, "bad.yml: not a Filebeat configuration: yaml: line "},
		{"a Filebeat configuration with nothing to run", []string{"convert", logstash}, 2, []string{`# agent "filebeat" {`}, nil, "output.logstash: not carried over"},
		{"-n with a Filebeat configuration", []string{"convert", fbText, "-n", "a1"}, 2, nil, nil, "a Filebeat configuration is one agent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runAgent(t, dir, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, stderr)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, u := range tc.unwanted {
				if strings.Contains(stdout, u) {
					t.Errorf("stdout has %q:\n%s", u, stdout)
				}
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr)
			}
		})
	}
}

// TestConvertedCustomInterceptorFlowRunsOnceTheSkeletonIsFilledIn follows the migration path
// the converter documents for a custom Java interceptor with a multiplexing selector: the
// converted file validates (warning that nothing is routed yet), the operator fills in the
// regex_header skeleton the converter wrote, and the agent then routes every line as the Java
// interceptor did — "myUbuntu" lines to one channel, the others to the second.
func TestConvertedCustomInterceptorFlowRunsOnceTheSkeletonIsFilledIn(t *testing.T) {
	dir := t.TempDir()
	out1, out2 := filepath.Join(dir, "first"), filepath.Join(dir, "second")
	flume := `a1.sources = r1
a1.sinks = k1 k2
a1.channels = c1 c2
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${env:NC_PORT}
a1.sources.r1.interceptors = i1
a1.sources.r1.interceptors.i1.type = com.myUbuntu.flume.interceptor.CustomInterceptor$Builder
a1.sources.r1.selector.type = multiplexing
a1.sources.r1.selector.header = type
a1.sources.r1.selector.mapping.first = c1
a1.sources.r1.selector.mapping.second = c2
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = ${env:OUT1}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k2.type = file_roll
a1.sinks.k2.sink.directory = ${env:OUT2}
a1.sinks.k2.sink.rollInterval = 0
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.sources.r1.channels = c1 c2
a1.sinks.k1.channel = c1
a1.sinks.k2.channel = c2
`
	conf := filepath.Join(dir, "flume.conf")
	if err := os.WriteFile(conf, []byte(flume), 0o644); err != nil {
		t.Fatal(err)
	}
	converted, report, code := runAgent(t, dir, "convert", conf)
	if code != 0 || !strings.Contains(report, "interceptors.i1.type: not carried over") {
		t.Fatalf("convert: exit %d\n%s", code, report)
	}
	port := testkit.FreePort(t)
	env := []string{"NC_PORT=" + strconv.Itoa(port), "OUT1=" + out1, "OUT2=" + out2}
	hclFile := filepath.Join(dir, "flume.hcl")
	if err := os.WriteFile(hclFile, []byte(converted), 0o644); err != nil {
		t.Fatal(err)
	}
	validate := exec.Command(agentBin, "validate", "-f", hclFile)
	validate.Env = append(os.Environ(), env...)
	if out, err := validate.CombinedOutput(); err != nil || !strings.Contains(string(out), "no default channels") {
		t.Fatalf("validate the converted file: %v (want it valid, warning that nothing is routed yet)\n%s", err, out)
	}

	// The operator's part: uncomment the skeleton and write the two rules.
	lines := strings.Split(converted, "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasSuffix(l, `# interceptor "regex_header" {`) })
	if start < 0 {
		t.Fatalf("no regex_header skeleton in the converted file:\n%s", converted)
	}
	indent := strings.TrimSuffix(lines[start], `# interceptor "regex_header" {`)
	for i := start; i < len(lines); i++ {
		done := lines[i] == indent+"# }"
		lines[i] = strings.Replace(lines[i], indent+"# ", indent, 1)
		if done {
			break
		}
	}
	completed := strings.Join(lines, "\n")
	completed = strings.Replace(completed, `"REGEX FOR first"`, `"myUbuntu"`, 1)
	completed = strings.Replace(completed, `"REGEX FOR second"`, `""`, 1)
	if !regexp.MustCompile(`(?m)^\s+interceptor "regex_header" \{$`).MatchString(completed) {
		t.Fatalf("the skeleton was not found to fill in:\n%s", converted)
	}
	if err := os.WriteFile(hclFile, []byte(completed), 0o644); err != nil {
		t.Fatal(err)
	}
	envMap := map[string]string{"NC_PORT": strconv.Itoa(port), "OUT1": out1, "OUT2": out2}
	p := startAgent(t, hclFile, envMap)
	sendLines(t, "127.0.0.1:"+strconv.Itoa(port), []string{"hello myUbuntu 1", "plain 1", "myUbuntu again", "plain 2"}, true)
	waitFor(t, 20*time.Second, "both sinks to write their lines", func() bool {
		return len(dirLines(t, out1)) == 2 && len(dirLines(t, out2)) == 2
	})
	assertExactlyOnce(t, []string{"hello myUbuntu 1", "myUbuntu again"}, dirLines(t, out1))
	assertExactlyOnce(t, []string{"plain 1", "plain 2"}, dirLines(t, out2))
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("agent exit %d\n%s", code, p.out.String())
	}
}
