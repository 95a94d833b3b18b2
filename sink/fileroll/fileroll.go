// Package fileroll is the "file_roll" sink (Flume's RollingFileSink): it appends events to a
// file in a local directory, as its serializer writes them (text by default: the bodies, one a
// line; json, format or avro_event with a serializer block), and starts a new file every
// roll_interval.
//
// Files are named like Flume's: <prefix><start-millis>-<n>[.<extension>], where start-millis
// is when the sink started and n counts the files it opened, from 1. Unlike Flume, a file is
// opened on the first Write after a roll rather than at the roll itself, so an idle flow leaves
// no empty files behind.
//
// Durability: with fsync = true (the default) every Write ends with a flush and an fsync
// (fdatasync on Linux), and each new file's directory entry is fsynced when it is created, so the
// runner commits its take only once the batch is on disk; nothing accepted is lost on a crash or
// power failure. With fsync = false a Write ends with a flush into the page cache only
// (Flume's behaviour): faster, but a power failure or kernel crash loses what the kernel had not
// yet written back (typically up to 30 seconds of data), though a crash of the agent alone
// does not. Close always fsyncs.
//
// A failed Write (disk full, directory removed or replaced by a file) truncates the current
// file back to where the batch began, best effort, closes it and returns the error, so the
// runner rolls back and the batch is written again into a new file on the next Write. An event
// the serializer cannot encode is left out and reported as a permanent failure of that event
// once the rest of the batch is on disk. A Write
// also checks, after flushing, that its file is still the one at its path: if the directory was
// removed or moved, the batch went to an unlinked file and the Write fails. The directory is
// created (with parents) when the sink starts, never afterwards: if it disappears, Writes fail
// until it is back.
//
// Nothing this sink meets is refused for good (sink.Permanent): every event goes to the same
// file in the same directory, so a full disk, a missing directory or a permission taken away
// stop all events alike and heal alike once an operator acts. Setting them aside would only
// move the whole flow into the dead-letter channel (or drop it); they are retried instead, and
// the sink's health reports them.
package fileroll

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/fsync"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/serializer"
	"github.com/flumego/flumego/sink"
)

// Config is the file_roll sink's config.
type Config struct {
	// Directory receives the files (Flume's sink.directory); created with parents if missing.
	Directory string `hcl:"directory"`
	// RollInterval is how often a new file is started (Flume's sink.rollInterval, 30s); 0 keeps
	// one file for the life of the sink.
	RollInterval time.Duration `hcl:"roll_interval,optional"`
	// Prefix and Extension frame the file names (Flume's sink.pathManager.prefix and
	// sink.pathManager.extension).
	Prefix    string `hcl:"prefix,optional"`
	Extension string `hcl:"extension,optional"`
	// Serializer is how events are written (Flume's sink.serializer): a `serializer "TYPE"
	// { ... }` block; text when there is none.
	Serializer serializer.Config `hcl:"serializer,block,optional"`
	// Fsync makes every Write durable before it returns; false flushes only (see the package
	// doc).
	Fsync bool `hcl:"fsync,optional"`
}

func defaults() *Config {
	return &Config{RollInterval: 30 * time.Second, Fsync: true}
}

// Validate reports every problem of the config.
func (c *Config) Validate() error {
	var errs []error
	if c.Directory == "" {
		errs = append(errs, schema.Errorf("directory", "must not be empty"))
	}
	for _, a := range []struct{ attr, v string }{{"prefix", c.Prefix}, {"extension", c.Extension}} {
		if strings.ContainsAny(a.v, "/\\\x00") {
			errs = append(errs, schema.Errorf(a.attr, "must be part of a file name, without a path separator: %q", a.v))
		}
	}
	return errors.Join(errs...)
}

// NewFactory returns the factory of the "file_roll" sink.
func NewFactory() sink.Factory { return sink.NewFactory("file_roll", defaults, New, flumeFileRoll) }

// bufSize is the write buffer: large enough that a batch of typical log lines goes to the
// kernel in a few write calls.
const bufSize = 256 << 10

// Sink writes events to rolling files. Writes, rolls and Close are serialised by mu: the
// runner never calls Write concurrently, but the roll timer runs on its own goroutine.
type Sink struct {
	cfg    Config
	log    *slog.Logger
	m      *metrics.Sink
	ser    serializer.Serializer
	series int64 // start time in unix ms, the first part of every file name

	mu     sync.Mutex
	f      *os.File // nil between files
	w      *bufio.Writer
	cw     countingWriter    // counts what goes into w
	st     serializer.Stream // the current file's; nil between files
	path   string
	size   int64 // bytes written to f by successful Writes
	index  int   // of the last file opened
	closed bool

	refused sink.Refusals // this Write's events the serializer cannot encode

	stopOnce sync.Once
	stop     chan struct{} // closed by Close to end the roll timer
	done     chan struct{} // closed when the roll timer has ended; nil without one
}

// New creates the directory if missing and starts the roll timer; the first file is opened by
// the first Write.
func New(cfg *Config, set sink.Settings) (sink.Sink, error) {
	if err := os.MkdirAll(cfg.Directory, 0o755); err != nil {
		return nil, fmt.Errorf("create directory: %w", err)
	}
	m := set.Metrics
	if m == nil {
		m = metrics.NewRegistry("").Sink(set.Name, "file_roll")
	}
	log := set.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ser, err := serializer.New(cfg.Serializer, serializer.Settings{Metrics: m.Component, DataDir: set.DataDir, Logger: log})
	if err != nil {
		return nil, err
	}
	s := &Sink{
		cfg:    *cfg,
		log:    log,
		m:      m,
		ser:    ser,
		series: time.Now().UnixMilli(),
		w:      bufio.NewWriterSize(io.Discard, bufSize),
		stop:   make(chan struct{}),
	}
	s.cw.w = s.w
	if cfg.RollInterval > 0 {
		s.done = make(chan struct{})
		go s.rollEvery(cfg.RollInterval)
	}
	return s, nil
}

// Write appends the events to the current file, opening one if needed, and returns once they
// are flushed (and fsynced, with fsync = true).
func (s *Sink) Write(_ context.Context, events []channel.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("write: sink is closed")
	}
	if s.f == nil {
		if err := s.open(); err != nil {
			return err
		}
	}
	var err error
	s.refused.Reset()
	for i := range events {
		if err = s.st.Append(&events[i]); serializer.IsEncodeError(err) {
			s.refused.Add(err, i) // the serializer cannot encode it, ever
			err = nil
			continue
		}
		if err != nil {
			break
		}
	}
	if err == nil {
		err = s.st.Flush()
	}
	if err == nil {
		err = s.w.Flush()
	}
	if err == nil && s.cfg.Fsync {
		err = fsync.Data(s.f)
	}
	if err == nil {
		// The open file must still be the one at its path, so a Write never reports success
		// for data that went into a file unlinked with its directory.
		err = fsync.InPlace(s.path, s.f)
	}
	if err != nil {
		s.abandon()
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	s.size = s.cw.n
	return s.refused.Err()
}

// open starts the next file. O_EXCL keeps it from ever appending to a file already there.
func (s *Sink) open() error {
	for i := s.index + 1; ; i++ {
		name := s.cfg.Prefix + strconv.FormatInt(s.series, 10) + "-" + strconv.Itoa(i)
		if s.cfg.Extension != "" {
			name += "." + s.cfg.Extension
		}
		path := filepath.Join(s.cfg.Directory, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) && i < s.index+1000 {
			continue
		}
		if err != nil {
			s.m.ConnectionFailedCount.Inc()
			return fmt.Errorf("open %s: %w", path, err)
		}
		if s.cfg.Fsync {
			// Make the new name durable too, or a crash could lose the file with the data
			// its Writes reported as synced.
			if err := fsync.Dir(s.cfg.Directory); err != nil {
				_ = f.Close()
				_ = os.Remove(path)
				s.m.ConnectionFailedCount.Inc()
				return fmt.Errorf("open %s: %w", path, err)
			}
		}
		s.f, s.path, s.size, s.index = f, path, 0, i
		s.w.Reset(f)
		s.cw.n = 0
		if s.st, err = s.ser.NewStream(&s.cw); err != nil {
			s.w.Reset(io.Discard)
			_ = f.Close()
			_ = os.Remove(path)
			s.f = nil
			s.m.ConnectionFailedCount.Inc()
			return fmt.Errorf("open %s: %w", path, err)
		}
		s.m.ConnectionCreatedCount.Inc()
		s.log.Debug("opened file", "path", path)
		return nil
	}
}

// abandon drops the current file after a failed Write: what the batch wrote is truncated away
// (best effort: the batch will be written again) and the file closed, so the next Write starts
// a new one.
func (s *Sink) abandon() {
	s.w.Reset(io.Discard)
	_ = s.f.Truncate(s.size)
	_ = s.f.Close()
	s.m.ConnectionClosedCount.Inc()
	s.f, s.st = nil, nil
}

// closeFile flushes and closes the current file, fsyncing first when sync is set.
func (s *Sink) closeFile(sync bool) error {
	err := s.w.Flush()
	if err == nil && sync {
		err = fsync.Data(s.f)
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.m.ConnectionClosedCount.Inc()
	s.w.Reset(io.Discard)
	s.f, s.st = nil, nil
	if err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}

// rollEvery closes the current file every interval; the next Write opens a new one.
func (s *Sink) rollEvery(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.roll()
		}
	}
}

func (s *Sink) roll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil || s.closed {
		return
	}
	// Every Write already flushed (and fsynced, if asked): closing loses nothing.
	if err := s.closeFile(false); err != nil {
		s.log.Warn("roll: closing the file failed", "err", err)
		return
	}
	s.log.Debug("rolled file", "path", s.path)
}

// Close stops the roll timer, then flushes, fsyncs and closes the current file. It is safe
// twice and while the timer is rolling.
func (s *Sink) Close(context.Context) error {
	s.stopOnce.Do(func() { close(s.stop) })
	if s.done != nil {
		<-s.done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.f == nil {
		return nil
	}
	return s.closeFile(true)
}

// countingWriter counts the bytes written through it: where a failed Write cuts the file back
// to.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
