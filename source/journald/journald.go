// Package journald is the journald source (type "journald"): it follows the systemd journal
// by running journalctl (--follow --output=export), the way Vector does, so no cgo and no
// libsystemd are needed, and it reads whatever journalctl reads: the system's journal, a
// directory of journal files (directory, such as systemd-journal-remote's output) or files.
//
// One event per entry: the body is MESSAGE (binary-safe: a MESSAGE with newlines or binary
// bytes arrives as it was logged), the other fields are headers under their journal names
// (_SYSTEMD_UNIT, PRIORITY, _HOSTNAME, SYSLOG_IDENTIFIER, _PID, ...), and timestamp is
// __REALTIME_TIMESTAMP in epoch milliseconds (so hdfs escapes and the JSON serializer use it).
// Fields named "__..." (the cursor, the monotonic stamp) are left out unless `fields` names
// them; `fields` keeps only the fields it names, `exclude_fields` drops fields. A field longer
// than max_field_bytes is cut there (EventTruncatedCount).
//
// Delivery: entries are put in batches of at most batch_size (what journalctl has written so
// far, without waiting for a full batch); the cursor of a batch's last entry is saved to the
// cursor file (atomically and durably, like the taildir position file) only after the batch's
// put committed. A restart — after a clean stop, a crash or kill -9 — resumes after that cursor
// (journalctl --after-cursor): nothing is lost and at most the batch in flight comes again.
// Without a saved cursor the source starts at the beginning of the journal (of the current boot
// with current_boot_only, the default), or at its end with since_now.
//
// Filters are journalctl's: units (--unit, which also matches systemd's own messages about a
// unit) and identifiers (--identifier) are alternatives within their kind, and the kinds and
// matches are all required together, as journalctl combines them; matches take journalctl's
// "FIELD=value" terms and "+" between alternatives.
//
// journalctl runs in its own process group and dies with the agent. If it exits or prints
// something that is not the export format, the entries read so far are delivered, the exit (or
// the bad bytes) is logged with journalctl's last standard-error lines and counted
// (JournalctlExitCount, EventReadFail), and it is started again after a back-off, from the
// saved cursor. A cursor journalctl refuses is set aside (renamed *.invalid) and the journal is
// read from the beginning: duplicates rather than loss. journalctl missing fails this source at
// start with a clear error, and the agent keeps its other flows. Reading the system journal
// needs root or membership of the systemd-journal group.
package journald

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	osexec "os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/internal/fsync"
	"github.com/flumego/flumego/internal/procgroup"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

const (
	// stopGrace is how long journalctl has to exit after SIGTERM before SIGKILL.
	stopGrace = 2 * time.Second
	// stderrLines is how many of journalctl's last standard-error lines are kept for the log.
	stderrLines = 5
	// healthyRun is how long a journalctl must have run for its exit to restart the back-off.
	healthyRun = 10 * time.Second
)

// NewFactory returns the factory of the journald source.
func NewFactory() source.Factory { return source.NewFactory("journald", Defaults, New) }

// Source is a running journald source.
type Source struct {
	cfg     Config
	name    string
	log     *slog.Logger
	m       *metrics.Source
	proc    source.Processor
	cursorF string
	keep    map[string]bool // fields, when set
	drop    map[string]bool // exclude_fields

	cursor string // of the last entry delivered

	// The read loop's scratch: the cursor of the last entry read, and the header values of the
	// event being built.
	last []byte
	vals []byte
	ends []headerEnd

	starts, exits, truncated *metrics.Counter
}

// New checks the configuration and returns the source; journalctl is started by Run.
func New(cfg *Config, set source.Settings) (source.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("journald: %w", err)
	}
	if set.Processor == nil {
		return nil, errors.New("journald: no processor")
	}
	path, err := cfg.cursorPath(set.Name, set.DataDir)
	if err != nil {
		return nil, fmt.Errorf("journald: %w", err)
	}
	s := &Source{cfg: *cfg, name: set.Name, log: set.Logger, m: set.Metrics, proc: set.Processor, cursorF: path}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.m == nil {
		s.m = metrics.NewRegistry("").Source(set.Name, "journald")
	}
	if len(cfg.Fields) > 0 {
		s.keep = set0(cfg.Fields)
	}
	s.drop = set0(cfg.ExcludeFields)
	c := s.m.Component
	s.starts = c.Counter("JournalctlStartCount")
	s.exits = c.Counter("JournalctlExitCount")
	s.truncated = c.Counter("EventTruncatedCount")

	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		s.cursor = strings.TrimSpace(string(b))
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("journald: cursor file: %w", err)
	}
	return s, nil
}

func set0(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Close does nothing: the source starts journalctl in Run and stops it there.
func (s *Source) Close(context.Context) error { return nil }

// Run follows the journal until ctx ends, then stops journalctl and returns nil. It returns an
// error at once when journalctl cannot be found.
func (s *Source) Run(ctx context.Context) error {
	prog, err := osexec.LookPath(s.cfg.Journalctl)
	if err != nil {
		return fmt.Errorf("journald: %q not found (install systemd's journalctl, or set journalctl to its path): %w", s.cfg.Journalctl, err)
	}
	if s.cursor != "" {
		s.log.Info("resuming after the saved cursor", "cursor_file", s.cursorF)
	}
	bo := backoff.New(time.Second, 30*time.Second)
	for {
		started := time.Now()
		err := s.follow(ctx, prog)
		if ctx.Err() != nil {
			return nil
		}
		s.exits.Inc()
		s.log.Warn("journalctl stopped; starting it again after a back-off", "err", err)
		if time.Since(started) >= healthyRun {
			bo.Reset()
		}
		if bo.Wait(ctx, nil) != nil {
			return nil
		}
	}
}

// follow runs journalctl once, delivering its entries until it ends, its output stops being
// the export format, or ctx ends. It returns why journalctl ended.
func (s *Source) follow(ctx context.Context, prog string) error {
	cmd := osexec.Command(prog, s.cfg.args(s.cursor)...)
	cmd.SysProcAttr = procgroup.SysProcAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr := &tail{n: stderrLines}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", prog, err)
	}
	s.starts.Inc()
	exited := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
		case <-exited:
			return
		}
		procgroup.Stop(cmd.Process.Pid, exited, stopGrace)
	}()

	readErr := s.read(ctx, stdout)
	if readErr != nil {
		// Bad bytes, or a put abandoned at stop: journalctl goes, and starts again from the
		// saved cursor.
		procgroup.Kill(cmd.Process.Pid)
	}
	_, _ = io.Copy(io.Discard, stdout)
	waitErr := cmd.Wait()
	close(exited)
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	if msg := stderr.String(); strings.Contains(msg, "Failed to seek to cursor") && s.cursor != "" {
		s.setCursorAside(msg)
	}
	switch {
	case readErr != nil:
		return readErr
	case waitErr != nil:
		return fmt.Errorf("journalctl: %w; stderr: %q", waitErr, stderr.String())
	default:
		return fmt.Errorf("journalctl exited; stderr: %q", stderr.String())
	}
}

// read parses entries from r and delivers them, a batch at a time, until r ends (nil) or is
// not the export format, or ctx ends (an error).
func (s *Source) read(ctx context.Context, r io.Reader) error {
	er := newExportReader(r, int(s.cfg.MaxFieldBytes))
	var e entry
	batch := make([]channel.Event, 0, min(s.cfg.Batch, 1024))
	s.last = s.last[:0] // a cursor read before and not delivered is not this run's
	for {
		err := er.next(&e)
		if err == nil {
			batch = append(batch, s.event(&e))
			if len(batch) < s.cfg.Batch && er.br.Buffered() > 0 {
				continue // journalctl has written more already: fill the batch
			}
		}
		if len(batch) > 0 {
			if derr := s.deliver(ctx, batch); derr != nil {
				return derr
			}
			batch = make([]channel.Event, 0, cap(batch))
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, errNotExport), errors.Is(err, io.ErrUnexpectedEOF):
			s.m.EventReadFail.Inc()
			return fmt.Errorf("journalctl's output: %w", err)
		default:
			return fmt.Errorf("read journalctl's output: %w", err)
		}
	}
}

// deliver puts a batch and, once it committed, saves the cursor of its last entry (s.last).
func (s *Source) deliver(ctx context.Context, batch []channel.Event) error {
	if err := s.proc.Deliver(ctx, batch); err != nil {
		return err // ctx ended: not committed, so the cursor stays where it was
	}
	if len(s.last) == 0 || string(s.last) == s.cursor {
		return nil
	}
	cursor := string(s.last)
	s.cursor = cursor
	if err := fsync.ReplaceFile(s.cursorF, []byte(cursor+"\n"), 0o644); err != nil {
		// Delivered, but a restart would read it again: duplicates, never loss.
		s.m.GenericProcessingFail.Inc()
		s.log.Warn("cannot save the cursor; a restart will deliver these entries again", "cursor_file", s.cursorF, "err", err)
	}
	return nil
}

// event turns an entry into an event, and keeps the entry's cursor in s.last. The header values
// share one string, so an event costs its map, its body and that string.
func (s *Source) event(e *entry) channel.Event {
	var ev channel.Event
	vals, ends := s.vals[:0], s.ends[:0] // ends[i]: where header i's value ends in vals
	for i, f := range e.fields {
		switch f.name {
		case "MESSAGE":
			ev.Body = bytes.Clone(f.value)
			continue
		case "__CURSOR":
			s.last = append(s.last[:0], f.value...)
		case "__REALTIME_TIMESTAMP":
			if us, err := strconv.ParseInt(string(f.value), 10, 64); err == nil {
				vals = strconv.AppendInt(vals, us/1000, 10)
				ends = append(ends, headerEnd{field: -1, end: len(vals)})
			}
		}
		if s.drop[f.name] || s.keep != nil && !s.keep[f.name] || s.keep == nil && strings.HasPrefix(f.name, "__") {
			continue
		}
		vals = append(vals, f.value...)
		ends = append(ends, headerEnd{field: i, end: len(vals)})
	}
	s.vals, s.ends = vals, ends
	if cap(s.vals) > 4<<20 {
		s.vals = nil // do not keep one huge entry's memory
	}
	if e.truncated > 0 {
		s.truncated.Add(int64(e.truncated))
	}
	if len(ends) == 0 {
		return ev
	}
	all := string(vals)
	ev.Headers = make(map[string]string, len(ends))
	start := 0
	for _, sp := range ends {
		name := "timestamp"
		if sp.field >= 0 {
			name = e.fields[sp.field].name
		}
		ev.Headers[name] = all[start:sp.end]
		start = sp.end
	}
	return ev
}

// headerEnd is a header value in Source.vals: the field it comes from (-1: timestamp) and
// where it ends.
type headerEnd struct{ field, end int }

// setCursorAside handles a cursor journalctl refused: the file is renamed *.invalid and the
// journal is read from the beginning, so nothing after the lost position is skipped.
func (s *Source) setCursorAside(stderr string) {
	aside := s.cursorF + ".invalid"
	if err := os.Rename(s.cursorF, aside); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Error("journalctl refused the saved cursor, and it cannot be set aside", "cursor_file", s.cursorF, "err", err)
		return
	}
	s.log.Error("journalctl refused the saved cursor; it is set aside and the journal is read from the beginning (duplicates rather than loss)",
		"cursor_file", aside, "stderr", stderr)
	s.cursor = ""
	s.cfg.SinceNow = false
}

// tail keeps the last n lines written to it (journalctl's standard error), each cut at 512
// bytes.
type tail struct {
	mu    sync.Mutex
	n     int
	lines []string
	part  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range p {
		if b != '\n' {
			if len(t.part) < 512 {
				t.part = append(t.part, b)
			}
			continue
		}
		t.lines = append(t.lines, string(t.part))
		t.part = t.part[:0]
		if len(t.lines) > t.n {
			t.lines = t.lines[1:]
		}
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := strings.Join(t.lines, "\n")
	if len(t.part) > 0 {
		out += "\n" + string(t.part)
	}
	return strings.TrimSpace(out)
}
