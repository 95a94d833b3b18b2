// Package spooldir is Flume's spooling directory source (type "spooldir"): it reads the files
// dropped into a directory, one at a time, turns each line (or each whole file) into events,
// and marks a file complete only once every one of its events committed: it renames it with
// file_suffix (".COMPLETED"), or deletes it (delete_policy "immediate"), or leaves it and writes
// a marker into tracker_dir (tracking_policy "tracker_dir").
//
// Files must be complete when they appear: write them elsewhere and rename them into spool_dir
// (or give the names they have while being written an ignore_pattern). Hidden files (a name
// starting with "."), files ending with file_suffix, directories (unless
// recursive_directory_search) and names that do not match include_pattern or do match
// ignore_pattern are left alone. consume_order picks the next file by modification time
// (oldest or youngest first, ties by name) or at random.
//
// # Progress and crashes
//
// While a file is read, its identity (device, inode, size, modification time) and the offset
// up to which its events committed are kept in <tracker_dir>/.flumego-progress.json (tracker_dir
// defaults to ".flumespool" inside spool_dir, where Flume keeps its own metadata), rewritten
// atomically after every committed batch. A restarted agent finishes that file first, from that
// offset, so a kill -9 re-sends at most the batch in flight. A file is marked complete after its
// last batch committed; a crash in between leaves an offset at its end, and the restart only
// marks it.
//
// # Files that break the rules
//
// A file that changes (size or modification time) after it was picked up, a file whose name was
// already consumed (name.COMPLETED exists, or its tracker_dir marker names another file), a
// file that cannot be read or decoded (decode_error_policy "fail") and a file that cannot be
// marked complete are reported with an error naming the file and counted (FileFailedCount); the
// source leaves such a file where it is and carries on with the others. It does not try that
// file again until the agent restarts (a new file moved in under its name is read); events of
// it already delivered are then delivered again.
//
// # Events
//
// The "line" deserializer makes one event per line: a line ends at "\n" (one "\r" before it is
// stripped), and a last line without "\n" is an event too. A line longer than max_line_length
// bytes is split into several events (as Flume's LineDeserializer does; LongLineCount counts
// the cuts), at a character boundary for UTF-8. The "blob" deserializer makes one event of the
// whole file, or several of max_blob_length bytes for a larger file. Lines are decoded from
// input_charset (UTF-8, US-ASCII or ISO-8859-1; bodies are UTF-8); invalid bytes follow
// decode_error_policy, and are counted (DecodeErrorCount) when replaced or dropped. Headers:
// the file's absolute path under file_header_key with file_header, its name under
// basename_header_key with basename_header.
package spooldir

import (
	"context"
	"errors"
	"fmt"

	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

// progressName is the progress record's name in the tracker directory.
const progressName = ".flumego-progress.json"

// NewFactory returns the factory of the spooling directory source.
func NewFactory() source.Factory { return source.NewFactory("spooldir", Defaults, New, flumeSpooldir) }

// Source is a running spooling directory source. Run's goroutine alone uses it.
type Source struct {
	cfg      Config
	name     string
	log      *slog.Logger
	m        *metrics.Source
	proc     source.Processor
	dir      string // absolute
	tracker  string // absolute
	include  *regexp.Regexp
	ignore   *regexp.Regexp
	charset  string
	progPath string
	prog     *progress // the file being read, from the record at start-up
	// failed holds the files given up on, by path, with their identity: they are not tried
	// again in this run unless another file takes the path.
	failed map[string]fileKey
	buf    []byte

	completed, failures, longLines, decodeErrors *metrics.Counter
}

// fileKey is a file's identity and state: the same key means the same, unchanged file.
type fileKey struct {
	Dev   uint64 `json:"dev"`
	Inode uint64 `json:"inode"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"` // unix nanoseconds
}

func keyOf(fi fs.FileInfo) fileKey {
	k := fileKey{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.Dev, k.Inode = uint64(st.Dev), uint64(st.Ino)
	}
	return k
}

// sameFile compares size and modification time as well as device and inode: file systems hand
// a freed inode to the next new file at once, so a file dropped in under a consumed name must
// not pass for the one that was completed (or be resumed at its offset). A spooled file must not
// change, so the same file keeps all four.
func (k fileKey) sameFile(o fileKey) bool { return k == o }

// New checks the configuration and the directories, so that a missing or read-only spool
// directory fails at start-up; Run reads the files.
func New(cfg *Config, set source.Settings) (source.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("spooldir: %w", err)
	}
	if set.Processor == nil {
		return nil, errors.New("spooldir: no processor")
	}
	s := &Source{cfg: *cfg, name: set.Name, log: set.Logger, m: set.Metrics, proc: set.Processor,
		include: regexp.MustCompile(cfg.IncludePattern), ignore: regexp.MustCompile(cfg.IgnorePattern),
		charset: charsets[strings.ToLower(cfg.InputCharset)], failed: map[string]fileKey{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.m == nil {
		s.m = metrics.NewRegistry("").Source(set.Name, "spooldir")
	}
	c := s.m.Component
	s.completed = c.Counter("FileCompletedCount")
	s.failures = c.Counter("FileFailedCount")
	s.longLines = c.Counter("LongLineCount")
	s.decodeErrors = c.Counter("DecodeErrorCount")

	var err error
	if s.dir, err = filepath.Abs(cfg.SpoolDir); err != nil {
		return nil, fmt.Errorf("spooldir: %w", err)
	}
	if fi, err := os.Stat(s.dir); err != nil {
		return nil, fmt.Errorf("spooldir: spool_dir: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("spooldir: spool_dir %s is not a directory", s.dir)
	}
	s.tracker = cfg.TrackerDir
	if !filepath.IsAbs(s.tracker) {
		s.tracker = filepath.Join(s.dir, s.tracker)
	}
	if err := os.MkdirAll(s.tracker, 0o755); err != nil {
		return nil, fmt.Errorf("spooldir: tracker_dir: %w", err)
	}
	// Renaming and deleting completed files need a writable spool directory: find out now.
	if cfg.DeletePolicy == DeleteImmediate || cfg.TrackingPolicy == TrackRename {
		f, err := os.CreateTemp(s.dir, ".flumego-canary-*")
		if err != nil {
			return nil, fmt.Errorf("spooldir: spool_dir %s is not writable (completed files are renamed or deleted there): %w", s.dir, err)
		}
		f.Close()
		os.Remove(f.Name())
	}
	s.progPath = filepath.Join(s.tracker, progressName)
	if s.prog, err = readProgress(s.progPath); err != nil {
		return nil, fmt.Errorf("spooldir: %w", err)
	}
	return s, nil
}

// Close does nothing: the source acquires what it needs in Run and releases it there.
func (s *Source) Close(context.Context) error { return nil }

// Run reads the spooled files, one after another, until ctx ends; then it returns nil, with
// the progress of the file being read saved. It never fails for a bad file: it reports it and
// goes on.
func (s *Source) Run(ctx context.Context) error {
	s.log.Info("spooling", "dir", s.dir, "tracker_dir", s.tracker)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	bo := backoff.New(s.cfg.PollDelay, 10*s.cfg.PollDelay)
	for ctx.Err() == nil {
		path, fi := s.next()
		if path == "" {
			timer.Reset(s.cfg.PollDelay)
			select {
			case <-ctx.Done():
				return nil
			case <-timer.C:
			}
			continue
		}
		if err := s.consume(ctx, path, fi); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Delivery failed for another reason than shutdown: wait, then try again.
			s.m.GenericProcessingFail.Inc()
			s.log.Error("cannot deliver; retrying", "file", path, "err", err)
			if bo.Wait(ctx, nil) != nil {
				return nil
			}
			continue
		}
		bo.Reset()
	}
	return nil
}

// next picks the file to read: the one in progress at the last stop, else one of the
// candidates by consume_order. It returns "" when there is none.
func (s *Source) next() (string, fs.FileInfo) {
	if p := s.prog; p != nil {
		if fi, err := os.Stat(p.File); err == nil && keyOf(fi).sameFile(p.Key) && !s.isFailed(p.File, fi) {
			return p.File, fi
		}
		// Completed, moved away or deleted since: nothing to resume.
		s.clearProgress()
	}
	cands := s.candidates()
	if len(cands) == 0 {
		return "", nil
	}
	switch s.cfg.ConsumeOrder {
	case ConsumeRandom:
		c := cands[rand.IntN(len(cands))]
		return c.path, c.fi
	case ConsumeYoungest:
		c := slices.MaxFunc(cands, func(a, b candidate) int { return compareAge(a, b) })
		return c.path, c.fi
	default:
		c := slices.MinFunc(cands, func(a, b candidate) int { return compareAge(a, b) })
		return c.path, c.fi
	}
}

type candidate struct {
	path string
	fi   fs.FileInfo
}

// compareAge orders by modification time, then by path.
func compareAge(a, b candidate) int {
	if c := a.fi.ModTime().Compare(b.fi.ModTime()); c != 0 {
		return c
	}
	return strings.Compare(a.path, b.path)
}

func (s *Source) isFailed(path string, fi fs.FileInfo) bool {
	k, ok := s.failed[path]
	return ok && k.sameFile(keyOf(fi))
}

// candidates lists the files waiting to be read.
func (s *Source) candidates() []candidate {
	var out []candidate
	var walk func(dir string)
	walk = func(dir string) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			s.m.EventReadFail.Inc()
			s.log.Warn("cannot list directory", "dir", dir, "err", err)
			return
		}
		for _, e := range entries {
			name := e.Name()
			path := filepath.Join(dir, name)
			if strings.HasPrefix(name, ".") || path == s.tracker {
				continue
			}
			if e.IsDir() {
				if s.cfg.RecursiveDirectorySearch {
					walk(path)
				}
				continue
			}
			if !e.Type().IsRegular() || s.cfg.FileSuffix != "" && strings.HasSuffix(name, s.cfg.FileSuffix) {
				continue
			}
			if !s.include.MatchString(name) || s.ignore.MatchString(name) {
				continue
			}
			fi, err := e.Info()
			if err != nil || s.isFailed(path, fi) || s.done(path, fi) {
				continue
			}
			out = append(out, candidate{path, fi})
		}
	}
	walk(s.dir)
	return out
}

// done reports whether a file was completed already (tracker_dir), and reports a name that was
// consumed before for another file.
func (s *Source) done(path string, fi fs.FileInfo) bool {
	if s.cfg.DeletePolicy == DeleteImmediate {
		return false
	}
	if s.cfg.TrackingPolicy == TrackTrackerDir {
		m, err := readMarker(s.marker(path))
		if err != nil {
			return false
		}
		if m.sameFile(keyOf(fi)) {
			return true
		}
		s.fail(path, fi, "its name was consumed before for another file (tracker_dir holds a marker for it); rename it to have it read")
		return true
	}
	if _, err := os.Lstat(path + s.cfg.FileSuffix); err == nil {
		s.fail(path, fi, fmt.Sprintf("its name was consumed before: %s exists; rename the new file to have it read", filepath.Base(path)+s.cfg.FileSuffix))
		return true
	}
	return false
}

// marker is the tracker_dir marker of a file: its path relative to spool_dir, with file_suffix.
func (s *Source) marker(path string) string {
	rel, err := filepath.Rel(s.dir, path)
	if err != nil {
		rel = filepath.Base(path)
	}
	return filepath.Join(s.tracker, rel+s.cfg.FileSuffix)
}

// fail gives up on a file: it is reported, counted and left where it is. It is not read again
// in this run while its path names the same file (inode); a new file under that path is.
func (s *Source) fail(path string, fi fs.FileInfo, why string) {
	if st, err := os.Stat(path); err == nil {
		fi = st
	}
	var k fileKey
	if fi != nil {
		k = keyOf(fi)
	}
	s.failed[path] = k
	s.failures.Inc()
	s.log.Error("leaving spooled file unconsumed: "+why, "file", path)
	if s.prog != nil && s.prog.File == path {
		s.clearProgress()
	}
}

// consume reads one file and delivers its events, then marks it complete. It returns an error
// only when a delivery failed (ctx's, at shutdown); a bad file is reported and given up on.
func (s *Source) consume(ctx context.Context, path string, fi fs.FileInfo) error {
	f, err := os.Open(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.fail(path, fi, fmt.Sprintf("cannot open it: %v", err))
		}
		return nil
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		s.fail(path, nil, fmt.Sprintf("cannot stat it: %v", err))
		return nil
	}
	key := keyOf(fi)
	var offset int64
	if p := s.prog; p != nil && p.File == path && p.Key.sameFile(key) {
		if p.Key != key {
			s.fail(path, fi, fmt.Sprintf("it changed after it was picked up (size %d → %d); spooled files must not be written to", p.Key.Size, key.Size))
			return nil
		}
		offset = p.Offset
		s.log.Info("resuming spooled file", "file", path, "offset", offset)
	} else {
		s.log.Info("reading spooled file", "file", path, "size", key.Size)
	}
	s.prog = &progress{File: path, Key: key, Offset: offset}
	s.saveProgress()

	r := &fileReader{s: s, f: f, path: path, key: key, offset: offset}
	if s.cfg.Deserializer == DeserializeBlob {
		err = r.blobs(ctx)
	} else {
		err = r.lines(ctx)
	}
	if err != nil {
		var bad *badFile
		if errors.As(err, &bad) {
			s.fail(path, fi, bad.why)
			return nil
		}
		return err
	}
	if err := s.complete(path, key); err != nil {
		s.fail(path, fi, fmt.Sprintf("its events were delivered but it cannot be marked complete: %v", err))
		return nil
	}
	s.completed.Inc()
	s.log.Info("spooled file completed", "file", path, "events", r.events)
	s.clearProgress()
	return nil
}

// complete marks a file whose events all committed, as the policies say.
func (s *Source) complete(path string, key fileKey) error {
	switch {
	case s.cfg.DeletePolicy == DeleteImmediate:
		return os.Remove(path)
	case s.cfg.TrackingPolicy == TrackTrackerDir:
		return writeMarker(s.marker(path), key)
	default:
		dest := path + s.cfg.FileSuffix
		if _, err := os.Lstat(dest); err == nil {
			return fmt.Errorf("%s exists", dest)
		}
		return os.Rename(path, dest)
	}
}

func (s *Source) saveProgress() {
	if err := writeProgress(s.progPath, s.prog); err != nil {
		s.m.GenericProcessingFail.Inc()
		s.log.Error("cannot write progress record", "file", s.progPath, "err", err)
	}
}

func (s *Source) clearProgress() {
	s.prog = nil
	if err := os.Remove(s.progPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Error("cannot remove progress record", "file", s.progPath, "err", err)
	}
}

// badFile is a reason to give up on a file.
type badFile struct{ why string }

func (b *badFile) Error() string { return b.why }

// headers returns the headers of one event of the file, nil when none are configured.
func (s *Source) headers(path string) map[string]string {
	if !s.cfg.FileHeader && !s.cfg.BasenameHeader {
		return nil
	}
	h := make(map[string]string, 2)
	if s.cfg.FileHeader {
		h[s.cfg.FileHeaderKey] = path
	}
	if s.cfg.BasenameHeader {
		h[s.cfg.BasenameHeaderKey] = filepath.Base(path)
	}
	return h
}

// deliver hands a batch to the processor and records the file's new offset once it committed.
func (r *fileReader) deliver(ctx context.Context, events []channel.Event, offset int64) error {
	if len(events) > 0 {
		if err := r.s.proc.Deliver(ctx, events); err != nil {
			return err
		}
		r.events += len(events)
	}
	r.offset = offset
	r.s.prog.Offset = offset
	r.s.saveProgress()
	return nil
}

// unchanged fails when the file changed since it was picked up.
func (r *fileReader) unchanged() error {
	fi, err := r.f.Stat()
	if err != nil {
		return &badFile{fmt.Sprintf("cannot stat it: %v", err)}
	}
	if k := keyOf(fi); k != r.key {
		return &badFile{fmt.Sprintf("it changed while it was read (size %d → %d); spooled files must not be written to", r.key.Size, k.Size)}
	}
	return nil
}
