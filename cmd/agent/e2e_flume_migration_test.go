package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/avrorpc"
	"github.com/flumego/flumego/internal/kafkatest"
	"github.com/flumego/flumego/internal/testkit"
)

// TestFlumeAppendCountersOnTheAvroSource keeps dashboards carried over from Flume working: a
// single append call counts in Flume's AppendReceivedCount and AppendAcceptedCount, next to
// the batch counters.
func TestFlumeAppendCountersOnTheAvroSource(t *testing.T) {
	port := testkit.FreePort(t)
	out := filepath.Join(t.TempDir(), "out")
	p := startAgent(t, example("avro-collector.hcl"), map[string]string{"FLUMEGO_AVRO_PORT": fmt.Sprint(port), "FLUMEGO_OUT": out})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := avrorpc.Dial(ctx, avrorpc.ClientConfig{Addr: fmt.Sprintf("127.0.0.1:%d", port), RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		if err := c.Append(ctx, channel.Event{Body: fmt.Appendf(nil, "single %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.AppendBatch(ctx, []channel.Event{{Body: []byte("batched 0")}, {Body: []byte("batched 1")}}, 2, 1); err != nil {
		t.Fatal(err)
	}
	series := func(name string) string {
		return fmt.Sprintf(`flumego_source_%s_total{agent="collector",component="r1",type="avro"}`, name)
	}
	waitFor(t, 20*time.Second, "the append counters", func() bool {
		return p.metric(t, series("append_received")) == 3 && p.metric(t, series("append_accepted")) == 3 &&
			p.metric(t, series("event_accepted")) == 5
	})
	waitFor(t, 20*time.Second, "the collector to write the events", func() bool { return len(dirLines(t, out)) == 5 })
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// TestFlumeFilesGivenToTheAgentSayHowToConvertThem: a Flume properties file, or a Flume header
// escape left in an HCL string, is answered with what to do rather than HCL's parse error.
func TestFlumeFilesGivenToTheAgentSayHowToConvertThem(t *testing.T) {
	dir := t.TempDir()
	props := filepath.Join(dir, "flume.properties")
	hcl := filepath.Join(dir, "escape.hcl")
	if err := os.WriteFile(props, []byte("a1.sources = r1\na1.channels = c1\na1.sources.r1.type = netcat\na1.sources.r1.channels = c1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hcl, []byte("agent \"a1\" {\n  source \"seq\" \"r1\" { channels = [\"c1\"] }\n  channel \"memory\" \"c1\" {}\n  sink \"file_roll\" \"k1\" {\n    channel   = \"c1\"\n    directory = \"/tmp/%{host}\"\n  }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ args, want []string }{
		{[]string{"-f", props}, []string{"is an Apache Flume properties file", "agent convert " + props + " > flume.hcl"}},
		{[]string{"validate", "-f", props}, []string{"agent convert " + props}},
		{[]string{"validate", "-f", hcl}, []string{"escape.hcl:6:", "Flume's header escape %{NAME} is written %%{NAME}"}},
	} {
		_, stderr, code := runAgent(t, dir, tc.args...)
		if code != 2 {
			t.Errorf("agent %v: exit %d, want 2\n%s", tc.args, code, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("agent %v: stderr lacks %q:\n%s", tc.args, w, stderr)
			}
		}
	}
}

// TestConvertedFilebeatConfigurationWritesFilebeatsDocuments is the Filebeat migration end to
// end: the shared filebeat.yml (its /data paths moved into a temporary directory) converts
// through `agent convert`, validates, runs, and writes the documents Filebeat 7.17.29 wrote for
// the same files, one for one.
func TestConvertedFilebeatConfigurationWritesFilebeatsDocuments(t *testing.T) {
	goldenLines, err := os.ReadFile(filepath.Join(goldenDir, "events-7.17.29.ndjson"))
	if err != nil {
		t.Skipf("no golden Filebeat output beside the repository: %v", err)
	}
	yml, err := os.ReadFile(filepath.Join(goldenDir, "filebeat.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app.log", "java.log", "json.log"} {
		b, err := os.ReadFile(filepath.Join(goldenDir, "in", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "filebeat.yml")
	if err := os.WriteFile(conf, bytes.ReplaceAll(yml, []byte("/data/"), []byte(dir+"/")), 0o644); err != nil {
		t.Fatal(err)
	}
	converted, report, code := runAgent(t, dir, "convert", conf)
	if code != 0 {
		t.Fatalf("agent convert: exit %d\n%s", code, report)
	}
	hclFile := filepath.Join(dir, "flumego.hcl")
	if err := os.WriteFile(hclFile, []byte(converted), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, verr, code := runAgent(t, dir, "validate", "-f", hclFile); code != 0 {
		t.Fatalf("agent validate: exit %d\n%s%s\n%s", code, out, verr, converted)
	}
	var golden []string
	for _, line := range bytes.Split(bytes.TrimSpace(goldenLines), []byte("\n")) {
		golden = append(golden, normalized(t, line, "/data/in", "vm", map[string]map[string]bool{}))
	}
	p := startAgent(t, hclFile, nil)
	out := filepath.Join(dir, "out")
	var lines [][]byte
	waitFor(t, 30*time.Second, "Filebeat's number of documents", func() bool {
		lines = nil
		files, _ := filepath.Glob(filepath.Join(out, "*"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			for _, l := range bytes.Split(b, []byte("\n")) {
				if len(l) > 0 {
					lines = append(lines, l)
				}
			}
		}
		return len(lines) >= len(golden)
	})
	hostname, _ := os.Hostname()
	var docs []string
	for _, l := range lines {
		docs = append(docs, normalized(t, l, in, hostname, map[string]map[string]bool{}))
	}
	matchGolden(t, "converted filebeat.yml", docs, golden)
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// TestKafkaSinkSendsOnlyTheMappedRecordHeaders runs the converted Flume 1.11 header mapping:
// each record carries the mapped headers under their Kafka names, and nothing else.
func TestKafkaSinkSendsOnlyTheMappedRecordHeaders(t *testing.T) {
	cluster := kafkatest.Start(t, 1, kfake.SeedTopics(1, "weblogs"))
	port := testkit.FreePort(t)
	p := startAgent(t, example("netcat-kafka-record-headers.hcl"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_KAFKA_BROKERS": kafkatest.Addrs(cluster),
	})
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), []string{"GET /", "GET /about"}, true)
	recs := kafkatest.ReadN(t, cluster.ListenAddrs(), "weblogs", 2, 30*time.Second)
	for _, r := range recs {
		names := map[string]bool{}
		for _, h := range r.Headers {
			names[h.Key] = true
		}
		if len(r.Headers) != 2 || !names["origin-host"] || !names["event-time"] {
			t.Errorf("record %q has headers %v, want origin-host and event-time only", r.Value, r.Headers)
		}
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d", code)
	}
}
