package http_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/exampletest"
	httpsource "github.com/flumego/flumego/source/http"
)

func withHandler(name string) func(*httpsource.Config) {
	return func(c *httpsource.Config) { c.Handler = name }
}

func TestNDJSONLinesBecomeEventsWithTheirFieldsAsHeaders(t *testing.T) {
	addr, rec, _ := start(t, withHandler("ndjson"))
	body := `{"level":"info","message":"user logged in","user":{"id":42,"roles":["admin"]}}` + "\n" +
		"\n" + // blank lines are skipped
		`{"level":"error","message":"disk \"sda\" full","code":507}` + "\r\n" +
		`{"level":"debug","detail":"no message field"}` // the last line needs no newline
	code, msg := post(t, http.DefaultClient, "http://"+addr+"/", body)
	if code != 200 {
		t.Fatalf("status %d: %s", code, msg)
	}
	want := []channel.Event{
		{Headers: map[string]string{"level": "info", "user.id": "42", "user.roles": `["admin"]`}, Body: []byte("user logged in")},
		{Headers: map[string]string{"level": "error", "code": "507"}, Body: []byte(`disk "sda" full`)},
		{Headers: map[string]string{"level": "debug", "detail": "no message field"}, Body: []byte(`{"level":"debug","detail":"no message field"}`)},
	}
	if got := rec.Batches(); !reflect.DeepEqual(got, [][]channel.Event{want}) {
		t.Fatalf("put %q\nwant %q", got, want)
	}
}

func TestJSONHandlerTakesOneObject(t *testing.T) {
	addr, rec, _ := start(t, func(c *httpsource.Config) { c.Handler, c.MessageKey, c.MaxDepth = "json", "msg", 1 })
	code, msg := post(t, http.DefaultClient, "http://"+addr+"/", " {\"msg\":\"hello\",\"http\":{\"status\":200}}\n")
	if code != 200 {
		t.Fatalf("status %d: %s", code, msg)
	}
	want := []channel.Event{{Headers: map[string]string{"http": `{"status":200}`}, Body: []byte("hello")}}
	if got := rec.Batches(); !reflect.DeepEqual(got, [][]channel.Event{want}) {
		t.Fatalf("put %q, want %q", got, want)
	}
}

func TestJSONHandlersCountMaxDepthOnTheSource(t *testing.T) {
	addr, rec, m := start(t, func(c *httpsource.Config) { c.Handler, c.MaxDepth = "ndjson", 2 })
	code, msg := post(t, http.DefaultClient, "http://"+addr+"/", "{\"a\":{\"b\":{\"c\":1}}}\n{\"a\":1}\n{\"x\":{\"y\":{}}}\n")
	if code != 200 || rec.Count() != 3 {
		t.Fatalf("status %d %s, %d events", code, msg, rec.Count())
	}
	if got := m.Counter(httpsource.JSONMaxDepthFail).Load(); got != 2 {
		t.Errorf("JSONMaxDepthFail = %d, want 2", got)
	}
}

func TestNDJSONAndJSONRefusals(t *testing.T) {
	line := func(i int) string { return fmt.Sprintf(`{"n":%d}`, i) }
	tests := []struct {
		name, handler, body string
		status              int
		msg                 string
	}{
		{"a bad line refuses the request and names it", "ndjson", line(1) + "\n\n" + `{"n":3,}` + "\n", 400, "line 3: want a string key"},
		{"a line that is not an object", "ndjson", line(1) + "\n[1,2]\n", 400, "line 2: not a JSON object"},
		{"a line that is JSON only partly", "ndjson", `{"a":1} trailing` + "\n", 400, "line 1: data after the JSON object"},
		{"two objects on one line", "ndjson", `{"a":1}{"b":2}`, 400, "line 1: data after the JSON object"},
		{"an object spread over lines", "ndjson", "{\n\"a\":1}\n", 400, "line 1: "},
		{"a control character in a string", "ndjson", "{\"a\":\"x\ty\"}", 400, "line 1: control character"},
		{"too deep", "ndjson", `{"a":` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + "}", 400, "nested deeper than 1000"},
		{"more lines than max_batch_events", "ndjson", line(1) + "\n" + line(2) + "\n" + line(3) + "\n", 413, "more than max_batch_events (2) lines"},
		{"larger than max_request_bytes", "ndjson", `{"a":"` + strings.Repeat("x", 8192) + `"}`, 413, "max_request_bytes"},
		{"json: an array", "json", `[{"a":1}]`, 400, `the "json" handler takes one object per request`},
		{"json: two objects", "json", `{"a":1}` + "\n" + `{"b":2}`, 400, "data after the JSON object"},
		{"json: empty", "json", ``, 400, "empty document"},
		{"json: not JSON", "json", `hello`, 400, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, rec, m := start(t, func(c *httpsource.Config) { c.Handler, c.MaxBatchEvents, c.MaxRequestBytes = tt.handler, 2, 4096 })
			code, msg := post(t, http.DefaultClient, "http://"+addr+"/", tt.body)
			if code != tt.status || !strings.Contains(msg, tt.msg) {
				t.Fatalf("answer %d %q, want %d with %q", code, msg, tt.status, tt.msg)
			}
			if rec.Count() != 0 {
				t.Fatal("events were put from a refused request")
			}
			if m.EventReadFail.Load() != 1 {
				t.Fatalf("EventReadFail = %d, want 1", m.EventReadFail.Load())
			}
		})
	}
}

func TestAnEmptyNDJSONRequestPutsNothingAndSucceeds(t *testing.T) {
	addr, rec, _ := start(t, withHandler("ndjson"))
	if code, msg := post(t, http.DefaultClient, "http://"+addr+"/", "\n\r\n  \n"); code != 200 || rec.Count() != 0 {
		t.Fatalf("status %d %s, %d events", code, msg, rec.Count())
	}
}

func TestHandlerDiagnostics(t *testing.T) {
	f := httpsource.NewFactory()
	tests := []struct {
		name, body string
		diags      []string
	}{
		{"unknown handler", `
bind    = "127.0.0.1"
port    = 8080
handler = "xml"
`, []string{`4: handler: must be "flume" (Flume's JSON array), "ndjson" or "json", got "xml"`}},
		{"max_depth out of range", `
bind      = "127.0.0.1"
port      = 8080
handler   = "ndjson"
max_depth = 0
`, []string{"5: max_depth: must be 1-100"}},
		{"json settings with the flume handler are ignored: a warning", `
bind        = "127.0.0.1"
port        = 8080
message_key = "msg"
max_depth   = 3
`, []string{`4: message_key: is used by the "ndjson" and "json" handlers only`, `5: max_depth: is used by`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := exampletest.DecodeSnippet(t, f, `source "http" "r1"`, tt.body)
			exampletest.MatchDiagnostics(t, got, tt.diags)
		})
	}
}
