package interceptor

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/metrics"
)

// createJSON decodes src into a json interceptor counting on a fresh source component.
func createJSON(t *testing.T, src string) (Interceptor, *metrics.Source) {
	t.Helper()
	m := metrics.NewRegistry("a1").Source("r1", "taildir")
	f := NewJSONFactory()
	ic, err := f.Create(mustDecode(t, f, src), Settings{Source: "r1", Type: "json", Metrics: m.Component})
	if err != nil {
		t.Fatal(err)
	}
	return ic, m
}

func TestJSON(t *testing.T) {
	const app = `{"@timestamp":"2024-05-01T10:00:00Z","level":"error","message":"disk \"sda\" full","http":{"status":507},"tags":["disk"]}`
	tests := []struct {
		name, cfg string
		in        channel.Event
		body      string
		headers   map[string]string
	}{
		{"every field, nested ones flattened", ``, ev(app), app, map[string]string{
			"@timestamp": "2024-05-01T10:00:00Z", "level": "error", "message": `disk "sda" full`,
			"http.status": "507", "tags": `["disk"]`}},
		{"selected fields", `fields = ["level", "http.status"]`, ev(app), app,
			map[string]string{"level": "error", "http.status": "507"}},
		{"target prefixes the names", `
			fields = ["level", "http"]
			target = "json"
		`, ev(app), app, map[string]string{"json.level": "error", "json.http.status": "507"}},
		{"message_key becomes the body and no header", `
			fields      = ["level", "message"]
			message_key = "message"
		`, ev(app), `disk "sda" full`, map[string]string{"level": "error", "message": `disk "sda" full`}},
		{"message_key with every field", `message_key = "message"`, ev(`{"message":"m","level":"info"}`), "m",
			map[string]string{"level": "info"}},
		{"a missing message key leaves the body", `message_key = "msg"`, ev(`{"level":"info"}`), `{"level":"info"}`,
			map[string]string{"level": "info"}},
		{"a missing message key is marked with add_error_key", `
			message_key   = "msg"
			add_error_key = true
		`, ev(`{"level":"info"}`), `{"level":"info"}`,
			map[string]string{"level": "info", "error.message": "key 'msg' not found", "error.type": "json"}},
		{"existing headers are kept by default", ``, ev(`{"host":"parsed","level":"info"}`, "host", "web-1"),
			`{"host":"parsed","level":"info"}`, map[string]string{"host": "web-1", "level": "info"}},
		{"overwrite_keys replaces them", `overwrite_keys = true`, ev(`{"host":"parsed"}`, "host", "web-1"),
			`{"host":"parsed"}`, map[string]string{"host": "parsed"}},
		{"not JSON: unchanged", ``, ev("plain text line", "host", "web-1"), "plain text line",
			map[string]string{"host": "web-1"}},
		{"partly JSON: unchanged", ``, ev(`{"a":1} trailing`), `{"a":1} trailing`, map[string]string{}},
		{"not JSON with add_error_key", `add_error_key = true`, ev(`{"a":1} trailing`), `{"a":1} trailing`,
			map[string]string{"error.message": "Error decoding JSON: data after the JSON object at offset 8", "error.type": "json"}},
		{"max_depth keeps deeper objects as text", `max_depth = 1`, ev(`{"http":{"status":200}}`), `{"http":{"status":200}}`,
			map[string]string{"http": `{"status":200}`}},
		{"a message made longer by invalid UTF-8", `message_key = "m"`, ev("{\"m\":\"\xff\xff\xff\xff\xff\xff\xff\xff\"}"),
			strings.Repeat("\uFFFD", 8), map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic, _ := createJSON(t, tt.cfg)
			before := tt.in.Headers
			out := ic.Intercept([]channel.Event{tt.in})
			if len(out) != 1 {
				t.Fatalf("%d events out", len(out))
			}
			got := out[0].Headers
			if got == nil {
				got = map[string]string{}
			}
			if string(out[0].Body) != tt.body || !maps.Equal(got, tt.headers) {
				t.Errorf("body %q headers %q\nwant %q headers %q", out[0].Body, got, tt.body, tt.headers)
			}
			if before != nil && !sameMap(before, out[0].Headers) {
				t.Error("the event's headers map was replaced")
			}
		})
	}
}

func TestJSONCountsFailuresOnTheSource(t *testing.T) {
	ic, m := createJSON(t, `max_depth = 2`)
	out := ic.Intercept([]channel.Event{
		ev(`{"a":1}`), ev(`not json`), ev(`{"a":{"b":{"c":1}}}`), ev(`{"a":`), ev(""), ev(`{"a":{"b":{"c":1}},"d":{"e":{"f":2}}}`),
	})
	if len(out) != 6 {
		t.Fatalf("%d events kept of 6", len(out))
	}
	vals := map[string]int64{}
	for _, v := range m.Values() {
		vals[v.Name()] = v.Load()
	}
	if vals[JSONParseFail] != 3 || vals[JSONMaxDepthFail] != 2 {
		t.Errorf("JSONParseFail = %d, JSONMaxDepthFail = %d; want 3 and 2 (counted per event)", vals[JSONParseFail], vals[JSONMaxDepthFail])
	}
}

func TestJSONWithoutMetricsStillRuns(t *testing.T) {
	ic := mustCreate(t, NewJSONFactory(), `add_error_key = true`)
	out := ic.Intercept([]channel.Event{ev("x")})
	if out[0].Headers[ErrorTypeHeader] != "json" {
		t.Errorf("headers %v", out[0].Headers)
	}
}

// TestJSONThenRoute is the flow inside one source: the json interceptor lifts level,
// regex_filter on the header drops debug, and the multiplexing selector routes on it.
func TestJSONThenRoute(t *testing.T) {
	parse := mustCreate(t, NewJSONFactory(), `
		fields      = ["level"]
		message_key = "msg"
	`)
	drop := mustCreate(t, NewRegexFilterFactory(), `
		header         = "level"
		regex          = "^debug$"
		exclude_events = true
	`)
	chans := []string{"errors", "rest"}
	sel := createSelector(t, NewMultiplexingFactory(), `
		header  = "level"
		mapping = { error = ["errors"] }
		default = ["rest"]
	`, chans...)
	var events []channel.Event
	for i, level := range []string{"info", "error", "debug", "warn", "error", "debug"} {
		events = append(events, ev(fmt.Sprintf(`{"level":%q,"msg":"m%d"}`, level, i)))
	}
	events = append(events, ev("not json"))
	routed := map[string][]string{}
	for _, e := range drop.Intercept(parse.Intercept(events)) {
		req, _ := sel.Select(&e)
		for _, c := range names(chans, req) {
			routed[c] = append(routed[c], string(e.Body))
		}
	}
	want := map[string][]string{"errors": {"m1", "m4"}, "rest": {"m0", "m3", "not json"}}
	if fmt.Sprint(routed) != fmt.Sprint(want) {
		t.Errorf("routed %v, want %v", routed, want)
	}
}

func BenchmarkJSON(b *testing.B) {
	lines := map[string]string{
		"small":  `{"@timestamp":"2024-05-01T10:00:00.123Z","level":"info","logger":"http","message":"GET /api/v1/users 200","status":200,"duration_ms":12.5}`,
		"nested": `{"@timestamp":"2024-05-01T10:00:00.123Z","log":{"level":"info","logger":"http"},"http":{"request":{"method":"GET","path":"/api/v1/users"},"response":{"status":200,"bytes":5120}},"user":{"id":"u-42","roles":["admin","dev"]},"message":"request served in 12.5 ms"}`,
	}
	for _, cfg := range []struct{ name, src string }{
		{"all", ``},
		{"fields=2+message_key", "fields = [\"level\", \"log.level\"]\nmessage_key = \"message\""},
	} {
		for _, shape := range []string{"small", "nested"} {
			b.Run(cfg.name+"/"+shape, func(b *testing.B) {
				ic := mustCreate(b, NewJSONFactory(), cfg.src)
				const batch = 100
				events := make([]channel.Event, batch)
				bodies := make([][]byte, batch)
				for i := range bodies {
					bodies[i] = []byte(lines[shape])
				}
				b.SetBytes(int64(len(lines[shape])))
				b.ReportAllocs()
				b.ResetTimer()
				for n := 0; n < b.N; n += batch {
					for i := range events {
						events[i] = channel.Event{Body: append(bodies[i][:0], lines[shape]...)}
					}
					ic.Intercept(events)
				}
			})
		}
	}
}
