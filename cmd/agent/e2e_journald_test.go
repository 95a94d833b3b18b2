package main

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/journaltest"
)

// TestJournaldFollowsARealJournalAcrossKill9 runs examples/journald.hcl on a real journal file
// that systemd-journal-remote appends to while the agent follows it: the agent is killed with
// SIGKILL while entries stream in and while it is down more are written; after the restart,
// every entry of the two units the example keeps is in the output, none of the others, and
// duplicates stay within the batches in flight.
func TestJournaldFollowsARealJournalAcrossKill9(t *testing.T) {
	j := journaltest.New(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	env := map[string]string{
		"FLUMEGO_JOURNAL_DIR": j.Dir, "FLUMEGO_CURSOR_FILE": filepath.Join(dir, "journald.cursor"),
		"FLUMEGO_CHANNEL_DIR": filepath.Join(dir, "channel"), "FLUMEGO_OUT": out,
	}
	units := []string{"nginx.service", "ssh.service", "cron.service"} // the example keeps the first two
	var want []string
	seq := 0
	write := func(n int) {
		entries := make([]journaltest.Entry, n)
		for i := range entries {
			seq++
			unit := units[seq%len(units)]
			msg := fmt.Sprintf("%s entry %06d", unit, seq)
			entries[i] = journaltest.Entry{"MESSAGE": msg, "_SYSTEMD_UNIT": unit, "PRIORITY": "6"}
			if unit != "cron.service" {
				want = append(want, msg)
			}
		}
		j.Append(t, entries...)
	}

	write(300) // already in the journal when the agent first starts
	p := startAgent(t, example("journald.hcl"), env)
	waitFor(t, 30*time.Second, "the first entries in the output", func() bool { return len(dirLines(t, out)) > 0 })
	for k := 0; k < 3; k++ {
		write(150) // entries streaming in while it follows...
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		write(100) // ...and written while it is down
		p = startAgent(t, example("journald.hcl"), env)
	}
	write(50)
	waitFor(t, 60*time.Second, "every entry of nginx and ssh in the output", func() bool {
		got := map[string]bool{}
		for _, l := range dirLines(t, out) {
			got[l] = true
		}
		for _, w := range want {
			if !got[w] {
				return false
			}
		}
		return true
	})
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
	dups := duplicates(t, want, dirLines(t, out))
	// A kill can repeat one source batch whose cursor was not saved yet (500) and one sink
	// batch whose take was not committed (500).
	if bound := 3 * (500 + 500); dups > bound {
		t.Errorf("%d duplicates after 3 kills, more than the in-flight bound %d", dups, bound)
	}
	t.Logf("%d entries of the kept units delivered, %d duplicates after 3 kills", len(want), dups)
}
