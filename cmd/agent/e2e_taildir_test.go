package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The taildir source's file selection, metadata and container formats end to end.

func TestTaildirECSHeaders(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)
	log := filepath.Join(logs, "app.log")
	os.WriteFile(log, []byte("started\nboom\n  at a.b(C.java:1)\n"), 0o644)
	before := time.Now().UnixMilli()
	p := startAgent(t, example("taildir-ecs-logger.hcl"), map[string]string{
		"FLUMEGO_TAIL_PATH":     filepath.Join(logs, "*.log"),
		"FLUMEGO_POSITION_FILE": filepath.Join(dir, "taildir.json"),
	})
	// The logger prints headers sorted by key; the stack trace is one event, delivered after
	// the multiline timeout.
	want := []*regexp.Regexp{
		regexp.MustCompile(`headers:\{log\.file\.path=` + regexp.QuoteMeta(log) + `, log\.offset=0, timestamp=(\d+)\}`),
		regexp.MustCompile(`headers:\{log\.file\.path=` + regexp.QuoteMeta(log) + `, log\.flags=multiline, log\.offset=8, timestamp=(\d+)\}`),
	}
	waitFor(t, 20*time.Second, "both events with their headers", func() bool {
		for _, re := range want {
			if !re.MatchString(p.out.String()) {
				return false
			}
		}
		return true
	})
	after := time.Now().UnixMilli()
	for _, re := range want {
		ts, _ := strconv.ParseInt(re.FindStringSubmatch(p.out.String())[1], 10, 64)
		if ts < before || ts > after {
			t.Errorf("timestamp %d is not the read time (between %d and %d)", ts, before, after)
		}
	}
	if n := strings.Count(p.out.String(), "headers:{"); n != 2 {
		t.Errorf("%d events printed, want 2", n)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d", code)
	}
}
