package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/flumego/flumego/internal/kafkatest"
	"github.com/flumego/flumego/internal/testkit"
)

// goldenDir holds real Filebeat 7.17.29 output for the files in its in/ (see its README).
const goldenDir = "../../../shared/filebeat"

var (
	uuidShape      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	timestampShape = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

// normalized returns a document as canonical JSON (keys sorted, numbers as written) with what
// differs between two installs and runs replaced: @timestamp and the agent's UUIDs (after
// checking their shape), the directory of log.file.path, the host name. ids collects the UUIDs.
func normalized(t *testing.T, line []byte, inDir, hostname string, ids map[string]map[string]bool) string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil || d.More() {
		t.Fatalf("not one JSON document: %s (%v)", line, err)
	}
	if ts, _ := doc["@timestamp"].(string); !timestampShape.MatchString(ts) {
		t.Errorf("@timestamp %q is not UTC with milliseconds: %s", ts, line)
	}
	doc["@timestamp"] = "TIME"
	agent, _ := doc["agent"].(map[string]any)
	for _, k := range []string{"id", "ephemeral_id"} {
		id, _ := agent[k].(string)
		if !uuidShape.MatchString(id) {
			t.Errorf("agent.%s %q is not a random UUID: %s", k, id, line)
		}
		if ids[k] == nil {
			ids[k] = map[string]bool{}
		}
		ids[k][id] = true
		agent[k] = "UUID"
	}
	if agent["hostname"] == hostname {
		agent["hostname"] = "HOST"
	}
	if lg, ok := doc["log"].(map[string]any); ok {
		if f, ok := lg["file"].(map[string]any); ok {
			if p, _ := f["path"].(string); strings.HasPrefix(p, inDir+"/") {
				f["path"] = "IN/" + strings.TrimPrefix(p, inDir+"/")
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// matchGolden checks that docs are the golden documents, one for one.
func matchGolden(t *testing.T, what string, docs, golden []string) {
	t.Helper()
	slices.Sort(docs)
	slices.Sort(golden)
	for len(docs) > 0 || len(golden) > 0 {
		switch {
		case len(golden) == 0 || len(docs) > 0 && docs[0] < golden[0]:
			t.Errorf("%s: a document Filebeat does not write:\n%s", what, docs[0])
			docs = docs[1:]
		case len(docs) == 0 || golden[0] < docs[0]:
			t.Errorf("%s: Filebeat's document is missing:\n%s", what, golden[0])
			golden = golden[1:]
		default:
			docs, golden = docs[1:], golden[1:]
		}
	}
}

// TestFilebeatGoldenDocuments runs Filebeat's golden inputs through the agent on the example
// that spells out their filebeat.yml (taildir → memory → file_roll and kafka, serializer json
// with preset filebeat), and compares every document with what Filebeat 7.17.29 wrote: those
// in the file, and those in the topic as librdkafka's kcat reads them, with the record time
// the document's @timestamp.
func TestFilebeatGoldenDocuments(t *testing.T) {
	goldenLines, err := os.ReadFile(filepath.Join(goldenDir, "events-7.17.29.ndjson"))
	if err != nil {
		t.Skipf("no golden Filebeat output beside the repository: %v", err)
	}
	hostname, _ := os.Hostname()
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
	var golden []string
	goldenIDs := map[string]map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(goldenLines), []byte("\n")) {
		// The capture ran on a host named "vm" with the inputs in /data/in.
		golden = append(golden, normalized(t, line, "/data/in", "vm", goldenIDs))
	}

	cluster := kafkatest.Start(t, 1, kfake.SeedTopics(1, "filebeat"))
	out := filepath.Join(dir, "out")
	p := startAgent(t, example("filebeat-inputs.hcl"), map[string]string{
		"FLUMEGO_DATA": filepath.Join(dir, "data"), "FLUMEGO_IN": in, "FLUMEGO_OUT": out,
		"FLUMEGO_KAFKA_BROKERS": kafkatest.Addrs(cluster), "FLUMEGO_KAFKA_TOPIC": "filebeat",
	})
	var lines [][]byte
	waitFor(t, 30*time.Second, "the golden number of documents in the file", func() bool {
		files, _ := filepath.Glob(filepath.Join(out, "*"))
		lines = nil
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
	ids := map[string]map[string]bool{}
	var docs []string
	for _, l := range lines {
		docs = append(docs, normalized(t, l, in, hostname, ids))
	}
	matchGolden(t, "file_roll", docs, golden)
	id, _ := os.ReadFile(filepath.Join(dir, "data", "agent.id"))
	if len(ids["id"]) != 1 || !ids["id"][strings.TrimSpace(string(id))] || len(ids["ephemeral_id"]) != 1 {
		t.Errorf("agent ids %v, want one agent.id (the one in data_dir/agent.id, %q) and one ephemeral_id", ids, id)
	}
	for _, c := range []string{"body_not_json", "type_fallback", "key_conflict", "duplicate_key"} {
		if n := p.metric(t, `flumego_sink_serializer_`+c+`_total{agent="a1",component="file",type="file_roll"}`); n != 0 {
			t.Errorf("serializer counter %s = %v, want 0", c, n)
		}
	}
	resp, err := http.Get("http://" + p.metrics + "/status.json")
	if err != nil {
		t.Fatal(err)
	}
	var status struct {
		Components []struct {
			Name   string
			Values map[string]int64
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&status)
	resp.Body.Close()
	shown := false
	for _, c := range status.Components {
		_, ok := c.Values["SerializerBodyNotJSONCount"]
		shown = shown || c.Name == "kafka" && ok
	}
	if err != nil || !shown {
		t.Errorf("/status.json does not show the kafka sink's serializer counters (%v)", err)
	}

	kcat := kafkatest.Kcat(t)
	waitFor(t, 30*time.Second, "the documents in the topic", func() bool { return kafkatest.Count(t, cluster, "filebeat") >= int64(len(golden)) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-C", "-b", kafkatest.Addrs(cluster), "-t", "filebeat", "-o", "beginning",
		"-c", strconv.Itoa(len(golden)), "-e", "-q", "-f", "%T %s\n")
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat: %v", err)
	}
	docs = docs[:0]
	sc := bufio.NewScanner(bytes.NewReader(got))
	for sc.Scan() {
		ts, value, _ := strings.Cut(sc.Text(), " ")
		var doc struct {
			Timestamp time.Time `json:"@timestamp"`
		}
		if err := json.Unmarshal([]byte(value), &doc); err != nil {
			t.Fatalf("kcat read a value that is not JSON: %q", value)
		}
		if ms, _ := strconv.ParseInt(ts, 10, 64); ms != doc.Timestamp.UnixMilli() {
			t.Errorf("record time %s, want the document's @timestamp %v", ts, doc.Timestamp)
		}
		docs = append(docs, normalized(t, []byte(value), in, hostname, map[string]map[string]bool{}))
	}
	matchGolden(t, "kafka", docs, golden)
}

// TestFormatSerializerThroughFileRoll sends lines to netcat and finds each in the file_roll
// file laid out as the format serializer's template says.
func TestFormatSerializerThroughFileRoll(t *testing.T) {
	out := t.TempDir()
	port := testkit.FreePort(t)
	startAgent(t, example("netcat-format-file.hcl"), map[string]string{
		"FLUMEGO_PORT": strconv.Itoa(port), "FLUMEGO_OUT": out, "FLUMEGO_HOST": "edge-7",
	})
	sent := []string{"first line", `with "quotes" and \ and é`, "third"}
	before := time.Now().UTC().Truncate(time.Second)
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), sent, true)
	var got []string
	waitFor(t, 20*time.Second, "the formatted lines", func() bool {
		files, _ := filepath.Glob(filepath.Join(out, "*"))
		got = nil
		for _, f := range files {
			b, _ := os.ReadFile(f)
			got = append(got, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
		}
		return len(got) >= len(sent)
	})
	for i, line := range got {
		stamp, rest, _ := strings.Cut(line, " ")
		at, err := time.Parse("2006-01-02T15:04:05", stamp)
		if err != nil || at.Before(before) || at.After(time.Now().UTC()) || rest != "edge-7 "+sent[i] {
			t.Errorf("line %d = %q, want \"<now> edge-7 %s\"", i, line, sent[i])
		}
	}
}

// TestFilebeatKafkaExample runs the Filebeat → Kafka example: each input's events reach the
// topic its fields.log_topic names, as Filebeat documents with a joined stack trace flagged
// multiline and the nginx input's tags.
func TestFilebeatKafkaExample(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	appLog, nginxLog := filepath.Join(dir, "app", "app.log"), filepath.Join(dir, "access.log")
	// The last line waits for a line after it (or the multiline timeout): not checked here.
	app := "2026-12-01 10:00:00 ERROR boom\njava.lang.IllegalStateException: boom\n\tat com.example.Foo.bar(Foo.java:10)\n" +
		"2026-12-01 10:00:01 INFO next\n2026-12-01 10:00:02 INFO pending\n"
	access := `10.0.0.1 - - [01/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 612` + "\n"
	if err := os.WriteFile(appLog, []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(nginxLog, []byte(access), 0o644); err != nil {
		t.Fatal(err)
	}
	cluster := kafkatest.Start(t, 1, kfake.SeedTopics(1, "app-logs", "nginx-access"))
	startAgent(t, example("filebeat-kafka.hcl"), map[string]string{
		"FLUMEGO_DATA": filepath.Join(dir, "data"), "FLUMEGO_APP_LOGS": filepath.Join(dir, "app", "*.log"), "FLUMEGO_NGINX_LOG": nginxLog,
		"FLUMEGO_KAFKA_BROKERS": kafkatest.Addrs(cluster),
	})
	type doc struct {
		Message string
		Fields  map[string]string
		Tags    []string
		Log     struct {
			Flags  []string
			Offset *int64
			File   struct{ Path string }
		}
		Host struct{ Name string }
	}
	read := func(topic string, n int) []doc {
		var docs []doc
		for _, r := range kafkatest.ReadN(t, []string{kafkatest.Addrs(cluster)}, topic, n, 30*time.Second) {
			var d doc
			if err := json.Unmarshal(r.Value, &d); err != nil {
				t.Fatalf("%s: a record that is not JSON: %q", topic, r.Value)
			}
			docs = append(docs, d)
		}
		return docs
	}
	appDocs := read("app-logs", 2)
	hostname, _ := os.Hostname()
	if d := appDocs[0]; !strings.HasPrefix(d.Message, "2026-12-01 10:00:00 ERROR boom\njava.lang") || !slices.Equal(d.Log.Flags, []string{"multiline"}) ||
		d.Log.Offset == nil || *d.Log.Offset != 0 || d.Fields["env"] != "prod" || d.Host.Name != hostname {
		t.Errorf("the stack trace's document: %+v", d)
	}
	if d := appDocs[1]; d.Message != "2026-12-01 10:00:01 INFO next" || d.Log.Flags != nil || d.Log.Offset == nil || *d.Log.Offset != int64(strings.Index(app, "2026-12-01 10:00:01")) {
		t.Errorf("the next line's document: %+v", d)
	}
	nginx := read("nginx-access", 1)[0]
	if nginx.Message != strings.TrimSuffix(access, "\n") || !slices.Equal(nginx.Tags, []string{"nginx"}) || nginx.Fields["log_topic"] != "nginx-access" || nginx.Log.File.Path != nginxLog {
		t.Errorf("the access log's document: %+v", nginx)
	}
}
