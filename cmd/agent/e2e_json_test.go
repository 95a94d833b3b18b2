package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/testkit"
)

// TestJSONLogsRoutedByLevelAndDebugDropped tails a JSON application log through
// examples/json-routing.hcl: the json interceptor lifts level, regex_filter on the header drops
// debug, the multiplexing selector sends errors to one sink and the rest to the other, and
// lines that are not JSON go with the rest, unchanged and counted.
func TestJSONLogsRoutedByLevelAndDebugDropped(t *testing.T) {
	dir := t.TempDir()
	errorsDir, restDir := filepath.Join(dir, "errors"), filepath.Join(dir, "rest")
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	p := startAgent(t, example("json-routing.hcl"), map[string]string{
		"FLUMEGO_TAIL_PATH":     filepath.Join(dir, "logs", "*.json"),
		"FLUMEGO_POSITION_FILE": filepath.Join(dir, "taildir.json"),
		"FLUMEGO_OUT_ERRORS":    errorsDir,
		"FLUMEGO_OUT_REST":      restDir,
	})

	var log strings.Builder
	var wantErrors, wantRest []string
	levels := []string{"info", "error", "debug", "warn", "ERROR"}
	for i := range 500 {
		level := levels[i%len(levels)]
		msg := fmt.Sprintf("request %d said \"%s\"", i, level)
		fmt.Fprintf(&log, `{"@timestamp":"2024-05-01T10:00:00.%03dZ","level":%q,"message":%q,"http":{"status":%d}}`+"\n", i%1000, level, msg, 200+i%3)
		switch level {
		case "error":
			wantErrors = append(wantErrors, msg)
		case "debug": // dropped
		default:
			wantRest = append(wantRest, msg) // "ERROR" is another value: the mapping is exact
		}
	}
	// What is not JSON, or JSON only partly, keeps its body and goes with the rest.
	for _, bad := range []string{`plain text line`, `{"level":"error","message":"cut"} trailing`, `{"level":"error",`} {
		log.WriteString(bad + "\n")
		wantRest = append(wantRest, bad)
	}
	// Invalid UTF-8 in a string becomes U+FFFD; a JSON line without message is kept whole.
	log.WriteString("{\"level\":\"error\",\"message\":\"bad \xff byte\"}\n")
	wantErrors = append(wantErrors, "bad \uFFFD byte")
	log.WriteString(`{"level":"warn","code":7}` + "\n")
	wantRest = append(wantRest, `{"level":"warn","code":7}`)
	if err := os.WriteFile(filepath.Join(dir, "logs", "app.json"), []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	waitFor(t, 30*time.Second, "both sinks to write their lines", func() bool {
		return len(dirLines(t, errorsDir)) >= len(wantErrors) && len(dirLines(t, restDir)) >= len(wantRest)
	})
	parseFail := `flumego_source_json_parse_fail_total{agent="a1",component="r1",type="taildir"}`
	waitFor(t, 10*time.Second, "the three parse failures to be counted", func() bool { return p.metric(t, parseFail) == 3 })
	status := httpGet(t, "http://"+p.metrics+"/status.json")
	if !strings.Contains(status, `"JSONParseFail":3`) {
		t.Errorf("/status.json does not show the parse failures: %s", status)
	}
	p.stop(t, syscall.SIGTERM)
	assertExactlyOnce(t, wantErrors, dirLines(t, errorsDir))
	assertExactlyOnce(t, wantRest, dirLines(t, restDir))
}

// TestHTTPNDJSONHandler posts newline-delimited JSON to examples/http-ndjson.hcl: every line
// is delivered with its fields as headers and its message as the body; a request with a bad
// line is refused with 400 and delivers nothing.
func TestHTTPNDJSONHandler(t *testing.T) {
	port := testkit.FreePort(t)
	out := filepath.Join(t.TempDir(), "out")
	p := startAgent(t, example("http-ndjson.hcl"), map[string]string{"FLUMEGO_HTTP_PORT": fmt.Sprint(port), "FLUMEGO_OUT": out})
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)

	code, msg := postNDJSON(t, url, `{"level":"info","service":"api","message":"started"}`+"\n"+
		`{"level":"error","service":"db","message":"connection lost","retry":{"in_ms":250}}`+"\n"+
		`{"level":"FATAL","service":"db","tags":["disk","io"]}`+"\n")
	if code != 200 {
		t.Fatalf("status %d: %s", code, msg)
	}
	code, msg = postNDJSON(t, url, `{"level":"info","message":"never delivered"}`+"\n"+`{"level":"info","message":}`+"\n")
	if code != 400 || !strings.Contains(msg, "line 2: ") {
		t.Fatalf("a bad line: status %d %q, want 400 naming line 2", code, msg)
	}
	wantBodies := []string{"started", "connection lost", `{"level":"FATAL","service":"db","tags":["disk","io"]}`}
	wantHeaders := []string{
		"level=info, priority=normal, service=api",
		"level=error, priority=high, retry.in_ms=250, service=db",
		`level=FATAL, priority=high, service=db, tags=["disk","io"]`,
	}
	var gotHeaders []string
	waitFor(t, 20*time.Second, "the file and the logger to show three events", func() bool {
		gotHeaders = loggedHeaders(p.out.String())
		return len(dirLines(t, out)) >= len(wantBodies) && len(gotHeaders) >= len(wantHeaders)
	})
	failed := `flumego_source_event_read_fail_total{agent="a1",component="r1",type="http"}`
	if v := p.metric(t, failed); v != 1 {
		t.Errorf("%s = %v, want 1", failed, v)
	}
	p.stop(t, syscall.SIGTERM)
	assertExactlyOnce(t, wantBodies, dirLines(t, out))
	sort.Strings(gotHeaders)
	sort.Strings(wantHeaders)
	if strings.Join(gotHeaders, "\n") != strings.Join(wantHeaders, "\n") {
		t.Errorf("logged headers:\n%s\nwant:\n%s", strings.Join(gotHeaders, "\n"), strings.Join(wantHeaders, "\n"))
	}
}

// loggedHeaders returns the headers part of every event the logger sink printed.
func loggedHeaders(out string) []string {
	var got []string
	for _, m := range regexp.MustCompile(`Event: \{ headers:\{(.*?)\} body:`).FindAllStringSubmatch(out, -1) {
		got = append(got, strings.ReplaceAll(m[1], `\"`, `"`))
	}
	return got
}

func postNDJSON(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
