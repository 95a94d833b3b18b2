// Package taildir is Flume's TAILDIR source (type "taildir"): it follows the files matched by
// globs, turns each line into an event, and remembers in a position file how far each file has
// been delivered, so that a restarted agent carries on where it stopped, through any rotation.
//
// # Discovery
//
// Each filegroup's path is a glob (filepath.Match syntax) in the file name and in directories
// ("/var/log/*/app-*.log"). New and changed files are noticed through inotify (fsnotify) on the
// directories the globs can match; every poll_interval the globs are matched again and every
// file is checked for growth, for file systems whose notifications do not arrive (NFS, some FUSE
// mounts) and for directories created after start-up. A file matched by several groups belongs
// to the first.
//
// # Identity and rotation
//
// A file is known by its device and inode and by a fingerprint, the CRC-64 of its first bytes
// (up to 1 KiB), so a recycled inode (a file deleted and another created, which ext4 does at
// once) is a new file, read from its start. The fingerprint is checked whenever a file is
// reopened and whenever it changed size, so:
//   - rename rotation (logrotate's create): the renamed file is read to its end, kept open while
//     its writer may still append (rotate_wait after it stopped growing), then released; the new
//     file is read from its start. If the new name still matches a glob nothing changes but the
//     name.
//   - copytruncate and truncation: a file shorter than its position, or whose first bytes
//     changed, is read again from offset 0.
//   - a deleted file is read to its end through the descriptor the source holds, then released
//     like a renamed one. It is never held for ever: a deleted file still not read to its end
//     idle_timeout after its deletion (the channel stayed full that long) is released anyway, and
//     the bytes left unread are logged and counted (AbandonedByteCount). Data a file gets while
//     the source does not hold it open (closed after idle_timeout, or over max_open_files), and
//     which is renamed out of every glob or deleted before the source reopens it, cannot be
//     read: the source reopens such files within milliseconds of a change notification, or
//     within poll_interval without notifications.
//
// At most max_open_files files are open at once (0: no limit). Files beyond are opened in turn:
// a file that has been read to its end is closed to make room for one that has data. A file
// that has not changed for idle_timeout is closed, and reopened when it changes.
//
// # Lines and events
//
// A line ends at "\n"; one "\r" before it is stripped. A last line without "\n" is waited for,
// except in a file that was rotated away or deleted: when such a file is released, what is left
// is delivered as the last event. A line longer than max_line_length is split into events of
// that length (line_overflow "split", nothing lost) or truncated to it, the rest discarded
// ("truncate"); either way LongLineCount counts it. With a multiline block, lines are joined
// (with "\n") as Filebeat does: with match "after", each line matching pattern (or not, with
// negate) is appended to the line before it; with "before", to the line after it. An event holds
// at most max_lines lines and max_line_length bytes; an event still open when no line came for
// timeout is delivered as it is. Bodies are bytes as read (no charset decoding). Headers: the
// group's headers, "byteoffset" (the offset of the event's first byte) with byte_offset_header,
// and the file's path under file_header_key with file_header. With ecs_headers, what a
// Filebeat-compatible serializer needs: "log.file.path" (absolute), "log.offset" (the offset of
// the event's first byte, for a joined event its first line's), "log.flags" = "multiline" for
// an event that joined several lines, and "timestamp" (epoch ms when the batch was read) unless
// the event has one already. With none of these and no group headers, events have no header
// map: the options cost nothing when off.
//
// # Delivery and positions
//
// Lines are read in large blocks into one buffer and copied, a batch at a time, into one slab
// per batch (the channel owns a body once put; the buffer is reused). Each batch goes through
// the processor's Deliver, which waits while a channel is full: reading stops, nothing is
// dropped. Only when Deliver returns nil does the file's position move past the batch.
// Positions are kept in Flume's JSON format, [{"inode":N,"pos":N,"file":"/path"}], with
// flumego's fields "dev", "fp" and "fplen" added; a Flume TAILDIR position file is read as it
// is (entries are matched by inode, and by fingerprint when there is one). The file is
// rewritten atomically (temporary file, fsync, rename, directory fsync) every
// write_pos_interval when positions moved, and at stop; between two writes each committed
// batch appends its position to <position_file>.journal (no fsync), so after kill -9 only the
// batch in flight is delivered again (see journal). Apache Flume's own reader rejects unknown
// fields: to go back to Flume, strip them with `jq '[.[] | {inode, pos, file}]'`.
//
// position_file defaults to <data_dir>/taildir-<source name>.json; an agent without data_dir
// must set it. Files found at start-up that have no position start at offset 0, or at their end
// with skip_to_end; files created later always start at 0.
package taildir

import (
	"context"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

const (
	// fpSize is how many first bytes of a file make its fingerprint.
	fpSize = 1024
	// minReadBuffer is the smallest read buffer: large reads make few system calls.
	minReadBuffer = 1 << 20
	// drainSlice bounds the bytes read from one file before the source looks at its other
	// files and its housekeeping again.
	drainSlice = 32 << 20
	// byteOffsetKey is Flume's header for byte_offset_header.
	byteOffsetKey = "byteoffset"
)

// The headers of ecs_headers, named as Filebeat's fields, which a Filebeat-compatible
// serializer maps them to.
const (
	// HeaderFilePath is the file's absolute path, as matched by the glob.
	HeaderFilePath = "log.file.path"
	// HeaderOffset is the decimal byte offset in the file of the event's first byte.
	HeaderOffset = "log.offset"
	// HeaderFlags is FlagMultiline for an event that joined several lines, absent otherwise.
	HeaderFlags = "log.flags"
	// HeaderTimestamp is the event's time in epoch milliseconds: the time it was read, unless
	// the event already carries one (a filegroup header or a container runtime's time).
	HeaderTimestamp = "timestamp"
	// FlagMultiline is the value of HeaderFlags for a joined event.
	FlagMultiline = "multiline"
)

var crcTable = crc64.MakeTable(crc64.ECMA)

// NewFactory returns the factory of the taildir source.
func NewFactory() source.Factory { return source.NewFactory("taildir", Defaults, New, flumeTaildir) }

// group is a compiled filegroup.
type group struct {
	name    string
	pattern string // absolute
	headers map[string]string
}

// Source is a running taildir source. Run's goroutine owns every field but those under mu,
// which the watcher's goroutine fills.
type Source struct {
	cfg     Config
	name    string
	log     *slog.Logger
	m       *metrics.Source
	proc    source.Processor
	posPath string
	groups  []group
	ml      *multiline
	maxLine int
	batch   int

	files  map[fileID]*tailFile
	byPath map[string]*tailFile
	list   []*tailFile // discovery order, the order of every pass
	open   int
	buf    []byte
	spans  []span

	jr           *journal
	closeOnce    sync.Once
	posDirty     bool
	lastPosWrite time.Time
	loaded       map[uint64][]position // the position file's entries, until the first scan
	watched      map[string]bool
	now          func() time.Time

	mu         sync.Mutex
	dirtyPaths map[string]struct{}
	rescanReq  bool
	watching   bool // a watcher delivers change notifications
	wake       chan struct{}

	starved  bool // a pass left a file unread for want of an open-file slot
	progress bool // a pass delivered or released something

	openFiles, tracked           *metrics.Counter
	longLines, truncations       *metrics.Counter
	abandoned, rotations, opened *metrics.Counter
}

// New checks the configuration and reads the position file (writing it back, so that one that
// cannot be written fails at start-up); files are found and read by Run.
func New(cfg *Config, set source.Settings) (source.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("taildir %s: %w", set.Name, err)
	}
	if set.Processor == nil {
		return nil, fmt.Errorf("taildir %s: no processor", set.Name)
	}
	posPath, err := cfg.positionPath(set.Name, set.DataDir)
	if err != nil {
		return nil, fmt.Errorf("taildir %s: %w", set.Name, err)
	}
	s := &Source{cfg: *cfg, name: set.Name, log: set.Logger, m: set.Metrics, proc: set.Processor,
		posPath: posPath, maxLine: int(cfg.MaxLineLength), batch: cfg.Batch,
		files: map[fileID]*tailFile{}, byPath: map[string]*tailFile{}, watched: map[string]bool{},
		dirtyPaths: map[string]struct{}{}, wake: make(chan struct{}, 1), now: time.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.m == nil {
		s.m = metrics.NewRegistry("").Source(set.Name, "taildir")
	}
	for _, g := range cfg.FileGroups {
		p, err := filepath.Abs(g.Path)
		if err != nil {
			return nil, fmt.Errorf("taildir %s: filegroup %s: %w", set.Name, g.Name, err)
		}
		s.groups = append(s.groups, group{name: g.Name, pattern: p, headers: g.Headers})
	}
	if cfg.Multiline != nil {
		s.ml = &multiline{re: regexp.MustCompile(cfg.Multiline.Pattern), negate: cfg.Multiline.Negate,
			before: cfg.Multiline.Match == MatchBefore, maxLines: cfg.Multiline.MaxLines, timeout: cfg.Multiline.Timeout}
	}
	c := s.m.Component
	s.openFiles = c.Gauge("OpenFileCount")
	s.tracked = c.Gauge("TrackedFileCount")
	s.opened = c.Counter("FileOpenedCount")
	s.longLines = c.Counter("LongLineCount")
	s.truncations = c.Counter("FileTruncatedCount")
	s.rotations = c.Counter("FileReleasedCount")
	s.abandoned = c.Counter("AbandonedByteCount")
	if err := s.loadPositions(); err != nil {
		return nil, fmt.Errorf("taildir %s: %w", set.Name, err)
	}
	return s, nil
}

// loadPositions reads the position file and its journal, and writes them back as one position
// file, so that a position file that cannot be read or written fails at start-up, and the
// journal starts empty.
func (s *Source) loadPositions() error {
	ps, err := readPositions(s.posPath)
	if err == nil {
		ps, err = replayJournal(s.posPath+".journal", ps)
	}
	if err != nil {
		return fmt.Errorf("read position file: %w", err)
	}
	s.loaded = map[uint64][]position{}
	for _, p := range ps {
		s.loaded[p.Inode] = append(s.loaded[p.Inode], p)
	}
	if err := writePositions(s.posPath, ps); err != nil {
		return fmt.Errorf("write position file: %w", err)
	}
	if s.jr, err = openJournal(s.posPath + ".journal"); err != nil {
		return fmt.Errorf("open position journal: %w", err)
	}
	if err := s.jr.reset(); err != nil {
		s.jr.close()
		return fmt.Errorf("reset position journal: %w", err)
	}
	return nil
}

// Close releases the position journal of a source whose Run was never called (the agent
// failed to start). Run closes it itself. Close is safe twice.
func (s *Source) Close(context.Context) error {
	s.closeOnce.Do(func() { s.jr.close() })
	return nil
}

// Run tails the files until ctx ends, then writes the position file, closes every file and
// returns nil. A batch being delivered at that moment is abandoned (not committed, so its
// position does not move). Run is called once.
func (s *Source) Run(ctx context.Context) error {
	s.lastPosWrite = s.now()

	w, err := fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		s.log.Warn("file change notifications unavailable; polling only", "poll_interval", s.cfg.PollInterval, "err", err)
		w = nil
	}
	var wg sync.WaitGroup
	if w != nil {
		s.mu.Lock()
		s.watching = true
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.watch(w)
		}()
	}
	defer func() {
		if w != nil {
			w.Close()
		}
		wg.Wait()
		s.savePositions()
		for _, tf := range s.list {
			s.closeFile(tf)
		}
		s.Close(context.Background())
	}()

	s.scan(w, true)
	s.loaded = nil
	s.log.Info("tailing", "files", len(s.list), "position_file", s.posPath)

	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	bo := backoff.New(100*time.Millisecond, 5*time.Second)
	for {
		if ctx.Err() != nil {
			return nil
		}
		s.mu.Lock()
		rescan := s.rescanReq
		s.rescanReq = false
		var dirty map[string]struct{}
		if len(s.dirtyPaths) > 0 {
			dirty, s.dirtyPaths = s.dirtyPaths, map[string]struct{}{}
		}
		s.mu.Unlock()
		if dirty != nil && s.markDirty(dirty) {
			rescan = true
		}
		if rescan {
			s.scan(w, false)
		}
		more, err := s.pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			s.m.GenericProcessingFail.Inc()
			s.log.Error("cannot deliver; retrying", "err", err)
			if bo.Wait(ctx, nil) != nil {
				return nil
			}
			continue
		}
		bo.Reset()
		s.housekeep()
		if more {
			continue
		}
		// A deadline already due waits a little anyway: what it is for may be stuck (a read
		// failing), and must not make this loop spin.
		wait := max(s.nextDeadline().Sub(s.now()), 5*time.Millisecond)
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-poll.C:
			s.mu.Lock()
			s.rescanReq = true
			s.mu.Unlock()
			for _, tf := range s.list {
				// Closed files are looked at by the scan, which stats them.
				if tf.f != nil {
					tf.dirty = true
				}
			}
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// watch turns change notifications into work for Run: a write marks its file dirty, anything
// else (create, remove, rename) asks for the globs to be matched again.
func (s *Source) watch(w *fsnotify.Watcher) {
	for {
		select {
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			s.mu.Lock()
			if ev.Op&(fsnotify.Create|fsnotify.Remove|fsnotify.Rename) != 0 {
				s.rescanReq = true
			}
			if ev.Op&(fsnotify.Write|fsnotify.Create) != 0 {
				s.dirtyPaths[ev.Name] = struct{}{}
			}
			s.mu.Unlock()
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			// An overflowed queue lost events: look at everything again.
			s.log.Debug("file notification error; rescanning", "err", err)
			s.mu.Lock()
			s.rescanReq = true
			s.mu.Unlock()
		}
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// markDirty marks the files written to; it reports whether a written path is unknown and
// matches a glob (a file the last scan did not see yet).
func (s *Source) markDirty(paths map[string]struct{}) (unknown bool) {
	for p := range paths {
		if tf := s.byPath[p]; tf != nil {
			tf.dirty = true
			continue
		}
		if !unknown {
			for _, g := range s.groups {
				if ok, _ := filepath.Match(g.pattern, p); ok {
					unknown = true
					break
				}
			}
		}
	}
	return unknown
}

// scan matches the globs, starts tracking new files, follows renames and marks the files no
// longer found as gone. At start-up, new files take their position from the position file.
func (s *Source) scan(w *fsnotify.Watcher, startup bool) {
	now := s.now()
	seen := make(map[fileID]bool, len(s.files))
	for gi := range s.groups {
		g := &s.groups[gi]
		matches, _ := filepath.Glob(g.pattern)
		for _, p := range matches {
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			id, _, ok := idOf(fi)
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			if tf := s.files[id]; tf != nil {
				if tf.path != p {
					s.log.Info("file renamed", "file", tf.path, "to", p)
					if s.byPath[tf.path] == tf {
						delete(s.byPath, tf.path)
					}
					tf.path = p
					s.byPath[p] = tf
					s.posDirty = true
				}
				if tf.gone {
					tf.gone, tf.goneAt = false, time.Time{}
				}
				if fi.Size() != tf.size || !fi.ModTime().Equal(tf.mtime) {
					tf.dirty = true
				}
				continue
			}
			tf := &tailFile{id: id, path: p, group: g, dirty: true, changed: now, lastUse: now}
			switch {
			case startup && s.resume(tf, fi):
			case startup && s.cfg.SkipToEnd:
				tf.pos = fi.Size()
				s.log.Info("skipping to the end of file", "file", p, "pos", tf.pos)
			default:
				if !startup {
					s.log.Info("new file", "file", p)
				}
			}
			s.files[id] = tf
			if old := s.byPath[p]; old != nil && old != tf {
				// The path's previous file was renamed or deleted: that is seen below.
				delete(s.byPath, p)
			}
			s.byPath[p] = tf
			s.list = append(s.list, tf)
			s.posDirty = true
			s.openNew(tf)
		}
	}
	for _, tf := range slices.Clone(s.list) {
		if seen[tf.id] || tf.gone {
			continue
		}
		if tf.f == nil {
			// Not held open: what it may still hold cannot be reached any more.
			s.log.Info("file gone", "file", tf.path)
			s.release(tf)
			continue
		}
		tf.gone, tf.goneAt = true, now
		tf.dirty = true
		if s.byPath[tf.path] == tf {
			delete(s.byPath, tf.path)
		}
		s.log.Info("file renamed away or deleted; reading it to its end", "file", tf.path)
	}
	s.tracked.Set(int64(len(s.list)))
	if w != nil {
		s.watchDirs(w)
	}
}

// openNew opens a newly found file at once when there is a free slot, so that the source holds
// it before it can be rotated away.
func (s *Source) openNew(tf *tailFile) {
	if s.cfg.MaxOpenFiles > 0 && s.open >= s.cfg.MaxOpenFiles {
		return
	}
	f, err := os.Open(tf.path)
	if err != nil {
		return
	}
	if fi, err := f.Stat(); err != nil {
		f.Close()
		return
	} else if id, _, _ := idOf(fi); id != tf.id {
		f.Close()
		return
	}
	tf.f = f
	s.open++
	s.openFiles.Set(int64(s.open))
	s.opened.Inc()
}

// resume gives a file found at start-up its saved position, when the position file has an
// entry for it; it reports whether it found one.
func (s *Source) resume(tf *tailFile, fi os.FileInfo) bool {
	for _, p := range s.loaded[tf.id.ino] {
		if p.Dev != 0 && p.Dev != tf.id.dev && p.FPLen == 0 {
			continue
		}
		if p.FPLen > 0 {
			fp, err := fingerprintOf(tf.path, p.FPLen)
			if err != nil || fp.n != p.FPLen || fp.hex() != p.FP {
				s.log.Info("position file entry is for an earlier file with the same inode; reading from the start",
					"file", tf.path, "inode", p.Inode)
				return true
			}
		}
		if p.Pos > fi.Size() {
			s.truncations.Inc()
			s.log.Warn("file is shorter than its saved position (truncated while stopped); reading from the start",
				"file", tf.path, "pos", p.Pos, "size", fi.Size())
			return true
		}
		tf.pos = p.Pos
		s.log.Info("resuming file", "file", tf.path, "pos", tf.pos)
		return true
	}
	return false
}

// watchDirs watches the directories the globs can match files in.
func (s *Source) watchDirs(w *fsnotify.Watcher) {
	want := map[string]bool{}
	for _, g := range s.groups {
		d := filepath.Dir(g.pattern)
		if !strings.ContainsAny(d, `*?[\`) {
			want[d] = true
			continue
		}
		ds, _ := filepath.Glob(d)
		for _, x := range ds {
			if fi, err := os.Stat(x); err == nil && fi.IsDir() {
				want[x] = true
			}
		}
	}
	for d := range want {
		if !s.watched[d] {
			if err := w.Add(d); err != nil {
				if !errors.Is(err, os.ErrNotExist) {
					s.log.Warn("cannot watch directory; polling it", "dir", d, "err", err)
				}
				continue
			}
			s.watched[d] = true
		}
	}
	for d := range s.watched {
		if !want[d] {
			_ = w.Remove(d)
			delete(s.watched, d)
		}
	}
}

// pass reads every file that may have data. It reports whether some file has more to read at
// once; an error is a failed delivery other than by ctx.
func (s *Source) pass(ctx context.Context) (more bool, err error) {
	s.starved, s.progress = false, false
	defer func() {
		// A file left for want of a slot gets one once the files read in this pass are done.
		more = more || (s.starved && s.progress)
	}()
	for _, tf := range slices.Clone(s.list) {
		if s.files[tf.id] != tf {
			continue // released during this pass
		}
		if !tf.dirty && !tf.gone && !s.pendingDue(tf) {
			continue
		}
		m, err := s.drain(ctx, tf)
		if err != nil {
			return false, err
		}
		more = more || m
		if ctx.Err() != nil {
			return false, nil
		}
	}
	return more, nil
}

// housekeep closes idle files, releases deleted files held too long and writes the position
// file when it is due.
func (s *Source) housekeep() {
	now := s.now()
	for _, tf := range slices.Clone(s.list) {
		switch {
		case tf.f == nil:
		case tf.gone && tf.deleted && now.Sub(tf.goneAt) >= s.cfg.IdleTimeout:
			s.abandon(tf, now)
		case !tf.gone && tf.atEOF && !tf.dirty && now.Sub(tf.changed) >= s.cfg.IdleTimeout:
			s.log.Debug("closing idle file", "file", tf.path)
			s.closeFile(tf)
		}
	}
	if s.posDirty && now.Sub(s.lastPosWrite) >= s.cfg.WritePosInterval {
		s.savePositions()
	}
}

// abandon releases a deleted file that could not be read to its end in time.
func (s *Source) abandon(tf *tailFile, now time.Time) {
	left := tf.size - tf.pos
	if fi, err := tf.f.Stat(); err == nil {
		left = fi.Size() - tf.pos
	}
	s.abandoned.Add(left)
	s.log.Warn("releasing a deleted file before reading it to its end (channel full for too long)",
		"file", tf.path, "unread_bytes", left, "deleted_for", now.Sub(tf.goneAt).Round(time.Second))
	s.release(tf)
}

// nextDeadline is when Run must look again without being woken: a position write, a rotated
// file to release, an idle file to close, a multiline event to time out.
func (s *Source) nextDeadline() time.Time {
	next := s.now().Add(time.Hour)
	at := func(t time.Time) {
		if t.Before(next) {
			next = t
		}
	}
	if s.posDirty {
		at(s.lastPosWrite.Add(s.cfg.WritePosInterval))
	}
	for _, tf := range s.list {
		if tf.f == nil {
			continue
		}
		switch {
		case tf.gone:
			at(tf.changed.Add(s.cfg.RotateWait))
			if tf.deleted {
				at(tf.goneAt.Add(s.cfg.IdleTimeout))
			}
		case tf.atEOF:
			at(tf.changed.Add(s.cfg.IdleTimeout))
		}
		if !tf.pendSince.IsZero() && s.ml != nil {
			at(tf.pendSince.Add(s.ml.timeout))
		}
	}
	return next
}

// hardDeadline is the earliest time a deleted file must be released, or zero.
func (s *Source) hardDeadline() time.Time {
	var next time.Time
	for _, tf := range s.list {
		if tf.f != nil && tf.gone && tf.deleted {
			t := tf.goneAt.Add(s.cfg.IdleTimeout)
			if next.IsZero() || t.Before(next) {
				next = t
			}
		}
	}
	return next
}

// deliver hands a batch to the processor. While Deliver waits for a full channel, the source
// must still notice deleted files (the watcher asks for a rescan; without notifications, every
// poll_interval) and release a deleted file by its deadline: the wait is then interrupted
// (errInterrupted), and the batch, not committed, is read again later.
func (s *Source) deliver(ctx context.Context, events []channel.Event) error {
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if dl := s.hardDeadline(); !dl.IsZero() {
		if !dl.After(s.now()) {
			return errInterrupted
		}
		var cancelDL context.CancelFunc
		dctx, cancelDL = context.WithDeadline(dctx, dl)
		defer cancelDL()
	}
	var mu sync.Mutex
	stopped := false
	var t *time.Timer
	check := func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if s.attentionWanted() {
			cancel()
			return
		}
		t.Reset(s.cfg.PollInterval)
	}
	mu.Lock()
	t = time.AfterFunc(s.cfg.PollInterval, check)
	mu.Unlock()
	defer func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
	}()
	err := s.proc.Deliver(dctx, events)
	if err != nil && ctx.Err() == nil && dctx.Err() != nil {
		return errInterrupted
	}
	return err
}

// attentionWanted reports whether a delivery waiting for a full channel should be interrupted
// for a rescan: the watcher saw a file created, renamed or removed, or there is no watcher.
func (s *Source) attentionWanted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rescanReq || !s.watching
}

var errInterrupted = errors.New("delivery interrupted to release a deleted file")

// savePositions writes the position file and empties the journal.
func (s *Source) savePositions() {
	ps := make([]position, 0, len(s.list))
	for _, tf := range s.list {
		ps = append(ps, tf.position())
	}
	s.lastPosWrite = s.now()
	if err := writePositions(s.posPath, ps); err != nil {
		s.m.GenericProcessingFail.Inc()
		s.log.Error("cannot write position file", "file", s.posPath, "err", err)
		return
	}
	s.posDirty = false
	if err := s.jr.reset(); err != nil {
		s.log.Error("cannot empty position journal", "err", err)
	}
}

// journalPos records a file's new position in the journal.
func (s *Source) journalPos(tf *tailFile) {
	s.posDirty = true
	if err := s.jr.record(tf.position()); err != nil {
		s.m.GenericProcessingFail.Inc()
		s.log.Error("cannot append to position journal", "err", err)
	}
}

// release stops tracking a file for good.
func (s *Source) release(tf *tailFile) {
	s.closeFile(tf)
	delete(s.files, tf.id)
	if s.byPath[tf.path] == tf {
		delete(s.byPath, tf.path)
	}
	if i := slices.Index(s.list, tf); i >= 0 {
		s.list = slices.Delete(s.list, i, i+1)
	}
	s.tracked.Set(int64(len(s.list)))
	s.posDirty = true
	p := tf.position()
	p.Pos = -1
	if err := s.jr.record(p); err != nil {
		s.log.Error("cannot append to position journal", "err", err)
	}
}

func (s *Source) closeFile(tf *tailFile) {
	if tf.f != nil {
		tf.f.Close()
		tf.f = nil
		s.open--
		s.openFiles.Set(int64(s.open))
	}
}

// fingerprint identifies a file's content by its first n bytes.
type fingerprint struct {
	n   int
	sum uint64
}

func (f fingerprint) hex() string { return fmt.Sprintf("%016x", f.sum) }

// fingerprintAt reads the fingerprint of the first min(n, fpSize) bytes of r.
func fingerprintAt(r io.ReaderAt, n int) (fingerprint, error) {
	var b [fpSize]byte
	k, err := r.ReadAt(b[:min(n, fpSize)], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fingerprint{}, err
	}
	return fingerprint{n: k, sum: crc64.Checksum(b[:k], crcTable)}, nil
}

func fingerprintOf(path string, n int) (fingerprint, error) {
	f, err := os.Open(path)
	if err != nil {
		return fingerprint{}, err
	}
	defer f.Close()
	return fingerprintAt(f, n)
}
