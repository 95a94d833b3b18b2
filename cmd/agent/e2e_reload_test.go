package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/testkit"
)

// Hot reload through the real binary: the config file is edited while events flow, the way an
// operator (or a configuration manager, or Kubernetes updating a ConfigMap) does it.

// reloadFlow is the agent the reload tests edit: netcat → file channel → file_roll k1 (and k3
// when added), and taildir → memory channel → file_roll k2, with a static interceptor on the
// taildir source.
type reloadFlow struct {
	dir, logs string
	port      int

	k3      bool   // a second sink on the netcat flow's channel
	stage   string // the taildir source's static interceptor value
	k2Batch int
	broken  bool // a misspelt attribute: the file is rejected
}

func (f reloadFlow) render() string {
	k3 := ""
	if f.k3 {
		k3 = fmt.Sprintf(`
  sink "file_roll" "k3" {
    channel       = "c1"
    directory     = %q
    roll_interval = 0
  }`, filepath.Join(f.dir, "out3"))
	}
	broken := ""
	if f.broken {
		broken = "batch_sise = 5"
	}
	return fmt.Sprintf(`# Edited by TestReloadUnderLoadDeliversEveryEventOnce.
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = %d
    channels = ["c1"]
  }
  source "taildir" "t1" {
    channels      = ["c2"]
    position_file = %q
    filegroup "app" {
      path = %q
    }
    interceptor "static" {
      key   = "stage"
      value = %q
    }
  }

  channel "file" "c1" {
    dir                    = %q
    transaction_capacity   = 1000
    minimum_required_space = 0
  }
  channel "memory" "c2" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = %q
    roll_interval = 0
  }
  sink "file_roll" "k2" {
    channel       = "c2"
    directory     = %q
    roll_interval = 0
    batch_size    = %d
    %s
  }%s

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
`, f.port, filepath.Join(f.dir, "state", "taildir.json"), filepath.Join(f.logs, "*.log"), f.stage,
		filepath.Join(f.dir, "channel"), filepath.Join(f.dir, "out1"), filepath.Join(f.dir, "out2"), f.k2Batch, broken, k3)
}

// writeConfig replaces path's content: in place (truncate and write, as `>` in a shell), or
// the way most editors and configuration managers do, writing a new file and renaming it over
// the old one.
func writeConfig(t *testing.T, path, content string, inPlace bool) {
	t.Helper()
	if inPlace {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// ackedSender sends numbered lines over one netcat connection, kept open for the whole test, in
// chunks, each acknowledged line by line before the next chunk goes.
type ackedSender struct {
	mu    sync.Mutex
	acked []string
	err   error
	stop  chan struct{}
	done  chan struct{}
}

func startAckedSender(t *testing.T, addr string) *ackedSender {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s := &ackedSender{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer c.Close()
		r := bufio.NewReader(c)
		for next := 0; ; {
			select {
			case <-s.stop:
				return
			default:
			}
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			chunk := numbered(fmt.Sprintf("nc-%d-", next/20), 20)
			var b strings.Builder
			for _, l := range chunk {
				b.WriteString(l + "\n")
			}
			if _, err := c.Write([]byte(b.String())); err != nil {
				s.fail(err)
				return
			}
			for _, l := range chunk {
				ack, err := r.ReadString('\n')
				if err != nil || ack != "OK\n" {
					s.fail(fmt.Errorf("ack of %s: %q, %v", l, ack, err))
					return
				}
				s.mu.Lock()
				s.acked = append(s.acked, l)
				s.mu.Unlock()
			}
			next += 20
		}
	}()
	return s
}

func (s *ackedSender) fail(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// count returns how many lines were acknowledged so far; it fails the test at once when the
// connection broke.
func (s *ackedSender) count(t *testing.T) int {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		t.Fatalf("the connection opened before the reloads broke: %v", s.err)
	}
	return len(s.acked)
}

// finish stops the sender and returns every acknowledged line.
func (s *ackedSender) finish(t *testing.T) []string {
	t.Helper()
	close(s.stop)
	<-s.done
	if s.err != nil {
		t.Fatalf("the connection opened before the reloads broke: %v", s.err)
	}
	return s.acked
}

// appender appends numbered lines to a log file, a few every millisecond, until stopped.
type appender struct {
	stop, done chan struct{}
	lines      []string
	err        error
}

func startAppender(path, prefix string) *appender {
	a := &appender{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			a.err = err
			return
		}
		defer f.Close()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-a.stop:
				return
			case <-tick.C:
			}
			batch := numbered(fmt.Sprintf("%s%d-", prefix, len(a.lines)/5), 5)
			if _, err := f.WriteString(strings.Join(batch, "\n") + "\n"); err != nil {
				a.err = err
				return
			}
			a.lines = append(a.lines, batch...)
		}
	}()
	return a
}

func (a *appender) finish(t *testing.T) []string {
	t.Helper()
	close(a.stop)
	<-a.done
	if a.err != nil {
		t.Fatal(a.err)
	}
	return a.lines
}

func TestReloadUnderLoadDeliversEveryEventOnce(t *testing.T) {
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	logs := filepath.Join(dir, "logs")
	for _, d := range []string{etc, logs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := filepath.Join(etc, "agent.hcl")
	flow := reloadFlow{dir: dir, logs: logs, port: testkit.FreePort(t), stage: "one", k2Batch: 100}
	writeConfig(t, cfgPath, flow.render(), false)

	p := startAgent(t, cfgPath, nil)
	waitFor(t, 10*time.Second, "the taildir source to start", func() bool { return strings.Contains(p.out.String(), "msg=tailing") })
	sender := startAckedSender(t, fmt.Sprintf("127.0.0.1:%d", flow.port))
	tail := startAppender(filepath.Join(logs, "app.log"), "tail-")

	const (
		ncAccepted   = `flumego_source_event_accepted_total{agent="a1",component="r1",type="netcat"}`
		tailAccepted = `flumego_source_event_accepted_total{agent="a1",component="t1",type="taildir"}`
		c1Puts       = `flumego_channel_event_put_success_total{agent="a1",component="c1",type="file"}`
	)
	steps := []struct {
		name    string
		change  func(*reloadFlow)
		inPlace bool
		outcome string // the log line that says the reload was handled
	}{
		{"add a sink", func(f *reloadFlow) { f.k3 = true }, false, "reload: applied"},
		{"an invalid config", func(f *reloadFlow) { f.broken = true }, false, "config rejected"},
		{"change an interceptor", func(f *reloadFlow) { f.broken, f.stage = false, "two" }, false, "reload: applied"},
		{"change a sink setting", func(f *reloadFlow) { f.k2Batch = 50 }, true, "reload: applied"},
		{"remove a sink", func(f *reloadFlow) { f.k3 = false }, false, "reload: applied"},
	}
	for _, st := range steps {
		// Let events flow between reloads, and check the counters never go back.
		before := p.metric(t, ncAccepted)
		sent := sender.count(t)
		waitFor(t, 20*time.Second, "events to flow before: "+st.name, func() bool {
			return sender.count(t) >= sent+100 && p.metric(t, tailAccepted) > 0
		})
		handled := strings.Count(p.out.String(), st.outcome)
		st.change(&flow)
		writeConfig(t, cfgPath, flow.render(), st.inPlace)
		waitFor(t, 20*time.Second, st.name+": "+st.outcome, func() bool {
			return strings.Count(p.out.String(), st.outcome) > handled
		})
		if now := p.metric(t, ncAccepted); now < before {
			t.Fatalf("%s: netcat's EventAcceptedCount went back from %v to %v", st.name, before, now)
		}
	}
	sent := sender.count(t)
	waitFor(t, 20*time.Second, "netcat events to flow after the reloads", func() bool { return sender.count(t) >= sent+100 })

	netcatLines := sender.finish(t)
	tailLines := tail.finish(t)
	outs := func(names ...string) []string {
		var all []string
		for _, n := range names {
			all = append(all, dirLines(t, filepath.Join(dir, n))...)
		}
		return all
	}
	waitFor(t, 60*time.Second, "every event in the sinks' files", func() bool {
		return len(outs("out1", "out3")) >= len(netcatLines) && len(outs("out2")) >= len(tailLines)
	})
	// Counters of components that stayed (r1, c1) or came back under the same name and type
	// (t1) continue across the reloads: they count every event once.
	for series, want := range map[string]int{ncAccepted: len(netcatLines), c1Puts: len(netcatLines), tailAccepted: len(tailLines)} {
		if got := p.metric(t, series); got != float64(want) {
			t.Errorf("%s = %v, want %d", series, got, want)
		}
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
	t.Logf("%d netcat lines, %d taildir lines through 5 config changes", len(netcatLines), len(tailLines))
	assertExactlyOnce(t, netcatLines, outs("out1", "out3"))
	assertExactlyOnce(t, tailLines, outs("out2"))
	if len(dirLines(t, filepath.Join(dir, "out3"))) == 0 {
		t.Error("the added sink k3 delivered nothing")
	}

	out := p.out.String()
	// The rejected file was reported at the misspelt attribute, file:line:col.
	if !regexp.MustCompile(regexp.QuoteMeta(cfgPath) + `:\d+:\d+: error: .*batch_sise`).MatchString(out) {
		t.Error("the rejected config's diagnostic with file:line:col is not in the log")
	}
	// The netcat source never changed: it was started and bound once.
	if n := strings.Count(out, "msg=listening component=source/r1"); n != 1 {
		t.Errorf("the netcat source started listening %d times, want 1", n)
	}
	// The taildir source was restarted once (its interceptor changed), from its positions.
	if n := strings.Count(out, "msg=tailing component=source/t1"); n != 2 {
		t.Errorf("the taildir source started %d times, want 2", n)
	}
}

// netcatToDir is a netcat → memory → file_roll agent writing into out.
func netcatToDir(port int, out string) string {
	return fmt.Sprintf(`agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = %d
    channels = ["c1"]
  }
  channel "memory" "c1" {}
  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = %q
    roll_interval = 0
  }
  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
`, port, out)
}

func TestNoReloadConfIgnoresFileChangesButNotSIGHUP(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.hcl")
	port := testkit.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	writeConfig(t, cfg, netcatToDir(port, filepath.Join(dir, "out1")), false)
	p := startAgent(t, cfg, nil, "--no-reload-conf", "--reload-poll", "50ms")

	writeConfig(t, cfg, netcatToDir(port, filepath.Join(dir, "out2")), false)
	// Nothing to wait for: the agent must not react. Give it many polls' and settle times.
	time.Sleep(500 * time.Millisecond)
	if strings.Contains(p.out.String(), "reloading the configuration") {
		t.Fatal("the agent reloaded a changed file despite --no-reload-conf")
	}
	sendLines(t, addr, []string{"before"}, true)
	waitFor(t, 10*time.Second, "the line in the first sink's directory", func() bool {
		return len(dirLines(t, filepath.Join(dir, "out1"))) == 1
	})

	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "the reload on SIGHUP", func() bool { return strings.Contains(p.out.String(), "reload: applied") })
	sendLines(t, addr, []string{"after"}, true)
	waitFor(t, 10*time.Second, "the line in the new sink's directory", func() bool {
		return len(dirLines(t, filepath.Join(dir, "out2"))) == 1
	})
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
}

func TestReloadFollowsAKubernetesConfigMapUpdate(t *testing.T) {
	// The layout kubelet gives a mounted ConfigMap: agent.hcl → ..data/agent.hcl, and
	// ..data → a timestamped directory, swapped by one rename on update.
	dir := t.TempDir()
	mount := filepath.Join(dir, "config")
	port := testkit.FreePort(t)
	version := func(n int) {
		v := filepath.Join(mount, fmt.Sprintf("..2026_01_0%d", n))
		if err := os.MkdirAll(v, 0o755); err != nil {
			t.Fatal(err)
		}
		writeConfig(t, filepath.Join(v, "agent.hcl"), netcatToDir(port, filepath.Join(dir, fmt.Sprint("out", n))), false)
		tmp := filepath.Join(mount, "..data_tmp")
		if err := os.Symlink(filepath.Base(v), tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(mount, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	version(1)
	if err := os.Symlink(filepath.Join("..data", "agent.hcl"), filepath.Join(mount, "agent.hcl")); err != nil {
		t.Fatal(err)
	}
	p := startAgent(t, filepath.Join(mount, "agent.hcl"), nil)
	version(2)
	waitFor(t, 10*time.Second, "the reload after the ConfigMap update", func() bool {
		return strings.Contains(p.out.String(), "reload: applied")
	})
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), []string{"hello"}, true)
	waitFor(t, 10*time.Second, "the line in the updated sink's directory", func() bool {
		return len(dirLines(t, filepath.Join(dir, "out2"))) == 1
	})
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
}

func TestReloadSeesAConfigChangedWhileTheAgentStarts(t *testing.T) {
	// The file is replaced at the earliest moment an operator's tooling could: as soon as the
	// agent has read it (its first output is the warning about the spare channel) and while it
	// is still building its components (opening a file channel). The change must be applied within seconds, not at the
	// next 30s poll.
	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.hcl")
	port := testkit.FreePort(t)
	version := func(n int) string {
		return strings.Replace(netcatToDir(port, filepath.Join(dir, fmt.Sprint("out", n))),
			`channel "memory" "c1" {}`, fmt.Sprintf(`channel "file" "c1" {
    dir                    = %q
    minimum_required_space = 0
  }
  channel "memory" "spare" {}`, filepath.Join(dir, "channel")), 1)
	}
	writeConfig(t, cfg, version(1), false)
	p := launchAgent(t, cfg, nil)
	waitFor(t, 30*time.Second, "the agent to have read its config", func() bool {
		return strings.Contains(p.out.String(), `channel "memory" "spare" is not used`)
	})
	writeConfig(t, cfg, version(2), false)
	if !p.waitStarted(t) {
		t.Fatalf("agent exited during start-up: %v", p.err)
	}
	waitFor(t, 10*time.Second, "the reload of the config changed during start-up", func() bool {
		return strings.Contains(p.out.String(), "reload: applied")
	})
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), []string{"hello"}, true)
	waitFor(t, 10*time.Second, "the line in the new sink's directory", func() bool {
		return len(dirLines(t, filepath.Join(dir, "out2"))) == 1
	})
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
}
