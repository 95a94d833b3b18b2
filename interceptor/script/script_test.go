package script

import (
	"maps"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/exampletest"
)

func TestFilebeatEventAPI(t *testing.T) {
	ic, _ := build(t, `
source = <<-JS
  function process(event) {
    var m = event.Get("message");
    event.Put("len", m.length);
    event.Put("http", {method: "GET", status: 200, tls: {version: "1.3"}});
    event.Put("gone", null);
    event.Put("flag", true);
    event.Put("list", ["a", "b"]);
    event.Rename("from", "to");
    event.Delete("drop");
    event.Tag("seen");
    event.Tag("seen");
    event.AppendTo("labels", ["x", "y"]);
    event.AppendTo("labels", "x");
    event.Put("copy.path", event.Get("log").file.path);
    event.Put("message", m.toUpperCase());
  }
JS
`)
	got := ic.Intercept([]channel.Event{ev("hello", "from", "v", "drop", "d", "drop.child", "c", "gone", "g",
		"log.file.path", "/var/log/a", "tags", "old", "http.old", "stale")})
	if len(got) != 1 {
		t.Fatalf("%d events", len(got))
	}
	want := map[string]string{
		"len": "5", "http.method": "GET", "http.status": "200", "http.tls.version": "1.3", "flag": "true",
		"list": "a,b", "to": "v", "tags": "old,seen", "labels": "x,y", "copy.path": "/var/log/a",
		"log.file.path": "/var/log/a",
	}
	if !maps.Equal(got[0].Headers, want) || string(got[0].Body) != "HELLO" {
		t.Errorf("headers %v body %q\nwant    %v body HELLO", got[0].Headers, got[0].Body, want)
	}
}

func TestGetOfAbsentAndNestedNames(t *testing.T) {
	ic, _ := build(t, `
source = <<-JS
  function process(event) {
    event.Put("absent", String(event.Get("nothing")));
    event.Put("tagcount", event.Get("tags").length);
    event.Put("k8s", JSON.stringify(event.Get("k8s")));
    event.Put("renamed", String(event.Rename("nothing", "x")) + String(event.Rename("a", "b")));
    event.Put("cancelled", String(event.IsCancelled()));
  }
JS
`)
	got := ic.Intercept([]channel.Event{ev("", "tags", "a,b", "k8s.pod.name", "p", "k8s.namespace.name", "ns", "a", "1", "b", "2")})
	h := got[0].Headers
	if h["absent"] != "null" || h["tagcount"] != "2" || h["k8s"] != `{"namespace":{"name":"ns"},"pod":{"name":"p"}}` && h["k8s"] != `{"pod":{"name":"p"},"namespace":{"name":"ns"}}` ||
		h["renamed"] != "falsefalse" || h["cancelled"] != "false" {
		t.Errorf("headers = %v", h)
	}
}

func TestCancelDropsAndCounts(t *testing.T) {
	ic, m := build(t, `
source = <<-JS
  function process(event) {
    if (event.Get("message").indexOf("DEBUG") >= 0) event.Cancel();
  }
JS
`)
	got := ic.Intercept([]channel.Event{ev("INFO a"), ev("DEBUG b"), ev("INFO c")})
	if len(got) != 2 || string(got[0].Body) != "INFO a" || string(got[1].Body) != "INFO c" {
		t.Fatalf("kept %q", bodies(got))
	}
	if n := count(m, "ScriptCancelledCount"); n != 1 {
		t.Errorf("ScriptCancelledCount = %d", n)
	}
}

func TestParamsReachRegisterAndFileIsRelativeToTheConfig(t *testing.T) {
	ic, _ := build(t, `
file   = "route.js"
params = { header = "kind" }
`)
	got := ic.Intercept([]channel.Event{ev("42 apples"), ev("apples")})
	if got[0].Headers["kind"] != "number" || got[1].Headers["kind"] != "letter" {
		t.Errorf("headers %v %v", got[0].Headers, got[1].Headers)
	}
}

func TestFailingCallsAreCountedTaggedOrDropped(t *testing.T) {
	script := `
source = <<-JS
  function process(event) {
    var m = event.Get("message");
    if (m == "throw") throw new Error("bad line");
    if (m == "return") return 42;
    if (m == "other") return {};
    if (m == "loop") while (true) {}
    event.Put("ok", "yes");
    if (m == "event") return event;
  }
JS
timeout = "250ms"
`
	t.Run("keep", func(t *testing.T) {
		ic, m := build(t, script)
		got := ic.Intercept([]channel.Event{ev("throw"), ev("return"), ev("other"), ev("loop"), ev("fine"), ev("event")})
		if len(got) != 6 {
			t.Fatalf("kept %q, want all 6", bodies(got))
		}
		wantErr := []string{"Error: bad line", "process returned \"42\"", "process returned another Object", "timed out after 250ms"}
		for i, w := range wantErr {
			if got[i].Headers["tags"] != "_js_exception" || !strings.Contains(got[i].Headers["error.message"], w) {
				t.Errorf("event %q: headers %v, want tagged with an error.message containing %q", got[i].Body, got[i].Headers, w)
			}
		}
		for _, e := range got[4:] {
			if e.Headers["ok"] != "yes" || e.Headers["tags"] != "" {
				t.Errorf("event %q after the failures: headers %v", e.Body, e.Headers)
			}
		}
		if count(m, "ScriptErrorCount") != 4 || count(m, "ScriptTimeoutCount") != 1 || count(m, "ScriptDroppedCount") != 0 {
			t.Errorf("errors %d, timeouts %d, dropped %d", count(m, "ScriptErrorCount"), count(m, "ScriptTimeoutCount"), count(m, "ScriptDroppedCount"))
		}
	})
	t.Run("drop", func(t *testing.T) {
		ic, m := build(t, script+`on_error = "drop"`)
		got := ic.Intercept([]channel.Event{ev("throw"), ev("fine"), ev("loop"), ev("return"), ev("event")})
		if len(got) != 2 || string(got[0].Body) != "fine" || string(got[1].Body) != "event" {
			t.Fatalf("kept %q, want fine and event", bodies(got))
		}
		if count(m, "ScriptErrorCount") != 3 || count(m, "ScriptDroppedCount") != 3 {
			t.Errorf("errors %d, dropped %d", count(m, "ScriptErrorCount"), count(m, "ScriptDroppedCount"))
		}
	})
}

func TestRunawayAllocationIsInterrupted(t *testing.T) {
	ic, m := build(t, `
source = <<-JS
  function process(event) {
    var keep = [], s = "x";
    for (;;) {
      s = s + s;
      if (s.length >= 1 << 22) {
        keep.push(s);
        s = "x" + keep.length;
      }
    }
  }
JS
timeout    = "20s"
max_memory = "32MiB"
`)
	start := time.Now()
	got := ic.Intercept([]channel.Event{ev("a"), ev("b")})
	if took := time.Since(start); took > 15*time.Second {
		t.Fatalf("interrupted only by the timeout (%v)", took)
	}
	for _, e := range got {
		if !strings.Contains(e.Headers["error.message"], "max_memory") {
			t.Errorf("event %q: error.message = %q", e.Body, e.Headers["error.message"])
		}
	}
	if count(m, "ScriptErrorCount") != 2 || count(m, "ScriptTimeoutCount") != 0 {
		t.Errorf("errors %d, timeouts %d", count(m, "ScriptErrorCount"), count(m, "ScriptTimeoutCount"))
	}
}

func TestParallelBatchesUseTheirOwnEngines(t *testing.T) {
	ic, m := build(t, `
source = <<-JS
  var n = 0;
  function process(event) { n++; event.Put("n", n); }
JS
max_cached_sessions = 2
`)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				batch := make([]channel.Event, 20)
				for i := range batch {
					batch[i] = ev(strconv.Itoa(g))
				}
				for i, e := range ic.Intercept(batch) {
					if e.Headers["n"] == "" || string(e.Body) != strconv.Itoa(g) {
						t.Errorf("event %d: %q %v", i, e.Body, e.Headers)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := count(m, "ScriptErrorCount"); n != 0 {
		t.Errorf("ScriptErrorCount = %d", n)
	}
}

func TestDiagnosticsPointIntoTheScript(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"syntax error inline", `
timeout = "1s"
source = <<-JS
  function process(event) {
    var x = ;
  }
JS
`, []string{"5: SyntaxError: Unexpected token ;"}},
		{"syntax error in a quoted source", `source = "function process(e) { e.Put( }"`, []string{"1: SyntaxError"}},
		{"exception at load", `
source = <<-JS
  function process(event) {}
  undefinedFunction();
JS
`, []string{"4: loading the script: ReferenceError: undefinedFunction is not defined"}},
		{"no process", `source = "var x = 1;"`, []string{"1: loading the script: the script defines no function process(event)"}},
		{"test() throws", `
source = <<-JS
  function process(event) {}
  function test() {
    throw new Error("self-check failed");
  }
JS
`, []string{"5: loading the script: test(): Error: self-check failed"}},
		{"params without register", `
source = "function process(e) {}"
params = { a = 1 }
`, []string{"3: loading the script: params is set but the script defines no function register"}},
		{"settings", `
timeout             = "0s"
on_error            = "ignore"
max_cached_sessions = 0
`, []string{"0: source: write the script in source", "2: timeout: must be positive", "3: on_error: must be", "4: max_cached_sessions: must be at least 1"}},
		{"both", `
source = "function process(e) {}"
file   = "x.js"
`, []string{"3: file: source and file are both set"}},
		{"missing file", `file = "testdata/nope.js"`, []string{"1: open testdata/nope.js: no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := decode(t, tt.body)
			exampletest.MatchDiagnostics(t, got, tt.want)
		})
	}
}

func TestSyntaxErrorInAScriptFileNamesTheFile(t *testing.T) {
	file, d := hclsyntax.ParseConfig([]byte(`file = "testdata/broken.js"`), "flume.hcl", hcl.InitialPos)
	if d.HasErrors() {
		t.Fatal(d)
	}
	_, d = NewFactory().Decode(file.Body, nil, what, hcl.Range{Filename: "flume.hcl"})
	if len(d) != 1 || d[0].Subject == nil || d[0].Subject.Filename != "testdata/broken.js" || d[0].Subject.Start.Line != 2 {
		t.Fatalf("diagnostics = %v, want one at testdata/broken.js line 2", d)
	}
}

func TestTestBlocks(t *testing.T) {
	_, got := decode(t, `
source = <<-JS
  function process(event) {
    var m = event.Get("message");
    if (m == "") { event.Cancel(); return; }
    event.Put("type", /^[0-9]/.test(m) ? "number" : "letter");
  }
JS
test {
  input  = { message = "42 apples" }
  expect = { message = "42 apples", type = "number" }
}
test {
  name    = "empty lines are dropped"
  input   = { message = "" }
  dropped = true
}
test {
  name   = "wrong expectation"
  input  = { message = "apples", host = "h1" }
  expect = { message = "apples", type = "number" }
}
test {
  input   = { message = "kept" }
  dropped = true
}
`)
	exampletest.MatchDiagnostics(t, got, []string{
		`21: test wrong expectation: host = "h1" is not expected; type = "letter", want "number"`,
		"23: test 4: the event was kept, want it dropped",
	})
}

func bodies(es []channel.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, string(e.Body))
	}
	return out
}
