package main

import (
	"fmt"
	"regexp"
	"syscall"
	"testing"

	"github.com/flumego/flumego/internal/testkit"
)

// TestStopThatAbandonsEventsExitsNonZero: events acknowledged into a memory channel whose sink
// cannot deliver (no collector listens) are lost at stop; the agent says how many and exits 1.
func TestStopThatAbandonsEventsExitsNonZero(t *testing.T) {
	port := testkit.FreePort(t)
	p := startAgent(t, example("avro-forwarder.hcl"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_AVRO_PORT": fmt.Sprint(testkit.FreePort(t)),
	}, "--drain-timeout", "500ms")
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), numbered("lost-", 25), true)
	if code := p.stop(t, syscall.SIGTERM); code != 1 {
		t.Errorf("exit code after abandoning events = %d, want 1", code)
	}
	out := p.out.String()
	if !regexp.MustCompile(`level=ERROR msg="agent stopped; events were lost" agent=forwarder abandoned_events=25 channels=\[c1\]`).MatchString(out) {
		t.Errorf("no log line counting the 25 abandoned events:\n%s", out)
	}
	if !regexp.MustCompile(`the stop was not clean; exiting with status 1`).MatchString(out) {
		t.Errorf("no log line explaining the exit status:\n%s", out)
	}
}
