package journald

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/internal/journaltest"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const within = 20 * time.Second

// newSource builds a journald source with cfg changed by edit, its cursor in dir.
func newSource(t testing.TB, dir string, edit func(*Config)) (*Source, *sourcetest.Processor) {
	cfg := Defaults()
	cfg.CursorFile = filepath.Join(dir, "j1.cursor")
	edit(cfg)
	proc := &sourcetest.Processor{}
	src, err := New(cfg, source.Settings{Name: "j1", Type: "journald", Processor: proc,
		Metrics: metrics.NewRegistry("a1").Source("j1", "journald")})
	if err != nil {
		panic(err)
	}
	return src.(*Source), proc
}

func counter(s *Source, name string) int64 { return testkit.Counter(s.m.Component, name) }

func TestFollowsARealJournalAndResumesAfterItsCursor(t *testing.T) {
	j := journaltest.New(t)
	state := t.TempDir()
	j.Append(t,
		journaltest.Entry{"MESSAGE": "one", "_SYSTEMD_UNIT": "app.service", "PRIORITY": "6", "_HOSTNAME": "h1", "SYSLOG_IDENTIFIER": "app", "_PID": "42"},
		journaltest.Entry{"MESSAGE": "two", "_SYSTEMD_UNIT": "db.service", "PRIORITY": "3"},
	)
	src, proc := newSource(t, state, func(c *Config) { c.Directory = j.Dir })
	stop := sourcetest.Run(t, src, within)
	testkit.WaitFor(t, within, "the two entries already in the journal", func() bool { return proc.Count() == 2 })

	// Entries appended while it follows arrive too.
	j.Append(t, journaltest.Entry{"MESSAGE": "three", "_SYSTEMD_UNIT": "app.service"})
	testkit.WaitFor(t, within, "the entry appended while following", func() bool { return proc.Count() == 3 })
	first := proc.Events()[0]
	if string(first.Body) != "one" {
		t.Errorf("body %q, want MESSAGE", first.Body)
	}
	want := map[string]string{"_SYSTEMD_UNIT": "app.service", "PRIORITY": "6", "_HOSTNAME": "h1", "SYSLOG_IDENTIFIER": "app",
		"_PID": "42", "_BOOT_ID": journaltest.BootID, "timestamp": "1764626400001"}
	for k, v := range want {
		if first.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, first.Headers[k], v)
		}
	}
	for k := range first.Headers {
		if strings.HasPrefix(k, "__") || k == "MESSAGE" {
			t.Errorf("header %s kept", k)
		}
	}
	stop()
	saved, err := os.ReadFile(filepath.Join(state, "j1.cursor"))
	if err != nil || !strings.HasPrefix(string(saved), "s=") {
		t.Fatalf("cursor file %q, %v", saved, err)
	}

	// Restarted, it delivers only what was written after the last delivered entry.
	j.Append(t, journaltest.Entry{"MESSAGE": "four"}, journaltest.Entry{"MESSAGE": "five"})
	again, proc2 := newSource(t, state, func(c *Config) { c.Directory = j.Dir })
	sourcetest.Run(t, again, within)
	testkit.WaitFor(t, within, "the entries written while it was down", func() bool { return proc2.Count() == 2 })
	j.Append(t, journaltest.Entry{"MESSAGE": "six"})
	testkit.WaitFor(t, within, "the next entry", func() bool { return proc2.Count() == 3 })
	if got := strings.Join(proc2.Bodies(), ","); got != "four,five,six" {
		t.Errorf("after the restart: %s, want four,five,six", got)
	}
}

func TestFiltersByUnitIdentifierAndFields(t *testing.T) {
	j := journaltest.New(t)
	j.Append(t,
		journaltest.Entry{"MESSAGE": "app 1", "_SYSTEMD_UNIT": "app.service", "SYSLOG_IDENTIFIER": "app", "CODE_FILE": "main.go"},
		journaltest.Entry{"MESSAGE": "db 1", "_SYSTEMD_UNIT": "db.service", "SYSLOG_IDENTIFIER": "db"},
		journaltest.Entry{"MESSAGE": "web 1", "_SYSTEMD_UNIT": "web.service", "SYSLOG_IDENTIFIER": "web"},
		journaltest.Entry{"MESSAGE": "app 2", "_SYSTEMD_UNIT": "app.service", "SYSLOG_IDENTIFIER": "app"},
	)
	units, proc := newSource(t, t.TempDir(), func(c *Config) {
		c.Directory = j.Dir
		c.Units = []string{"app.service", "web.service"}
		c.ExcludeFields = []string{"CODE_FILE"}
	})
	sourcetest.Run(t, units, within)
	testkit.WaitFor(t, within, "the app and web entries", func() bool { return proc.Count() == 3 })
	if got := strings.Join(proc.Bodies(), ","); got != "app 1,web 1,app 2" {
		t.Errorf("units app and web: %s", got)
	}
	if _, ok := proc.Events()[0].Headers["CODE_FILE"]; ok {
		t.Error("exclude_fields kept CODE_FILE")
	}

	ids, proc2 := newSource(t, t.TempDir(), func(c *Config) {
		c.Directory = j.Dir
		c.Identifiers = []string{"db"}
		c.Fields = []string{"SYSLOG_IDENTIFIER"}
	})
	sourcetest.Run(t, ids, within)
	testkit.WaitFor(t, within, "the db entry", func() bool { return proc2.Count() == 1 })
	if h := proc2.Events()[0].Headers; len(h) != 2 || h["SYSLOG_IDENTIFIER"] != "db" || h["timestamp"] == "" {
		t.Errorf("fields = [SYSLOG_IDENTIFIER]: headers %v, want it and timestamp only", h)
	}
}

func TestBinaryMessagesAndHugeFields(t *testing.T) {
	j := journaltest.New(t)
	huge := strings.Repeat("x", 1536<<10)
	j.Append(t,
		journaltest.Entry{"MESSAGE": "line one\nline two\x00\x01 bytes"},
		journaltest.Entry{"MESSAGE": huge, "BIG": huge},
		journaltest.Entry{"MESSAGE": "after"},
	)
	src, proc := newSource(t, t.TempDir(), func(c *Config) { c.Directory = j.Dir })
	sourcetest.Run(t, src, within)
	testkit.WaitFor(t, within, "three entries", func() bool { return proc.Count() == 3 })
	ev := proc.Events()
	if string(ev[0].Body) != "line one\nline two\x00\x01 bytes" {
		t.Errorf("binary MESSAGE %q", ev[0].Body)
	}
	if len(ev[1].Body) != 1<<20 || len(ev[1].Headers["BIG"]) != 1<<20 {
		t.Errorf("1.5 MiB fields: body %d, BIG %d bytes; want both cut at 1 MiB", len(ev[1].Body), len(ev[1].Headers["BIG"]))
	}
	if n := counter(src, "EventTruncatedCount"); n != 2 {
		t.Errorf("EventTruncatedCount = %d, want 2", n)
	}
	if string(ev[2].Body) != "after" {
		t.Errorf("the entry after the huge one: %q", ev[2].Body)
	}
}

func TestMissingJournalctlFailsOnlyThisSource(t *testing.T) {
	src, _ := newSource(t, t.TempDir(), func(c *Config) { c.Journalctl = "no-such-journalctl" })
	err := src.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"no-such-journalctl" not found`) {
		t.Fatalf("Run = %v, want journalctl not found", err)
	}
}

// standIn writes a stand-in journalctl: a shell script that records its arguments (one line
// per run) in dir/args and then runs body.
func standIn(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "journalctl")
	script := fmt.Sprintf("#!/bin/sh\necho \"$@\" >> %s/args\n%s\n", dir, body)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func runs(t *testing.T, dir string) []string {
	b, _ := os.ReadFile(filepath.Join(dir, "args"))
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func TestGarbageFromJournalctlIsCountedAndItRestartsAfterTheCursor(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "entries")
	if err := os.WriteFile(data, journaltest.Export(journaltest.Entry{"MESSAGE": "a"}, journaltest.Entry{"MESSAGE": "b"}), 0o644); err != nil {
		t.Fatal(err)
	}
	// The first run prints two entries then garbage; later runs print nothing and wait.
	prog := standIn(t, dir, fmt.Sprintf(`if [ ! -e %[1]s/ran ]; then touch %[1]s/ran; cat %[2]s; echo "this is not the export format"; fi
exec sleep 60`, dir, data))
	src, proc := newSource(t, dir, func(c *Config) { c.Journalctl = prog })
	sourcetest.Run(t, src, within)
	testkit.WaitFor(t, within, "a restart after the garbage", func() bool { return len(runs(t, dir)) == 2 })
	if got := strings.Join(proc.Bodies(), ","); got != "a,b" {
		t.Errorf("delivered %s, want a,b (what came before the garbage)", got)
	}
	if n := counter(src, "EventReadFail"); n != 1 {
		t.Errorf("EventReadFail = %d, want 1", n)
	}
	r := runs(t, dir)
	if len(r) != 2 || strings.Contains(r[0], "--after-cursor") || !strings.Contains(r[1], "--after-cursor=c2 --lines=all") {
		t.Errorf("journalctl runs %q: want the second to resume after c2", r)
	}
}

func TestARefusedCursorIsSetAsideAndTheJournalReadFromTheBeginning(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "j1.cursor"), []byte("damaged\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "entries")
	if err := os.WriteFile(data, journaltest.Export(journaltest.Entry{"MESSAGE": "a"}), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := standIn(t, dir, fmt.Sprintf(`case "$*" in *--after-cursor=damaged*) echo "Failed to seek to cursor: Invalid argument" >&2; exit 1;; esac
cat %s; exec sleep 60`, data))
	src, proc := newSource(t, dir, func(c *Config) { c.Journalctl = prog; c.SinceNow = true })
	sourcetest.Run(t, src, within)
	testkit.WaitFor(t, within, "the entry read from the beginning", func() bool { return proc.Count() == 1 && len(runs(t, dir)) == 2 })
	if b, err := os.ReadFile(filepath.Join(dir, "j1.cursor.invalid")); err != nil || string(b) != "damaged\n" {
		t.Errorf("the refused cursor was not set aside: %q, %v", b, err)
	}
	if r := runs(t, dir); len(r) != 2 || !strings.Contains(r[1], "--lines=all") {
		t.Errorf("journalctl runs %q: want the second from the beginning", r)
	}
}

func TestValidateAndArgs(t *testing.T) {
	c := Defaults()
	c.Matches = []string{"_TRANSPORT=kernel", "+", "bad match", "lower=x"}
	c.Fields = []string{"ok_not"}
	c.Batch = 0
	err := c.Validate()
	for _, want := range []string{`"bad match" is not FIELD=value`, `"lower=x" is not FIELD=value`, `"ok_not" is not a journal field name`, "batch_size"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
	c = Defaults()
	c.Directory, c.Units, c.Identifiers, c.Matches = "/j", []string{"a.service"}, []string{"sshd"}, []string{"PRIORITY=3"}
	if got, want := strings.Join(c.args(""), " "), "--follow --output=export --no-pager --quiet --directory=/j --boot --lines=all --unit=a.service --identifier=sshd PRIORITY=3"; got != want {
		t.Errorf("args = %s\nwant   %s", got, want)
	}
	c.SinceNow, c.CurrentBootOnly = true, false
	if got := strings.Join(c.args(""), " "); !strings.Contains(got, "--lines=0") || strings.Contains(got, "--boot") {
		t.Errorf("since_now without current_boot_only: %s", got)
	}
	if got := strings.Join(c.args("s=1"), " "); !strings.Contains(got, "--after-cursor=s=1 --lines=all") {
		t.Errorf("with a cursor: %s", got)
	}
}
