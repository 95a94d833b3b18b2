package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/testkit"
)

// TestMultiplexingByScript routes digit and letter lines with the script interceptor.
func TestMultiplexingByScript(t *testing.T) {
	checkDigitLetterRouting(t, example("netcat-script-multiplexing.hcl"))
}

// TestScriptTestBlocksAreRunByValidate: a script whose test block fails is refused by
// `agent validate`, with the position of the failing expectation, and by the agent itself.
func TestScriptTestBlocksAreRunByValidate(t *testing.T) {
	src, err := os.ReadFile(example("netcat-script-multiplexing.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range []string{"netcat-script-multiplexing.hcl", "seq-script-null.hcl"} {
		if _, stderr, code := runAgent(t, ".", "validate", "-f", example(ex)); code != 0 {
			t.Fatalf("validate of %s: exit %d\n%s", ex, code, stderr)
		}
	}
	// A script change that breaks routing: its tests catch it.
	broken := strings.Replace(string(src), `/^[0-9]/`, `/^[a-z]/`, 1)
	cfg := filepath.Join(t.TempDir(), "flume.hcl")
	if err := os.WriteFile(cfg, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runAgent(t, ".", "validate", "-f", cfg)
	if code != 2 || !strings.Contains(stderr, cfg+`:22:18: error: source "netcat" "r1": interceptor "script": test 1: type = "letter", want "number"`) {
		t.Fatalf("validate of a broken script: exit %d\n%s", code, stderr)
	}
	if _, stderr, code := runAgent(t, ".", "-f", cfg); code != 2 || !strings.Contains(stderr, "nothing was started") {
		t.Fatalf("running a broken script: exit %d\n%s", code, stderr)
	}
}

// TestScriptThatFailsKeepsTheFlowServing: a script that throws on some lines and loops for
// ever on others; every line is still delivered (on_error = "keep"), the failures are counted
// and logged with the component's name, and the agent keeps serving.
func TestScriptThatFailsKeepsTheFlowServing(t *testing.T) {
	src, err := os.ReadFile(example("netcat-script-multiplexing.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	faulty := strings.Replace(string(src), `var m = event.Get("message");`,
		`var m = event.Get("message");
          if (m.indexOf("throw") === 0) throw new Error("cannot parse " + m);
          if (m.indexOf("loop") === 0) while (true) {}`, 1)
	faulty = strings.Replace(faulty, `timeout = "500ms"`, `timeout = "200ms"`, 1)
	cfg := filepath.Join(t.TempDir(), "flume.hcl")
	if err := os.WriteFile(cfg, []byte(faulty), 0o644); err != nil {
		t.Fatal(err)
	}
	port := testkit.FreePort(t)
	dir := t.TempDir()
	letters := filepath.Join(dir, "letters")
	p := startAgent(t, cfg, map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_OUT_LETTERS": letters, "FLUMEGO_OUT_DIGITS": filepath.Join(dir, "digits"),
	})
	lines := []string{"throw 1", "loop 1", "fine 1", "throw 2", "loop 2", "fine 2"}
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), lines, true)
	// Failed events have no "type" header: the selector's default (letters) takes them.
	waitFor(t, 20*time.Second, "every line in letters", func() bool { return len(dirLines(t, letters)) >= len(lines) })
	assertExactlyOnce(t, lines, dirLines(t, letters))
	if n := p.metric(t, `flumego_source_script_error_total{agent="a1",component="r1",type="netcat"}`); n != 4 {
		t.Errorf("script errors counted = %v, want 4", n)
	}
	if n := p.metric(t, `flumego_source_script_timeout_total{agent="a1",component="r1",type="netcat"}`); n != 2 {
		t.Errorf("script timeouts counted = %v, want 2", n)
	}
	if out := p.out.String(); !strings.Contains(out, `msg="script failed on an event" component=source/r1 type=netcat interceptor=script on_error=keep err="Error: cannot parse throw 1`) {
		t.Errorf("no log line naming the component:\n%s", out)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d", code)
	}
}
