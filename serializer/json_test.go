package serializer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/testkit"
)

func TestJSONDocuments(t *testing.T) {
	tests := []struct {
		name     string
		cfg      string
		headers  map[string]string
		body     string
		want     string
		counters map[string]int64
	}{
		{name: "headers and body", headers: map[string]string{"host": "web1", "b": "2"}, body: "hello",
			want: `{"message":"hello","b":"2","host":"web1"}`},
		{name: "escaping as Filebeat", body: "q\"b\\t\tn\nc\x01\x7f é✓😀 bad\xff\xfe\xe2\x9c end",
			want: `{"message":"q\"b\\t\tn\nc\u0001` + "\x7f é✓😀" + ` bad\ufffd\ufffd\ufffd\ufffd end"}`},
		{name: "dotted names nest", headers: map[string]string{"log.file.path": "/a", "log.offset": "7", "x": "1"},
			want: `{"message":"","log":{"file":{"path":"/a"},"offset":"7"},"x":"1"}`},
		{name: "a value and an object of one name: the deeper name is written flat", headers: map[string]string{"a": "x", "a.b": "y", "a.c.d": "z"},
			want: `{"message":"","a":"x","a.b":"y","a.c.d":"z"}`, counters: map[string]int64{"SerializerKeyConflictCount": 2}},
		{name: "nested clash", headers: map[string]string{"a.b": "1", "a.b.c": "2", "a.d": "3"},
			want: `{"message":"","a":{"b":"1","b.c":"2","d":"3"}}`, counters: map[string]int64{"SerializerKeyConflictCount": 1}},
		{name: "a header named like the body keeps the body", headers: map[string]string{"message": "h"}, body: "b",
			want: `{"message":"b"}`, counters: map[string]int64{"SerializerKeyConflictCount": 1}},
		{name: "odd dots are names", headers: map[string]string{".a": "1", "b.": "2", "c..d": "3"},
			want: `{"message":"",".a":"1","b.":"2","c":{".d":"3"}}`},
		{name: "nest_dotted off", cfg: `nest_dotted = false`, headers: map[string]string{"log.offset": "7"},
			want: `{"message":"","log.offset":"7"}`},
		{name: "types", cfg: `types = { n = "number", f = "number", bad = "number", b = "boolean", j = "json", l = "list", oops = "json" }`,
			headers:  map[string]string{"n": " 42 ", "f": "-1.5e3", "bad": "007", "b": "TRUE", "j": `{"k":[1,"x"]}`, "l": "a, b,,c", "oops": "{nope"},
			want:     `{"message":"","b":true,"bad":"007","f":-1.5e3,"j":{"k":[1,"x"]},"l":["a","b","c"],"n":42,"oops":"{nope"}`,
			counters: map[string]int64{"SerializerTypeFallbackCount": 2}},
		{name: "include and exclude", cfg: `include_headers = ["log.*", "host"]` + "\n" + `exclude_headers = ["log.offset"]`,
			headers: map[string]string{"log.file.path": "/a", "log.offset": "1", "host": "h", "topic": "t"},
			want:    `{"message":"","host":"h","log":{"file":{"path":"/a"}}}`},
		{name: "headers under a key", cfg: `headers_key = "meta"`, headers: map[string]string{"a": "1"}, body: "x",
			want: `{"message":"x","meta":{"a":"1"}}`},
		{name: "body key", cfg: `body_key = "event.original"`, body: "x", want: `{"event":{"original":"x"}}`},
		{name: "timestamp key", cfg: `timestamp_key = "@timestamp"`, headers: map[string]string{"timestamp": "1796154395526"},
			want: `{"@timestamp":"2026-12-01T19:46:35.526Z","message":""}`},
		{name: "timestamp that is not a number stays a field", cfg: `timestamp_key = "t"`, headers: map[string]string{"timestamp": "soon"},
			want: `{"t":"NOW","message":"","timestamp":"soon"}`, counters: map[string]int64{"SerializerTypeFallbackCount": 1}},
		{name: "body json embedded", cfg: `body = "json"`, body: ` {"a":1,"b":{"c":[true,null,"\u00e9"]}} `,
			want: `{"message":{"a":1,"b":{"c":[true,null,"é"]}}}`},
		{name: "body json that is not JSON", cfg: `body = "json"`, body: `{"a":1} trailing`,
			want: `{"message":"{\"a\":1} trailing"}`, counters: map[string]int64{"SerializerBodyNotJSONCount": 1}},
		{name: "body json duplicate names keep the last", cfg: `body = "json"`, body: `{"a":1,"b":2,"a":{"x":1},"c":{"d":1,"d":2}}`,
			want: `{"message":{"b":2,"a":{"x":1},"c":{"d":2}}}`, counters: map[string]int64{"SerializerDuplicateKeyCount": 2}},
		{name: "lone surrogates become U+FFFD", cfg: `body = "json"`, body: `["\ud800","\udc00x","\ud83d\ude00","\ud800\u0041"]`,
			want: `{"message":["` + "\ufffd" + `","` + "\ufffdx" + `","😀","` + "\ufffdA" + `"]}`},
		{name: "too deep", cfg: `body = "json"` + "\nmax_depth = 3", body: `{"a":{"b":{"c":{}}}}`,
			want: `{"message":"{\"a\":{\"b\":{\"c\":{}}}}"}`, counters: map[string]int64{"SerializerBodyNotJSONCount": 1}},
		{name: "merged at the root", cfg: `body = "json"` + "\nbody_under_root = true", headers: map[string]string{"log.offset": "0", "host": "h"},
			body: `{"log":{"level":"info"},"host":"body","n":42}`,
			want: `{"host":"h","log":{"offset":"0","level":"info"},"n":42}`, counters: map[string]int64{"SerializerKeyConflictCount": 1}},
		{name: "merged with overwrite_keys", cfg: `body = "json"` + "\nbody_under_root = true\noverwrite_keys = true\ntimestamp_key = \"@timestamp\"",
			headers: map[string]string{"host": "h", "timestamp": "0"}, body: `{"host":"body","@timestamp":"theirs"}`,
			want: `{"host":"body","@timestamp":"theirs"}`, counters: map[string]int64{"SerializerKeyConflictCount": 1}},
		{name: "merge of a body that is not an object", cfg: `body = "json"` + "\nbody_under_root = true", body: `[1]`,
			want: `{"message":"[1]"}`, counters: map[string]int64{"SerializerBodyNotJSONCount": 1}},
		{name: "body chosen per event", cfg: `body_header = "body_type"` + "\nbody_under_root = true", headers: map[string]string{"body_type": "json"},
			body: `{"a":1}`, want: `{"a":1}`},
		{name: "body chosen per event: string", cfg: `body = "json"` + "\nbody_header = \"body_type\"", headers: map[string]string{"body_type": "string"},
			body: `{"a":1}`, want: `{"message":"{\"a\":1}"}`},
		{name: "body chosen per event: unknown", cfg: `body_header = "body_type"`, headers: map[string]string{"body_type": "xml"},
			body: `<a/>`, want: `{"message":"<a/>"}`, counters: map[string]int64{"SerializerTypeFallbackCount": 1}},
		{name: "add_error_key", cfg: "body = \"json\"\nadd_error_key = true", body: `{"a":`,
			want:     `{"message":"{\"a\":","error":{"message":"Error decoding JSON: invalid JSON at byte 5","type":"json"}}`,
			counters: map[string]int64{"SerializerBodyNotJSONCount": 1}},
		{name: "add_error_key merging", cfg: "body = \"json\"\nbody_under_root = true\nadd_error_key = true", body: `"str"`,
			want:     `{"message":"\"str\"","error":{"message":"Error decoding JSON: not an object, which body_under_root merges","type":"json"}}`,
			counters: map[string]int64{"SerializerBodyNotJSONCount": 1}},
		{name: "flume preset", cfg: `preset = "flume"`, headers: map[string]string{"log.offset": "7", "h": "v"}, body: "x",
			want: `{"body":"x","headers":{"h":"v","log.offset":"7"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, m := build(t, JSON, tt.cfg)
			got := record(t, s, tt.headers, tt.body)
			if !json.Valid([]byte(got)) {
				t.Fatalf("invalid JSON: %s", got)
			}
			want := tt.want
			if strings.Contains(want, "NOW") {
				got = got[:6] + "NOW" + got[6+24:]
			}
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			names := []string{"SerializerKeyConflictCount", "SerializerTypeFallbackCount", "SerializerBodyNotJSONCount", "SerializerDuplicateKeyCount"}
			for _, name := range names {
				if n := testkit.Counter(m, name); n != tt.counters[name] {
					t.Errorf("%s = %d, want %d", name, n, tt.counters[name])
				}
			}
			// The same document and counts a second time (from the compiled document of the
			// header names, where there is one), and built as a tree.
			ev := eventOf(tt.headers, []byte(tt.body)).e
			js := s.(*jsonSer)
			again, _ := js.AppendRecord(nil, &ev)
			tree := js.build(nil, &ev, nil)
			for _, doc := range []string{string(again), string(tree)} {
				if strings.Contains(want, "NOW") {
					doc = doc[:6] + "NOW" + doc[6+24:]
				}
				if doc != want {
					t.Errorf("written again: %s\nwant %s", doc, want)
				}
			}
			for _, name := range names {
				if n := testkit.Counter(m, name); n != 2*tt.counters[name] {
					t.Errorf("%s = %d after two, want %d", name, n, 2*tt.counters[name])
				}
			}
		})
	}
}

func TestFilebeatPreset(t *testing.T) {
	s, _ := build(t, JSON, `preset = "filebeat"
name = "web1"
agent_id = "fdb38320-793f-4d6d-97f7-646d58881b11"`)
	host, _ := os.Hostname()
	got := record(t, s, map[string]string{"timestamp": "1796154395526", "log.file.path": "/data/in/java.log", "log.offset": "0",
		"log.flags": "multiline", "service": "billing", "fields.env": "prod", "tags": "web,edge"}, "boom\n\tat x")
	want := `{"@timestamp":"2026-12-01T19:46:35.526Z","@metadata":{"beat":"filebeat","type":"_doc","version":"7.17.29"},` +
		`"message":"boom\n\tat x","fields":{"env":"prod"},"log":{"file":{"path":"/data/in/java.log"},"flags":["multiline"],"offset":0},` +
		`"service":"billing","tags":["web","edge"],` +
		`"agent":{"type":"filebeat","version":"7.17.29","hostname":"` + host + `","name":"web1","id":"fdb38320-793f-4d6d-97f7-646d58881b11","ephemeral_id":"` + ephemeralID() + `"},` +
		`"ecs":{"version":"1.12.0"},"host":{"name":"web1"},"input":{"type":"log"}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	// A header of the preset's own fields wins; one merged into a preset object joins it.
	got = record(t, s, map[string]string{"input.type": "filestream", "host.name": "pod-1", "agent.extra": "x"}, "m")
	var doc map[string]any
	if err := json.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["input"].(map[string]any)["type"] != "filestream" || doc["host"].(map[string]any)["name"] != "pod-1" ||
		doc["agent"].(map[string]any)["extra"] != "x" || doc["agent"].(map[string]any)["type"] != "filebeat" {
		t.Errorf("headers over the preset's fields: %s", got)
	}
	if ts, err := time.Parse("2006-01-02T15:04:05.000Z", doc["@timestamp"].(string)); err != nil || time.Since(ts) > time.Minute {
		t.Errorf("@timestamp without a timestamp header is %v (%v), want now", doc["@timestamp"], err)
	}
}

func TestFilebeatPresetSettings(t *testing.T) {
	s, _ := build(t, JSON, `preset = "filebeat"
beat = "mybeat"
beat_version = "8.0.0"
document_type = "doc"
ecs_version = "8.0.0"
agent_id = "x"
body = "json"
body_under_root = true`)
	got := record(t, s, nil, `{"message":"from the body","agent":{"type":"theirs","v":1}}`)
	var doc struct {
		Metadata map[string]string `json:"@metadata"`
		Agent    map[string]any
		ECS      map[string]string
		Message  string
	}
	if err := json.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Metadata["beat"] != "mybeat" || doc.Metadata["type"] != "doc" || doc.Metadata["version"] != "8.0.0" ||
		doc.Agent["type"] != "mybeat" || doc.Agent["v"] != 1.0 || doc.ECS["version"] != "8.0.0" || doc.Message != "from the body" {
		t.Errorf("%s", got)
	}
}

func TestAgentIDIsKeptInTheDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	a, err := agentID(dir)
	if err != nil || !uuidPattern.MatchString(a) {
		t.Fatalf("agentID = %q, %v", a, err)
	}
	b, err := agentID(dir)
	if err != nil || b != a {
		t.Errorf("second agentID = %q, %v; want %q again", b, err, a)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, agentIDFile)); strings.TrimSpace(string(got)) != a {
		t.Errorf("%s holds %q", agentIDFile, got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want agent.id alone", len(entries))
	}
	if err := os.WriteFile(filepath.Join(dir, agentIDFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := agentID(dir); err == nil || !strings.Contains(err.Error(), "not a UUID") {
		t.Errorf("corrupt agent.id: %v", err)
	}
	if _, err := agentID(""); err == nil || !strings.Contains(err.Error(), "data_dir") {
		t.Errorf("no data dir: %v", err)
	}
}

func TestJSONConfigDiagnostics(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{`preset = "logstash"`, []string{`1: preset: unknown preset "logstash"`}},
		{`body = "xml"`, []string{`1: body: must be "string" or "json"`}},
		{`body_under_root = true`, []string{`1: body_under_root: merges a JSON body`}},
		{`types = { a = "int" }`, []string{`1: types: header "a": unknown type "int"`}},
		{`include_headers = ["[a"]`, []string{`1: include_headers: bad pattern "[a"`}},
		{`name = "x"`, []string{`1: name: is a setting of the filebeat preset`}},
		{"preset = \"flume\"\nbody = \"json\"", []string{`2: body: the flume preset writes the body as a string`}},
		{`max_depth = 0`, []string{`1: max_depth: must be 1 to 10000`}},
		{`overwrite_keys = true`, []string{`1: overwrite_keys: applies to a body merged at the root`}},
		{`body_key = ""`, []string{`1: body_key: must not be empty`}},
		{`add_error_key = true`, []string{`1: add_error_key: reports bodies that are not JSON`}},
		{`bodykey = "x"`, []string{`1: Unsupported argument`}},
	}
	for _, tt := range tests {
		_, got := decodeSnippet(t, JSON, tt.body)
		matchDiagnostics(t, got, tt.want)
	}
}

// TestLargeAndHostileBodies writes 1 MiB bodies that would take a quadratic merge or dedupe, or
// a recursion without bound, minutes or a crash: each is written in linear time as a valid
// document.
func TestLargeAndHostileBodies(t *testing.T) {
	many := func(n int, key func(i int) string) string {
		var b strings.Builder
		b.WriteByte('{')
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:%d", key(i), i)
		}
		b.WriteByte('}')
		return b.String()
	}
	tests := []struct {
		name, body string
		check      func(t *testing.T, doc map[string]any)
	}{
		{"100k names merged", many(100_000, func(i int) string { return fmt.Sprintf("k%d", i) }), func(t *testing.T, doc map[string]any) {
			if len(doc) < 100_000 || doc["k99999"] != 99999.0 {
				t.Errorf("%d names", len(doc))
			}
		}},
		{"100k duplicates", many(100_000, func(i int) string { return fmt.Sprintf("k%d", i%10) }), func(t *testing.T, doc map[string]any) {
			if doc["k9"] != 99999.0 {
				t.Errorf("k9 = %v, want the last value", doc["k9"])
			}
		}},
		{"nested a million deep", strings.Repeat("[", 1<<20) + strings.Repeat("]", 1<<20), func(t *testing.T, doc map[string]any) {
			if m, _ := doc["message"].(string); len(m) != 2<<20 {
				t.Errorf("message of %d bytes, want the body as a string", len(m))
			}
		}},
		{"a 1 MiB string", `{"s":"` + strings.Repeat("é\\n\\u00e9", 1<<17) + `"}`, func(t *testing.T, doc map[string]any) {
			if s, _ := doc["s"].(string); len(s) != 5<<17 {
				t.Errorf("s of %d bytes", len(s))
			}
		}},
	}
	s, _ := build(t, JSON, "body = \"json\"\nbody_under_root = true")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := record(t, s, map[string]string{"host": "h"}, tt.body)
			var doc map[string]any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("invalid JSON: %v", err)
			}
			tt.check(t, doc)
		})
	}
}
