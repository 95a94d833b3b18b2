package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The file sources end to end: the real agent tails, spools and runs commands on real files,
// and what the file_roll sink wrote is counted line by line.

const fileRollDrained = `flumego_sink_event_drain_success_total{agent="a1",component="k1",type="file_roll"}`

// taildirEnv runs examples/taildir-file.hcl in dir: logs in dir/logs, output in dir/out.
func taildirEnv(dir string, extra map[string]string) map[string]string {
	env := map[string]string{
		"FLUMEGO_TAIL_PATH":     filepath.Join(dir, "logs", "*.log"),
		"FLUMEGO_POSITION_FILE": filepath.Join(dir, "state", "taildir.json"),
		"FLUMEGO_CHANNEL_DIR":   filepath.Join(dir, "channel"),
		"FLUMEGO_OUT":           filepath.Join(dir, "out"),
		"FLUMEGO_MIN_SPACE":     "0",
		"FLUMEGO_ROTATE_WAIT":   "1s",
	}
	for k, v := range extra {
		env[k] = v
	}
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	return env
}

func TestTaildirRotationDeliversEveryLineOnce(t *testing.T) {
	// A writer appends 100 lines a millisecond before, during and after each rotation. A
	// truncation destroys what it cuts off, so (as in Vector's harness) the truncating cases
	// truncate once the agent has read what was written; the writer goes on at once after.
	const rate = 100
	run := 300 * time.Millisecond
	type step struct {
		w   *logWriter
		p   *agentProc
		env map[string]string
	}
	caughtUp := func(t *testing.T, s step) {
		t.Helper()
		waitFor(t, 60*time.Second, "the agent to catch up with the writer", func() bool {
			return s.p.metric(t, fileRollDrained) >= float64(s.w.next)
		})
	}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		rotate func(t *testing.T, s step)
	}{
		{"rename and create", nil, func(t *testing.T, s step) {
			os.Rename(s.w.path, s.w.path+".1")
			s.w.runFor(20*time.Millisecond, rate) // the application has not noticed yet
			s.w.reopen()
		}},
		{"copytruncate", nil, func(t *testing.T, s step) {
			caughtUp(t, s)
			b, _ := os.ReadFile(s.w.path)
			os.WriteFile(s.w.path+".1", b, 0o644)
			os.Truncate(s.w.path, 0)
		}},
		{"truncate", nil, func(t *testing.T, s step) {
			caughtUp(t, s)
			os.Truncate(s.w.path, 0)
		}},
		{"delete and recreate", nil, func(t *testing.T, s step) {
			os.Remove(s.w.path)
			s.w.runFor(20*time.Millisecond, rate) // still writing into the deleted file
			s.w.reopen()
		}},
		{"inode reuse", nil, func(t *testing.T, s step) {
			// The agent stops; the file is deleted and the next one takes its inode and its
			// name. The position file holds the old file's offset under that inode: without
			// the fingerprint the agent would resume the new file there and skip its head.
			s.w.close()
			caughtUp(t, s)
			s.p.stop(t, syscall.SIGTERM)
			ino := inodeOf(t, s.w.path)
			os.Remove(s.w.path)
			reused := createWithInode(t, s.w.path, ino)
			s.w.reopen()
			s.w.write(rate)
			*s.p = *startAgent(t, example("taildir-file.hcl"), s.env)
			waitFor(t, 10*time.Second, "the agent to look at the file", func() bool {
				return strings.Contains(s.p.out.String(), "msg=tailing")
			})
			if reused && !strings.Contains(s.p.out.String(), "earlier file with the same inode") {
				t.Error("the agent did not report the recycled inode")
			}
			if !reused {
				t.Log("the file system did not recycle the inode; the case ran as delete and recreate")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			env := taildirEnv(dir, tc.env)
			p := startAgent(t, example("taildir-file.hcl"), env)
			w := newLogWriter(t, filepath.Join(dir, "logs", "app.log"), "line")
			w.runFor(run, rate)
			tc.rotate(t, step{w, p, env})
			w.runFor(run, rate)
			w.close()
			want := w.lines()
			waitFor(t, 60*time.Second, fmt.Sprintf("%d lines in the output", len(want)), func() bool {
				return countLines(t, out) >= len(want)
			})
			time.Sleep(200 * time.Millisecond) // a duplicate would show up now
			if code := p.stop(t, syscall.SIGTERM); code != 0 {
				t.Errorf("exit code %d after SIGTERM", code)
			}
			got := dirLines(t, out)
			assertExactlyOnce(t, want, got)
			t.Logf("%d lines, each once", len(want))
		})
	}
}

func TestTaildirKill9LosesNoLine(t *testing.T) {
	kills := 10
	if testing.Short() {
		kills = 3
	}
	// The example's batch sizes: what can be in flight at a kill.
	const sourceBatch, sinkBatch = 500, 1000
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	env := taildirEnv(dir, nil)
	w := newLogWriter(t, filepath.Join(dir, "logs", "app.log"), "k")
	stop := make(chan struct{})
	written := make(chan []string)
	go func() {
		// The application logs on while the agent is killed and restarted.
		for {
			select {
			case <-stop:
				w.close()
				written <- w.lines()
				return
			default:
			}
			w.runFor(10*time.Millisecond, 20)
		}
	}()
	for k := 0; k < kills; k++ {
		p := startAgent(t, example("taildir-file.hcl"), env)
		time.Sleep(time.Duration(100+rand.IntN(400)) * time.Millisecond) // a random moment mid-stream
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
	close(stop)
	want := <-written
	p := startAgent(t, example("taildir-file.hcl"), env)
	waitFor(t, 120*time.Second, fmt.Sprintf("all %d lines in the output", len(want)), func() bool {
		return countLines(t, out) >= len(want)
	})
	time.Sleep(300 * time.Millisecond)
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
	// A kill can cut the sink's last write short: such a torn line is counted, not judged.
	valid := regexp.MustCompile(`^k\d{7}$`)
	var got []string
	torn := 0
	for _, l := range dirLines(t, out) {
		if valid.MatchString(l) {
			got = append(got, l)
		} else {
			torn++
		}
	}
	dups := duplicates(t, want, got)
	// A duplicate is a batch in flight at a kill: a put committed whose position was not yet
	// recorded (one source batch), or a take written but not committed (one sink batch).
	if bound := kills * (sourceBatch + sinkBatch); dups > bound {
		t.Errorf("%d duplicates after %d kills, more than the in-flight bound %d", dups, kills, bound)
	}
	t.Logf("%d kills: %d lines written, all delivered; %d duplicates (%.1f per kill), %d torn lines",
		kills, len(want), dups, float64(dups)/float64(kills), torn)
}

func TestTaildirTenThousandFilesWithinMaxOpenFiles(t *testing.T) {
	const files, maxOpen = 10000, 100
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	out := filepath.Join(dir, "out")
	os.MkdirAll(logs, 0o755)
	// A memory channel: with a file channel the test would measure 20,000 fsynced puts.
	p := startAgent(t, example("taildir-selection.hcl"), map[string]string{
		"FLUMEGO_TAIL_PATH":      filepath.Join(logs, "*.log"),
		"FLUMEGO_LEGACY_PATH":    filepath.Join(dir, "none", "*.log"),
		"FLUMEGO_POSITION_FILE":  filepath.Join(dir, "taildir.json"),
		"FLUMEGO_OUT":            out,
		"FLUMEGO_MAX_OPEN_FILES": fmt.Sprint(maxOpen),
	})
	start := time.Now()
	_, base := openFilesUnder(p.cmd.Process.Pid, logs)

	peak, peakAll := 0, 0
	sampled := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			under, all := openFilesUnder(p.cmd.Process.Pid, logs)
			peak, peakAll = max(peak, under), max(peakAll, all)
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var want []string
	// Two rounds, so that files closed for the limit are opened again for their new lines.
	for round := 0; round < 2; round++ {
		for i := 0; i < files; i++ {
			f, err := os.OpenFile(filepath.Join(logs, fmt.Sprintf("f%04d.log", i)), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for j := 0; j < 5; j++ {
				l := fmt.Sprintf("f%04d-%d-%d", i, round, j)
				b.WriteString(l + "\n")
				want = append(want, l)
			}
			f.WriteString(b.String())
			f.Close()
		}
	}
	waitFor(t, 120*time.Second, fmt.Sprintf("%d lines in the output", len(want)), func() bool {
		return p.metric(t, fileRollDrained) >= float64(len(want))
	})
	close(stop)
	<-sampled
	p.stop(t, syscall.SIGTERM)
	assertExactlyOnce(t, want, dirLines(t, out))
	if peak > maxOpen {
		t.Errorf("%d log files open at once, max_open_files = %d", peak, maxOpen)
	}
	// The agent's other descriptors (channel, sink, sockets, inotify) stay as they were.
	if limit := base + maxOpen + 10; peakAll > limit {
		t.Errorf("%d descriptors open at the peak, %d before the files came", peakAll, base)
	}
	t.Logf("%d files, %d lines in %v: at most %d log files open (limit %d), %d descriptors in all (%d at start)",
		files, len(want), time.Since(start).Round(time.Millisecond), peak, maxOpen, peakAll, base)
}

func TestTaildirHonoursAFlumePositionFile(t *testing.T) {
	dir := t.TempDir()
	env := taildirEnv(dir, nil)
	logs := filepath.Join(dir, "logs")
	a, b := filepath.Join(logs, "a.log"), filepath.Join(logs, "b.log")
	wa, wb := newLogWriter(t, a, "a"), newLogWriter(t, b, "b")
	wa.write(100)
	wb.write(100)
	// Apache Flume's TAILDIR stopped after a's 40th line and b's last.
	const lineLen = 9 // "a0000000\n"
	os.MkdirAll(filepath.Join(dir, "state"), 0o755)
	flume := fmt.Sprintf(`[{"inode":%d,"pos":%d,"file":"%s"},{"inode":%d,"pos":%d,"file":"%s"}]`,
		inodeOf(t, a), 40*lineLen, a, inodeOf(t, b), 100*lineLen, b)
	if err := os.WriteFile(env["FLUMEGO_POSITION_FILE"], []byte(flume), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startAgent(t, example("taildir-file.hcl"), env)
	wb.write(10)
	want := append(wa.lines()[40:], wb.lines()[100:]...)
	waitFor(t, 30*time.Second, "the lines after the saved positions", func() bool {
		return p.metric(t, fileRollDrained) >= float64(len(want))
	})
	time.Sleep(200 * time.Millisecond)
	p.stop(t, syscall.SIGTERM)
	got := dirLines(t, filepath.Join(dir, "out"))
	assertExactlyOnce(t, want, got)
	// The position file is still readable as Flume's: inode, pos and file of each.
	saved, _ := os.ReadFile(env["FLUMEGO_POSITION_FILE"])
	if !strings.Contains(string(saved), fmt.Sprintf(`{"inode":%d,"pos":%d,"file":"%s"`, inodeOf(t, a), 100*lineLen, a)) {
		t.Errorf("position file after the run: %s", saved)
	}
}

// spoolFiles drops n files of lines into dir the way producers should: written elsewhere, then
// renamed in. It returns every line.
func spoolFiles(t *testing.T, dir, prefix string, n, lines int) []string {
	t.Helper()
	tmp := t.TempDir()
	var want []string
	for i := 0; i < n; i++ {
		var b strings.Builder
		for j := 0; j < lines; j++ {
			l := fmt.Sprintf("%s-%03d-%05d", prefix, i, j)
			b.WriteString(l + "\n")
			want = append(want, l)
		}
		name := fmt.Sprintf("%s-%03d.log", prefix, i)
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

func TestSpooldirConsumesFilesDroppedWhileRunningAndWhileDown(t *testing.T) {
	for _, tc := range []struct {
		policy string
		env    map[string]string
		files  int
		// left is what the spool directory holds at the end for a file NAME.
		left func(name string) []string
	}{
		{"rename", nil, 100, func(n string) []string { return []string{n + ".COMPLETED"} }},
		{"delete", map[string]string{"FLUMEGO_DELETE_POLICY": "immediate"}, 20, func(string) []string { return nil }},
		{"tracker_dir", map[string]string{"FLUMEGO_TRACKING_POLICY": "tracker_dir"}, 20, func(n string) []string { return []string{n} }},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			dir := t.TempDir()
			spool, out := filepath.Join(dir, "spool"), filepath.Join(dir, "out")
			os.MkdirAll(spool, 0o755)
			env := map[string]string{"FLUMEGO_SPOOL_DIR": spool, "FLUMEGO_CHANNEL_DIR": filepath.Join(dir, "channel"),
				"FLUMEGO_OUT": out, "FLUMEGO_MIN_SPACE": "0"}
			for k, v := range tc.env {
				env[k] = v
			}
			// While the agent is down.
			want := spoolFiles(t, spool, "down", tc.files, 50)
			p := startAgent(t, example("spooldir-file.hcl"), env)
			// While it runs.
			want = append(want, spoolFiles(t, spool, "up", tc.files, 50)...)
			waitFor(t, 60*time.Second, "every file completed", func() bool {
				return p.metric(t, `flumego_source_file_completed_total{agent="a1",component="r1",type="spooldir"}`) == float64(2*tc.files)
			})
			waitFor(t, 30*time.Second, "every line in the output", func() bool { return countLines(t, out) >= len(want) })
			time.Sleep(200 * time.Millisecond)
			p.stop(t, syscall.SIGTERM)
			assertExactlyOnce(t, want, dirLines(t, out))

			var wantLeft []string
			for _, prefix := range []string{"down", "up"} {
				for i := 0; i < tc.files; i++ {
					wantLeft = append(wantLeft, tc.left(fmt.Sprintf("%s-%03d.log", prefix, i))...)
				}
			}
			var left []string
			entries, _ := os.ReadDir(spool)
			for _, e := range entries {
				if !strings.HasPrefix(e.Name(), ".") {
					left = append(left, e.Name())
				}
			}
			if strings.Join(left, " ") != strings.Join(wantLeft, " ") {
				t.Errorf("the spool directory holds %d files (%.80q...), want %d (%.80q...)", len(left), strings.Join(left, " "), len(wantLeft), strings.Join(wantLeft, " "))
			}
			if tc.policy == "tracker_dir" {
				markers, _ := filepath.Glob(filepath.Join(spool, ".flumespool", "*.log.COMPLETED"))
				if len(markers) != 2*tc.files {
					t.Errorf("%d markers in the tracker directory, want %d", len(markers), 2*tc.files)
				}
			}
		})
	}
}

func TestSpooldirKill9ResumesWithoutResendingCommittedLines(t *testing.T) {
	dir := t.TempDir()
	spool, out := filepath.Join(dir, "spool"), filepath.Join(dir, "out")
	os.MkdirAll(spool, 0o755)
	env := map[string]string{"FLUMEGO_SPOOL_DIR": spool, "FLUMEGO_CHANNEL_DIR": filepath.Join(dir, "channel"),
		"FLUMEGO_OUT": out, "FLUMEGO_MIN_SPACE": "0"}
	want := spoolFiles(t, spool, "big", 5, 20000)
	kills := 3
	for k := 0; k < kills; k++ {
		p := startAgent(t, example("spooldir-file.hcl"), env)
		time.Sleep(time.Duration(200+rand.IntN(300)) * time.Millisecond)
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
	p := startAgent(t, example("spooldir-file.hcl"), env)
	waitFor(t, 120*time.Second, "every line in the output", func() bool { return countLines(t, out) >= len(want) })
	waitFor(t, 30*time.Second, "every file completed", func() bool {
		left, _ := filepath.Glob(filepath.Join(spool, "*.log"))
		return len(left) == 0
	})
	p.stop(t, syscall.SIGTERM)
	valid := regexp.MustCompile(`^big-\d{3}-\d{5}$`)
	var got []string
	for _, l := range dirLines(t, out) {
		if valid.MatchString(l) {
			got = append(got, l)
		}
	}
	dups := duplicates(t, want, got)
	// At a kill: one source batch (100) committed before its progress was recorded, one sink
	// batch (1000) written but not committed.
	if bound := kills * (100 + 1000); dups > bound {
		t.Errorf("%d duplicates after %d kills, more than the in-flight bound %d", dups, kills, bound)
	}
	t.Logf("%d kills: %d lines, all delivered; %d duplicates", kills, len(want), dups)
}

func TestSpooldirCSVWithFileHeader(t *testing.T) {
	dir := t.TempDir()
	spool := filepath.Join(dir, "spool")
	os.MkdirAll(spool, 0o755)
	p := startAgent(t, example("spooldir-csv-logger.hcl"), map[string]string{"FLUMEGO_SPOOL_DIR": spool})
	csv := "id,url,status\n1,https://example.com/a,200\n2,https://example.com/b,404\n"
	tmp := filepath.Join(dir, "crawl-0001.csv")
	os.WriteFile(tmp, []byte(csv), 0o644)
	os.Rename(tmp, filepath.Join(spool, "crawl-0001.csv"))
	path := filepath.Join(spool, "crawl-0001.csv")
	waitFor(t, 20*time.Second, "the CSV file completed", func() bool {
		_, err := os.Stat(path + ".COMPLETED")
		return err == nil
	})
	headers := fmt.Sprintf("headers:{basename=crawl-0001.csv, file=%s}", path)
	waitFor(t, 20*time.Second, "three events with the file's headers", func() bool {
		return strings.Count(p.out.String(), headers) == 3
	})
	// The logger prints a body 16 bytes a row: look for each line's first row.
	for _, line := range strings.Split(strings.TrimSpace(csv), "\n") {
		if !strings.Contains(p.out.String(), line[:min(16, len(line))]) {
			t.Errorf("no event for %q", line)
		}
	}
	p.stop(t, syscall.SIGTERM)
}

func TestExecTailFollowsTheFileAcrossRotation(t *testing.T) {
	if _, err := exec.LookPath("tail"); err != nil {
		t.Skip("tail (coreutils) is not installed")
	}
	dir := t.TempDir()
	log, out := filepath.Join(dir, "app.log"), filepath.Join(dir, "out")
	os.WriteFile(log, nil, 0o644)
	p := startAgent(t, example("exec-tail.hcl"), map[string]string{
		"FLUMEGO_EXEC_COMMAND": "exec tail -n 0 -F " + log, "FLUMEGO_OUT": out})
	waitFor(t, 10*time.Second, "tail to start", func() bool { return strings.Contains(p.out.String(), "command started") })
	pid := p.cmd.Process.Pid
	w := newLogWriter(t, log, "t")
	time.Sleep(300 * time.Millisecond) // tail -n 0 prints only what is written after it opened the file
	w.write(500)
	waitFor(t, 20*time.Second, "the first lines", func() bool { return countLines(t, out) >= 500 })
	os.Rename(log, log+".1")
	w.reopen() // tail -F follows the new file by name
	time.Sleep(1500 * time.Millisecond)
	w.write(500)
	waitFor(t, 20*time.Second, "the lines of the new file", func() bool { return countLines(t, out) >= 1000 })
	tails := childrenOf(pid)
	p.stop(t, syscall.SIGTERM)
	assertExactlyOnce(t, w.lines(), dirLines(t, out))
	if len(tails) == 0 {
		t.Fatal("found no child process of the agent while it ran")
	}
	waitFor(t, 10*time.Second, "the command to end with the agent", func() bool {
		for _, c := range tails {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", c)); err == nil {
				return false
			}
		}
		return true
	})
}

func TestExecRestartsADyingCommandAfterTheThrottle(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	const throttle = 500 * time.Millisecond
	t0 := time.Now() // before the start: the first run may begin while startAgent waits
	p := startAgent(t, example("exec-tail.hcl"), map[string]string{
		"FLUMEGO_EXEC_COMMAND": "echo run; exit 3", "FLUMEGO_OUT": out, "FLUMEGO_EXEC_THROTTLE": throttle.String()})
	waitFor(t, 20*time.Second, "three runs", func() bool { return countLines(t, out) >= 3 })
	// Two restarts, each after the throttle jittered to between half of it and all of it.
	if el := time.Since(t0); el < throttle {
		t.Errorf("three runs in %v: the throttle of %v (at least %v) between runs was not kept", el, throttle, throttle/2)
	}
	fails := p.metric(t, `flumego_source_command_fail_total{agent="a1",component="r1",type="exec"}`)
	status := p.metric(t, `flumego_source_command_exit_status{agent="a1",component="r1",type="exec"}`)
	p.stop(t, syscall.SIGTERM)
	if fails < 2 || status != 3 {
		t.Errorf("CommandFailCount = %v, CommandExitStatus = %v; want at least 2 and 3", fails, status)
	}
	if !strings.Contains(p.out.String(), "status=3") {
		t.Error("the exit status was not logged")
	}
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		if len(f) > 1 && f[1] == fmt.Sprint(pid) {
			var c int
			fmt.Sscan(e.Name(), &c)
			out = append(out, c)
		}
	}
	return out
}
