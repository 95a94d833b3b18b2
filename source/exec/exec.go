// Package exec is Flume's ExecSource (type "exec"): it runs a command and turns every line the
// command writes to its standard output into one event, as `tail -F /var/log/app.log` users
// expect.
//
// exec gives NO delivery guarantee. What the command printed while the agent was down, or
// while it was being restarted, is never seen again; lines read but not yet committed when the
// agent is killed are lost; a command restarted after a crash starts its output afresh (`tail
// -F` re-prints its last lines: duplicates). Use the taildir source to follow files: it keeps
// delivered positions and survives restarts and rotation.
//
// The command is split on whitespace, or, with shell (such as "/bin/sh -c"), handed whole to
// the shell's words as their last argument, like Flume. It runs in its own process group: when
// the source stops, the whole group gets SIGTERM, then SIGKILL after stopGrace, so a shell and
// its children go too; on Linux the child also gets SIGKILL if the agent dies (kill -9), so no
// command outlives it. Every child is waited for: no zombies. Each exit is logged with its
// status and counted (CommandExitCount; CommandFailCount for a non-zero status or a signal;
// CommandExitStatus, a gauge, holds the last status, -1 for a signal). With restart, an exited
// command is started again after restart_throttle (Flume's default 10s), jittered to between half
// of it and all of it (internal/backoff) so a fleet's commands do not restart in step; without, the source
// stops once it has delivered the command's output.
//
// A line ends at "\n"; one "\r" before it is stripped; a last line without "\n" is delivered
// when the output ends. Lines longer than maxLineLength are split (counted as LongLineCount).
// Lines are delivered in batches of batch_size, or after batch_timeout when fewer came, through
// the processor's Deliver: a full channel stops the reading, so the command blocks on its
// output instead of events being dropped. When the source stops, what was read is delivered
// within stopGrace if the channel takes it. With log_stderr the command's standard error is
// logged, one log line per line (cut at 1 KiB); otherwise it is discarded.
package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	osexec "os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/internal/procgroup"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

const (
	// readSize is the most bytes read from the command's output at once.
	readSize = 64 << 10
	// maxLineLength is the most bytes of one event; longer lines are split.
	maxLineLength = 1 << 20
	// stopGrace is how long a stopping source waits for the command to exit after SIGTERM
	// before SIGKILL, and for its last lines to be delivered.
	stopGrace = 2 * time.Second
	// maxStderrLine is the most bytes of one logged line of standard error.
	maxStderrLine = 1024
)

// Config is the exec source's configuration.
type Config struct {
	// Command is the command line to run.
	Command string `hcl:"command"`
	// Shell, when set, runs Command through it: its words, then Command as one argument.
	Shell string `hcl:"shell,optional"`
	// Restart runs the command again after it exits.
	Restart bool `hcl:"restart,optional"`
	// RestartThrottle is the longest wait before a restart (at least half of it, jittered).
	RestartThrottle time.Duration `hcl:"restart_throttle,optional"`
	// LogStderr logs the command's standard error.
	LogStderr bool `hcl:"log_stderr,optional"`
	// Batch is the most lines delivered in one put (batch_size).
	Batch int `hcl:"batch_size,optional"`
	// BatchTimeout delivers a batch that is not full after this long.
	BatchTimeout time.Duration `hcl:"batch_timeout,optional"`
}

// Defaults returns Flume's defaults: restart_throttle 10s, batch_size 20, batch_timeout 3s.
func Defaults() *Config {
	return &Config{RestartThrottle: 10 * time.Second, Batch: 20, BatchTimeout: 3 * time.Second}
}

// BatchLimit is the most events one put holds, checked against the channels' transaction
// capacity by the config stage; a larger put is split into transactions that fit.
func (c *Config) BatchLimit() source.BatchLimit {
	return source.BatchLimit{Events: c.Batch, Attr: "batch_size"}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Command) == "" {
		errs = append(errs, schema.Errorf("command", "must not be empty"))
	}
	if c.Shell != "" && strings.TrimSpace(c.Shell) == "" {
		errs = append(errs, schema.Errorf("shell", `must name a shell, such as "/bin/sh -c"`))
	}
	if c.Batch < 1 {
		errs = append(errs, schema.Errorf("batch_size", "must be at least 1, got %d", c.Batch))
	}
	if c.BatchTimeout <= 0 {
		errs = append(errs, schema.Errorf("batch_timeout", "must be positive, got %v", c.BatchTimeout))
	}
	return errors.Join(errs...)
}

// NewFactory returns the factory of the exec source.
func NewFactory() source.Factory { return source.NewFactory("exec", Defaults, New, flumeExec) }

// Source is a running exec source.
type Source struct {
	cfg  Config
	args []string
	name string
	log  *slog.Logger
	m    *metrics.Source
	proc source.Processor

	starts, exits, fails, status, longLines *metrics.Counter
}

// New checks the configuration and returns the source; the command is started by Run.
func New(cfg *Config, set source.Settings) (source.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	if set.Processor == nil {
		return nil, errors.New("exec: no processor")
	}
	s := &Source{cfg: *cfg, name: set.Name, log: set.Logger, m: set.Metrics, proc: set.Processor}
	if cfg.Shell != "" {
		s.args = append(strings.Fields(cfg.Shell), cfg.Command)
	} else {
		s.args = strings.Fields(cfg.Command)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.m == nil {
		s.m = metrics.NewRegistry("").Source(set.Name, "exec")
	}
	c := s.m.Component
	s.starts = c.Counter("CommandStartCount")
	s.exits = c.Counter("CommandExitCount")
	s.fails = c.Counter("CommandFailCount")
	s.status = c.Gauge("CommandExitStatus")
	s.longLines = c.Counter("LongLineCount")
	return s, nil
}

// Close does nothing: the source acquires what it needs in Run and releases it there.
func (s *Source) Close(context.Context) error { return nil }

// Run runs the command (again and again with restart) until ctx ends, then stops it and
// returns nil. It returns an error when the command cannot be started and restart is off.
func (s *Source) Run(ctx context.Context) error {
	for {
		err := s.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			s.m.GenericProcessingFail.Inc()
			if !s.cfg.Restart {
				return fmt.Errorf("exec: %w", err)
			}
			s.log.Error("command failed", "err", err)
		}
		if !s.cfg.Restart {
			s.log.Info("command ended; not restarting (restart is off)")
			return nil
		}
		wait := backoff.Jitter(s.cfg.RestartThrottle)
		s.log.Info("restarting command", "after", wait)
		if backoff.Sleep(ctx, wait, nil) != nil {
			return nil
		}
	}
}

// chunk is what the output reader hands the batching loop: a copy of one read.
type chunk struct {
	data []byte
	err  error
}

// runOnce runs the command once, delivering its output until it ends or ctx does.
func (s *Source) runOnce(ctx context.Context) error {
	pr, pw, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("create pipe: %w", err)
	}
	defer pr.Close()
	cmd := osexec.Command(s.args[0], s.args[1:]...)
	cmd.Stdout = pw
	cmd.SysProcAttr = procgroup.SysProcAttr()
	var er, ew *os.File
	if s.cfg.LogStderr {
		if er, ew, err = os.Pipe(); err != nil {
			pw.Close()
			return fmt.Errorf("create pipe: %w", err)
		}
		cmd.Stderr = ew
	}
	err = cmd.Start()
	// The child holds its own copies of the write ends.
	pw.Close()
	if ew != nil {
		ew.Close()
	}
	if err != nil {
		if er != nil {
			er.Close()
		}
		return fmt.Errorf("start %q: %w", strings.Join(s.args, " "), err)
	}
	s.starts.Inc()
	pid := cmd.Process.Pid
	s.log.Info("command started", "command", strings.Join(s.args, " "), "pid", pid)

	var stderrDone sync.WaitGroup
	if er != nil {
		stderrDone.Add(1)
		go func() {
			defer stderrDone.Done()
			defer er.Close()
			s.logStderr(er, pid)
		}()
	}
	chunks := make(chan chunk)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		buf := make([]byte, readSize)
		for {
			n, err := pr.Read(buf)
			var c chunk
			if n > 0 {
				// A copy the size of what was read: the channel may own it for long.
				c.data = append([]byte(nil), buf[:n]...)
			}
			c.err = err
			if n > 0 || err != nil {
				chunks <- c
			}
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()

	b := &batcher{s: s}
	if s.pump(ctx, b, chunks) {
		// The agent is stopping: stop the whole group, then deliver what was read.
		s.kill(pid, exited)
		s.finish(b, chunks)
	} else {
		// The output ended; the command normally exits with it.
		select {
		case <-exited:
		case <-ctx.Done():
			s.kill(pid, exited)
		}
	}
	<-exited
	// Unblock the reader, whose pipe a grandchild may still hold, and wait for it.
	pr.Close()
	go func() {
		for range chunks {
		}
	}()
	<-readerDone
	close(chunks)
	if er != nil {
		// A grandchild may hold standard error open too: read what is left, briefly.
		done := make(chan struct{})
		go func() { stderrDone.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(100 * time.Millisecond):
			er.Close()
			<-done
		}
	}
	s.reportExit(pid, cmd.ProcessState, waitErr)
	return nil
}

// pump reads the command's output into batches and delivers them until the output ends
// (false) or ctx does (true). A batch that is not full is delivered batch_timeout after its
// first line.
func (s *Source) pump(ctx context.Context, b *batcher, chunks <-chan chunk) (stopped bool) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	timing := false
	for {
		select {
		case <-ctx.Done():
			return true
		case <-timer.C:
			timing = false
			if !s.deliver(ctx, b.take()) {
				return true
			}
		case c := <-chunks:
			b.add(c.data)
			if c.err != nil {
				b.last()
			}
			for b.len() >= s.cfg.Batch || c.err != nil && b.len() > 0 {
				if !s.deliver(ctx, b.takeN(s.cfg.Batch)) {
					return true
				}
			}
			if c.err != nil {
				if !errors.Is(c.err, io.EOF) && !errors.Is(c.err, os.ErrClosed) {
					s.m.EventReadFail.Inc()
					s.log.Warn("reading the command's output failed", "err", c.err)
				}
				return false
			}
			switch {
			case b.len() > 0 && !timing:
				timer.Reset(s.cfg.BatchTimeout)
				timing = true
			case b.len() == 0 && timing:
				timer.Stop()
				timing = false
			}
		}
	}
}

// deliver delivers a batch; it reports false when ctx ended first (the batch is then lost,
// which the package doc states).
func (s *Source) deliver(ctx context.Context, events []channel.Event) bool {
	if len(events) == 0 {
		return true
	}
	if err := s.proc.Deliver(ctx, events); err != nil {
		if ctx.Err() != nil {
			return false
		}
		s.m.GenericProcessingFail.Inc()
		s.log.Error("cannot deliver lines; they are dropped", "events", len(events), "err", err)
	}
	return true
}

// kill stops the command's process group: SIGTERM, then SIGKILL after stopGrace.
func (s *Source) kill(pid int, exited <-chan struct{}) {
	if procgroup.Stop(pid, exited, stopGrace) {
		s.log.Warn("command did not exit after SIGTERM; killed it", "pid", pid)
	}
}

// finish delivers, within stopGrace, what the stopped command printed: what is in the pipe
// until it ends or stays quiet for a moment, and what was already read.
func (s *Source) finish(b *batcher, chunks <-chan chunk) {
	ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	quiet := time.NewTimer(100 * time.Millisecond)
	defer quiet.Stop()
read:
	for {
		select {
		case c := <-chunks:
			b.add(c.data)
			if c.err != nil {
				b.last()
				break read
			}
			quiet.Reset(100 * time.Millisecond)
		case <-quiet.C:
			break read
		case <-ctx.Done():
			break read
		}
	}
	for b.len() > 0 {
		if err := s.proc.Deliver(ctx, b.takeN(s.cfg.Batch)); err != nil {
			s.log.Warn("stopping: lines of the command not delivered", "err", err)
			return
		}
	}
}

func (s *Source) reportExit(pid int, ps *os.ProcessState, waitErr error) {
	s.exits.Inc()
	if ps == nil {
		s.fails.Inc()
		s.log.Warn("command ended", "pid", pid, "err", waitErr)
		return
	}
	code := ps.ExitCode()
	s.status.Set(int64(code))
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		s.fails.Inc()
		s.log.Warn("command killed by a signal", "pid", pid, "signal", ws.Signal().String())
		return
	}
	if code != 0 {
		s.fails.Inc()
		s.log.Warn("command exited", "pid", pid, "status", code)
		return
	}
	s.log.Info("command exited", "pid", pid, "status", 0)
}

// logStderr logs the command's standard error line by line.
func (s *Source) logStderr(r io.Reader, pid int) {
	buf := make([]byte, 0, 4096)
	tmp := make([]byte, 4096)
	for {
		n, err := r.Read(tmp)
		buf = append(buf, tmp[:n]...)
		for {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				break
			}
			s.stderrLine(buf[:i], pid)
			buf = buf[i+1:]
		}
		if len(buf) > maxStderrLine {
			s.stderrLine(buf, pid)
			buf = buf[:0]
		}
		buf = append(make([]byte, 0, 4096), buf...)
		if err != nil {
			if len(buf) > 0 {
				s.stderrLine(buf, pid)
			}
			return
		}
	}
}

func (s *Source) stderrLine(l []byte, pid int) {
	l = bytes.TrimSuffix(l, []byte("\r"))
	if len(l) > maxStderrLine {
		l = l[:maxStderrLine]
	}
	s.log.Info("command stderr", "pid", pid, "line", string(l))
}

// batcher splits the command's output into line events. Bodies are slices of the chunks
// (fresh copies, never reused), so a line costs no allocation unless it spans two reads.
type batcher struct {
	s       *Source
	partial []byte // the start of a line whose end has not been read yet
	events  []channel.Event
}

func (b *batcher) len() int { return len(b.events) }

// add splits data into lines; the unterminated rest waits for the next chunk.
func (b *batcher) add(data []byte) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			b.partial = append(b.partial, data...)
			for len(b.partial) > maxLineLength+1 { // +1: the "\r" of a "\r\n" still to come
				b.s.longLines.Inc()
				b.emit(b.partial[:maxLineLength:maxLineLength])
				b.partial = append([]byte(nil), b.partial[maxLineLength:]...)
			}
			return
		}
		line := data[:i:i]
		data = data[i+1:]
		if len(b.partial) > 0 {
			line = append(b.partial, line...)
			b.partial = nil
		}
		b.line(line)
	}
}

// line emits one complete line, without its "\r", split into events of maxLineLength.
func (b *batcher) line(line []byte) {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[: n-1 : n-1]
	}
	for len(line) > maxLineLength {
		b.s.longLines.Inc()
		b.emit(line[:maxLineLength:maxLineLength])
		line = line[maxLineLength:]
	}
	b.emit(line)
}

// last ends the output: an unterminated last line is an event.
func (b *batcher) last() {
	if len(b.partial) > 0 {
		b.line(b.partial)
		b.partial = nil
	}
}

func (b *batcher) emit(line []byte) {
	b.events = append(b.events, channel.Event{Body: line})
}

// take hands out every event; takeN the first n. The slices handed out are not used again.
func (b *batcher) take() []channel.Event { return b.takeN(len(b.events)) }

func (b *batcher) takeN(n int) []channel.Event {
	n = min(n, len(b.events))
	out := b.events[:n:n]
	rest := b.events[n:]
	b.events = append(make([]channel.Event, 0, max(len(rest), b.s.cfg.Batch)), rest...)
	return out
}
