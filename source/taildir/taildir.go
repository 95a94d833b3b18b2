// Package taildir is Flume's TAILDIR source (type "taildir"): it follows the files matched by
// globs, turns each line into an event, and remembers in a position file how far each file has
// been delivered, so that a restarted agent carries on where it stopped, through any rotation.
// It also reads container runtimes' logs (CRI, Docker json-file) as Filebeat's container
// input and Fluent Bit's tail do.
//
// # Discovery
//
// Each filegroup's path is a glob (filepath.Match syntax) in the file name and in directories
// ("/var/log/*/app-*.log"); a "**" segment matches any number of directories, zero included
// ("/var/log/**/*.log"), without following symbolic links to directories (the other segments
// follow them). "**" inside a segment ("a**") or as the last segment is rejected by Validate,
// as is any pattern filepath.Match rejects. exclude leaves files out: a glob without "/" is
// matched against the base name ("*.gz"), one with "/" against the absolute path. A matched
// symbolic link is followed: the file is known by its target (kubelet's /var/log/containers
// links), its path stays the link's, and the target's directory is watched too. New and
// changed files are noticed through inotify (fsnotify) on the directories the globs can match;
// every poll_interval the globs are matched again and every file is checked for growth, for
// file systems whose notifications do not arrive (NFS, some FUSE mounts) and for directories
// created after start-up. A file matched by several groups belongs to the first.
//
// ignore_older: a file found (at start-up or later) unmodified for that long, with no saved
// position, is tracked at its end and not opened: once written again it is read from there,
// as Filebeat does. A file with a saved position keeps it: it is not opened while it stays
// unmodified, and is read from its saved position once written again. A file being tailed is
// not affected (idle_timeout closes it).
//
// # Identity and rotation
//
// A file is known by its device and inode, its birth time where the file system records one,
// and fingerprints of its first bytes (see identity.go), so a recycled inode (a file deleted
// and another created, which ext4 does at once) is a new file, read from its start. The first
// KiB is checked whenever a file changed size, everything whenever it is reopened, so:
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
// timeout is delivered as it is.
//
// encoding decodes bodies to UTF-8 (see encoding.go; UTF-8, the default, keeps the bytes as
// read); offsets stay byte offsets in the file, and max_line_length counts the file's bytes.
// For UTF-16 a line ends at the code unit U+000A.
//
// format "cri", "docker" or "auto" parses a container runtime's records (pipeline.go,
// format.go): the body is the log line, the runtime's stream and time become the headers
// "stream" and "timestamp" (epoch ms); partial records ("P" in CRI, a log without a final "\n"
// in Docker) are joined with the next records of the same stream, across a rotation of the
// file (rename and create, or copytruncate). A joined line reaching max_line_length is cut
// there as a long line; a line whose end never comes is delivered as it is when its file is
// released with no file after it (PartialFlushedCount). A record not in the format is
// delivered whole as the body, without stream or timestamp (FormatErrorCount). Multiline
// applies after the joining, per stream. kubernetes_metadata adds k8s.pod.name,
// k8s.namespace.name, k8s.container.name, container.id and k8s.pod.uid, read from kubelet's file
// names along the link chain (kubernetes.go); nothing is asked of the API server.
//
// Headers: the group's headers, "byteoffset" (the offset of the event's first byte) with
// byte_offset_header, and the file's path under file_header_key with file_header. With
// ecs_headers, what a Filebeat-compatible serializer needs: "log.file.path" (absolute),
// "log.offset" (the offset of the event's first byte, for a joined event its first line's),
// "log.flags" = "multiline" for an event that joined several lines, and "timestamp" (epoch ms
// when the batch was read) unless the event has one already. With none of these, no group
// headers and no format, events have no header map: the options cost nothing when off.
//
// # Delivery and positions
//
// Lines are read in large blocks into one buffer and copied, a batch at a time, into one slab
// per batch (the channel owns a body once put; the buffer is reused). Each batch goes through
// the processor's Deliver, which waits while a channel is full: reading stops, nothing is
// dropped. Only when Deliver returns nil does the file's position move past the batch.
// Positions are kept in Flume's JSON format, [{"inode":N,"pos":N,"file":"/path"}], with
// flumego's fields "dev", "fp", "fplen", "xfp", "xfplen" and "btime" added, and for files with
// content read but not delivered (an open partial line or multiline group) "resume" (where
// reading goes on) and "pending" (that content); "pos" is then the first record of it, so a
// reader that knows only "pos" re-reads it. A Flume TAILDIR position file is read as it is
// (entries are matched by inode, and by fingerprint when there is one). The file is rewritten
// atomically (temporary file, fsync, rename, directory fsync) every write_pos_interval when
// positions moved, and at stop; between two writes each committed batch appends its position
// to <position_file>.journal (no fsync), so after kill -9 only the batch in flight is
// delivered again (see journal). Apache Flume's own reader rejects unknown fields: to go back
// to Flume, strip them with `jq '[.[] | {inode, pos, file}]'`.
//
// position_file defaults to <data_dir>/taildir-<source name>.json; an agent without data_dir
// must set it. Files found at start-up that have no position start at offset 0, or at their end
// with skip_to_end; files created later start at 0 (at their end under ignore_older).
package taildir

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

const (
	// fpSize is how many first bytes of a file make its fingerprint, checked whenever it
	// changes; xfpSize bounds its extended fingerprint, checked when it is found again after a
	// restart or reopened.
	fpSize  = 1024
	xfpSize = 64 << 10
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

// NewFactory returns the factory of the taildir source.
func NewFactory() source.Factory { return source.NewFactory("taildir", Defaults, New, flumeTaildir) }

// group is a compiled filegroup.
type group struct {
	name        string
	glob        glob
	exclude     excludes
	headers     map[string]string
	ignoreOlder time.Duration
	codec       codec
	format      Format
	kubernetes  bool
	// records: the group's files go through the record pipeline (pipeline.go), not the plain
	// line cutter.
	records bool
}

// matches reports whether path is one of the group's files.
func (g *group) matches(path string) bool { return g.glob.match(path) && !g.exclude.match(path) }

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

	files   map[fileID]*tailFile
	byPath  map[string]*tailFile
	list    []*tailFile // discovery order, the order of every pass
	open    []*tailFile // the files held open
	bufSize int
	buf     []byte
	spans   []span
	// The record pipeline's scratch: a decoded line, an unescaped Docker message, the last
	// timestamp formatted.
	dec, scratch  []byte
	lastMillis    int64
	lastMillisStr string
	slabHint      int // the largest batch slab yet
	// handoff holds, by path, a container log that was rotated away while content of it was
	// pending: the next file at that path takes the content over (pipeline.go).
	handoff  map[string]*tailFile
	byTarget map[string]*tailFile // files reached through a symbolic link, by the link's target

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
	noWatch    bool // poll only, as where notifications are unavailable (set by tests)

	starved  bool // a pass left a file unread for want of an open-file slot
	progress bool // a pass delivered or released something

	openFiles, tracked           *metrics.Counter
	longLines, truncations       *metrics.Counter
	abandoned, rotations, opened *metrics.Counter
	formatErrors, partialFlushed *metrics.Counter
	ignored                      *metrics.Counter
}

// New checks the configuration and reads the position file (writing it back, so that one that
// cannot be written fails at start-up); files are found and read by Run.
func New(cfg *Config, set source.Settings) (source.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("taildir: %w", err)
	}
	if set.Processor == nil {
		return nil, errors.New("taildir: no processor")
	}
	posPath, err := cfg.positionPath(set.Name, set.DataDir)
	if err != nil {
		return nil, fmt.Errorf("taildir: %w", err)
	}
	s := &Source{cfg: *cfg, name: set.Name, log: set.Logger, m: set.Metrics, proc: set.Processor,
		posPath: posPath, maxLine: int(cfg.MaxLineLength), batch: cfg.Batch,
		files: map[fileID]*tailFile{}, byPath: map[string]*tailFile{}, watched: map[string]bool{},
		handoff: map[string]*tailFile{}, byTarget: map[string]*tailFile{},
		dirtyPaths: map[string]struct{}{}, wake: make(chan struct{}, 1), now: time.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.m == nil {
		s.m = metrics.NewRegistry("").Source(set.Name, "taildir")
	}
	s.bufSize = max(minReadBuffer, 2*(s.maxLine+2))
	for _, g := range cfg.FileGroups {
		// Validate checked every part of it.
		p, _ := filepath.Abs(g.Path)
		gl, _ := compileGlob(p)
		ex, _ := compileExcludes(g.Exclude)
		cd, _ := lookupEncoding(g.Encoding)
		cg := group{name: g.Name, glob: gl, exclude: ex, headers: g.Headers, ignoreOlder: g.IgnoreOlder,
			codec: cd, format: g.Format, kubernetes: g.KubernetesMetadata,
			records: !cd.plain() || cd.unit != 1 || g.Format != FormatPlain || cfg.Multiline != nil}
		if cg.records {
			s.bufSize = max(s.bufSize, 2*(s.recordLimit(&cg)+4))
		}
		s.groups = append(s.groups, cg)
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
	s.formatErrors = c.Counter("FormatErrorCount")
	s.partialFlushed = c.Counter("PartialFlushedCount")
	s.ignored = c.Counter("FileIgnoredCount")
	if err := s.loadPositions(); err != nil {
		return nil, fmt.Errorf("taildir: %w", err)
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
	if err == nil && s.noWatch {
		w.Close()
		w, err = nil, errors.New("disabled")
	}
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
		for len(s.open) > 0 {
			s.closeFile(s.open[0])
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
			for _, tf := range s.open {
				// Closed files are looked at by the scan, which stats them.
				tf.dirty = true
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
		if tf := s.byTarget[p]; tf != nil {
			tf.dirty = true
			continue
		}
		if !unknown {
			for gi := range s.groups {
				if s.groups[gi].matches(p) {
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
	dirs := map[string]bool{}
	for gi := range s.groups {
		g := &s.groups[gi]
		g.glob.walk(func(p string) {
			if g.exclude.match(p) {
				return
			}
			fi, err := os.Stat(p) // a symbolic link is known by the file it points to
			if err != nil || !fi.Mode().IsRegular() {
				return
			}
			id, _, ok := idOf(fi)
			if !ok || seen[id] {
				return
			}
			seen[id] = true
			if tf := s.files[id]; tf != nil {
				s.seenAgain(tf, p, fi)
				return
			}
			s.track(g, id, p, fi, now, startup)
		}, func(d string) { dirs[d] = true })
	}
	if startup {
		s.adoptOrphans()
	}
	for _, tf := range slices.Clone(s.list) {
		if seen[tf.id] || tf.gone {
			continue
		}
		pending := tf.group.records && len(tf.saved) > 0
		if tf.f == nil && !pending {
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
		if tf.group.format != FormatPlain {
			s.handoff[tf.path] = tf
		}
		s.log.Info("file renamed away or deleted; reading it to its end", "file", tf.path)
	}
	s.tracked.Set(int64(len(s.list)))
	if w != nil {
		for _, tf := range s.list {
			if tf.target != "" {
				dirs[filepath.Dir(tf.target)] = true
			}
		}
		s.watchDirs(w, dirs)
	}
}

// seenAgain updates a tracked file found by a scan: its path may have changed (a rename that
// kept it matched), and it may have grown.
func (s *Source) seenAgain(tf *tailFile, p string, fi os.FileInfo) {
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
}

// track starts tracking a file found at path p. At start-up it takes its saved position; a
// file without one starts at 0, at its end with skip_to_end (start-up only) or when it has
// not been modified for ignore_older, in which case it is not opened either.
func (s *Source) track(g *group, id fileID, p string, fi os.FileInfo, now time.Time, startup bool) {
	tf := &tailFile{id: id, path: p, group: g, dirty: true, changed: now, lastUse: now, btime: birthTime(p)}
	chain := linkChain(p)
	if len(chain) > 1 {
		tf.target = chain[len(chain)-1]
		s.byTarget[tf.target] = tf
	}
	if g.kubernetes {
		tf.meta = kubernetesNames(chain...)
	}
	old := g.ignoreOlder > 0 && now.Sub(fi.ModTime()) > g.ignoreOlder
	resumed := startup && s.resume(tf, fi)
	switch {
	case resumed:
	case old:
		tf.pos, tf.resume = fi.Size(), fi.Size()
		s.ignored.Inc()
		s.log.Debug("file older than ignore_older; ignored until it is written again", "file", p, "modified", fi.ModTime())
	case startup && s.cfg.SkipToEnd:
		tf.pos, tf.resume = fi.Size(), fi.Size()
		s.log.Info("skipping to the end of file", "file", p, "pos", tf.pos)
	default:
		if !startup {
			s.log.Info("new file", "file", p)
		}
	}
	s.files[id] = tf
	if prev := s.byPath[p]; prev != nil && prev != tf {
		// The path's previous file was renamed or deleted: that is seen by the scan.
		delete(s.byPath, p)
	}
	s.byPath[p] = tf
	s.list = append(s.list, tf)
	s.posDirty = true
	if old {
		// Looked at again only once its size or time changes.
		tf.dirty, tf.size, tf.mtime = false, fi.Size(), fi.ModTime()
		return
	}
	s.openNew(tf)
}

// linkChain is p and, when p is a symbolic link, every path the link leads through to the file
// (kubelet's /var/log/containers link → /var/log/pods/... → Docker's file); at most 8 links.
func linkChain(p string) []string {
	chain := []string{p}
	for range 8 {
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			break
		}
		t, err := os.Readlink(p)
		if err != nil {
			break
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = filepath.Clean(t)
		chain = append(chain, p)
	}
	return chain
}

// adoptOrphans gives the pending content of a container log that was rotated away while the
// agent was down (its entry matches no file found) to the file now at its path, when that one
// has no saved position of its own: the runtime went on with its partial line there.
func (s *Source) adoptOrphans() {
	for _, ps := range s.loaded {
		for _, p := range ps {
			tf := s.byPath[p.File]
			if p.used || len(p.Pending) == 0 || tf == nil || tf.group.format == FormatPlain || tf.resumed || len(tf.saved) > 0 {
				continue
			}
			saved := carry(slices.Clone(p.Pending))
			saved = slices.DeleteFunc(saved, func(u pend) bool { return u.Kind == pendSkip })
			tf.saved = saved
			tf.pos = hold(tf.saved, tf.resume)
			s.log.Info("carrying the open lines of a rotated container log into its successor", "file", tf.path, "units", len(saved))
		}
	}
}

// openNew opens a newly found file at once when there is a free slot, so that the source holds
// it before it can be rotated away.
func (s *Source) openNew(tf *tailFile) {
	if s.cfg.MaxOpenFiles > 0 && len(s.open) >= s.cfg.MaxOpenFiles {
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
	s.setOpen(tf, f)
}

// resume gives a file found at start-up its saved position, when the position file has an
// entry for it; it reports whether it found one.
func (s *Source) resume(tf *tailFile, fi os.FileInfo) bool {
	ps := s.loaded[tf.id.ino]
	for i := range ps {
		p := &ps[i]
		if p.Dev != 0 && p.Dev != tf.id.dev && p.FPLen == 0 {
			continue
		}
		p.used = true
		if !s.sameFile(tf, p) {
			s.log.Info("position file entry is for an earlier file with the same inode; reading from the start",
				"file", tf.path, "inode", p.Inode)
			p.used = false // its pending content may belong to this file's start (adoptOrphans)
			return true
		}
		if max(p.Pos, p.Resume) > fi.Size() {
			s.truncations.Inc()
			s.log.Warn("file is shorter than its saved position (truncated while stopped); reading from the start",
				"file", tf.path, "pos", p.Pos, "size", fi.Size())
			tf.saved = carry(slices.DeleteFunc(slices.Clone(p.Pending), func(u pend) bool { return u.Kind == pendSkip }))
			tf.resumed = true
			return true
		}
		tf.pos, tf.resume, tf.resumed = p.Pos, p.Pos, true
		tf.fp, tf.xfp = parseFingerprint(p.FP, p.FPLen), parseFingerprint(p.XFP, p.XFPLen)
		if len(p.Pending) > 0 {
			tf.resume, tf.saved = p.Resume, p.Pending
		}
		s.log.Info("resuming file", "file", tf.path, "pos", tf.pos)
		return true
	}
	return false
}

// watchDirs watches the directories in which files can appear or change: those the globs
// can match files in, and those of the files reached through symbolic links.
func (s *Source) watchDirs(w *fsnotify.Watcher, want map[string]bool) {
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
		// A file left for want of a slot gets one in the next pass once the files read in this
		// one are done: it delivered something, or the files that held the slots were only
		// looked at (as every poll does) and have been read to their end.
		more = more || (s.starved && (s.progress || s.victim(nil) != nil))
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
	for _, tf := range slices.Clone(s.open) {
		switch {
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
	for _, tf := range s.open {
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
	for _, tf := range s.open {
		if tf.gone && tf.deleted {
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
	if s.handoff[tf.path] == tf {
		delete(s.handoff, tf.path)
	}
	if tf.target != "" && s.byTarget[tf.target] == tf {
		delete(s.byTarget, tf.target)
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

// setOpen records that tf is open on f.
func (s *Source) setOpen(tf *tailFile, f *os.File) {
	tf.f = f
	tf.openAt = len(s.open)
	s.open = append(s.open, tf)
	s.openFiles.Set(int64(len(s.open)))
	s.opened.Inc()
}

func (s *Source) closeFile(tf *tailFile) {
	if tf.f == nil {
		return
	}
	tf.f.Close()
	tf.f = nil
	last := s.open[len(s.open)-1]
	s.open[tf.openAt], last.openAt = last, tf.openAt
	s.open = s.open[:len(s.open)-1]
	s.openFiles.Set(int64(len(s.open)))
}
