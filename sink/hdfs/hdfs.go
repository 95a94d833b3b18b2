// Package hdfs is the "hdfs" sink (Flume's HDFSEventSink): it writes events into files under
// a path with Flume's escapes (hourly directories, a header's value), rolls them by time, size
// and count, compresses them, and never leaves them half-written. The path's scheme picks the
// file system: file:// (a local disk, or HDFS mounted through its NFS gateway or FUSE),
// hdfs:// (HDFS's native RPC) or webhdfs:// (the WebHDFS REST API, also served by HttpFS).
// Bucketing, rolling, delivery and recovery are written once, against store.FS.
//
// # Buckets and files
//
// Each event's bucket is its expanded path, file_prefix and file_suffix. A bucket has one open
// file, named like Flume's: <in_use_prefix><file_prefix>.<counter><file_suffix or
// codec extension><in_use_suffix> while written, renamed without the in-use marks when
// finished. The counter starts at the sink's start time in milliseconds and grows with every
// file, so names sort by creation. A file is finished when it holds roll_count events or
// roll_size bytes of bodies (checked after each event, so a file never goes past one event
// over), roll_interval after it was opened, idle_timeout after its last write, or when more than
// max_open_files buckets are open (the least recently written first).
//
// # Delivery
//
// Write returns nil only when every event of the batch is durable: each bucket the batch
// touched ends its unit (an Avro block, a gzip member, a zstd frame, a Hadoop block) and is
// synced (fsync on file://; on hdfs://, acknowledged by every datanode of the pipeline; on
// webhdfs://, a completed APPEND), in parallel, and all must succeed. So a file is, at every
// moment, a valid file of its format up to its last committed batch. A failed Write finishes
// every file the batch touched, cut back to where the batch began, so the retried batch is
// written once, into new files.
//
// Finishing a file (close, then rename) happens in the background, after its data is already
// durable: a close or rename that fails is retried every retry_interval (jittered to between half
// of it and all of it, internal/backoff), close_tries times
// (0: until it succeeds), and never holds up other buckets or the runner. A file left in use
// (the agent was killed, or close_tries ran out) is finished at the next start: start-up
// recovery lists the sink's own in-use files (those matching its path and prefix templates,
// and, on file://, not locked by a live writer), cuts a torn tail back to the last complete unit
// (the last line, Avro block, gzip member, zstd frame or Hadoop block), and renames them; a
// file with nothing whole in it is removed.
//
// # Time
//
// Time escapes use the event's "timestamp" header (milliseconds since the epoch), or the
// agent's clock with use_local_timestamp (read once per batch). An event whose header is missing or not a number is
// counted in EventTimestampMissingCount and, per missing_timestamp, bucketed by the agent's
// clock ("local_time", the default: nothing is lost) or dropped ("drop"). Flume instead fails
// the batch, which blocks the channel for good.
package hdfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/internal/escape"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/serializer"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/sink/hdfs/native"
	"github.com/flumego/flumego/sink/hdfs/store"
	"github.com/flumego/flumego/sink/hdfs/webhdfs"
)

// NewFactory returns the factory of the "hdfs" sink.
func NewFactory() sink.Factory { return sink.NewFactory("hdfs", defaults, New, flumeHDFS) }

// Sink writes events into bucketed, rolled files. Write and the background roll timer are
// serialised by mu; finishing files runs on goroutines of its own.
type Sink struct {
	cfg   Config
	log   *slog.Logger
	m     *metrics.Sink
	fs    store.FS
	where string // the path's scheme and host, for messages

	dirT, prefixT, suffixT *escape.Template
	host                   escape.Host
	ser                    serializer.Serializer
	needTime               bool
	codec                  Codec
	compressed             bool

	tsMissing  *metrics.Counter // events without a usable timestamp header
	tsDropped  *metrics.Counter // of those, dropped
	closeFails *metrics.Counter // close or rename attempts that failed (and are retried)
	recovered  *metrics.Counter // in-use files finished at start-up
	openFiles  *metrics.Counter // gauge

	counter atomic.Int64 // the last file counter handed out

	mu       sync.Mutex
	buckets  map[string]*bucket
	stamper  *escape.Stamper
	closed   bool
	seq      uint64 // Write number, for least-recently-used eviction
	touched  []*bucket
	key      []byte
	warnedTS bool
	refused  sink.Refusals    // this Write's events whose file cannot be created
	badKeys  map[string]error // this Write's buckets whose file cannot be created, and why

	mineMu sync.Mutex
	mine   map[string]bool // in-use names this run created: recovery leaves them alone

	kick      chan struct{} // a bucket opened: the roll timer recomputes its deadline
	stop      chan struct{} // closed by Close: the roll timer and recovery end
	hurry     chan struct{} // closed by Close: finishers retry at once
	abort     chan struct{} // closed when Close's deadline passed: finishers give up
	bgCtx     context.Context
	bgCancel  context.CancelFunc
	bg        sync.WaitGroup
	closeOnce sync.Once
	abortOnce sync.Once
}

// New starts the sink: it connects nothing yet (a namenode that is down fails Writes, counted,
// rather than the agent's start), starts the roll timer and, in the background, recovery of the
// in-use files a previous run left.
func New(cfg *Config, set sink.Settings) (sink.Sink, error) {
	tgt, err := parseTarget(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	fsys, err := newFS(tgt, cfg)
	if err != nil {
		return nil, err
	}
	return newSink(cfg, set, tgt, fsys)
}

// newFS returns the file system of the path's scheme.
func newFS(t target, cfg *Config) (store.FS, error) {
	switch t.scheme {
	case "file":
		return store.NewLocal(), nil
	case "webhdfs", "swebhdfs":
		return webhdfs.New(webhdfs.Options{Address: t.hosts[0], TLS: t.scheme == "swebhdfs", User: hdfsUser(cfg.User), Timeout: cfg.CallTimeout}), nil
	case "hdfs":
		return native.New(native.Options{Addresses: t.hosts, User: hdfsUser(cfg.User), Timeout: cfg.CallTimeout}), nil
	}
	return nil, fmt.Errorf("unknown scheme %q", t.scheme)
}

// hdfsUser is the user a remote file system is accessed as.
func hdfsUser(set string) string {
	if set != "" {
		return set
	}
	if u := os.Getenv("HADOOP_USER_NAME"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "flume"
}

func newSink(cfg *Config, set sink.Settings, tgt target, fsys store.FS) (*Sink, error) {
	log := set.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := set.Metrics
	if m == nil {
		m = metrics.NewRegistry("").Sink(set.Name, "hdfs")
	}
	var errs []error
	parse := func(s string) *escape.Template {
		t, err := escape.Parse(s)
		errs = append(errs, err)
		return t
	}
	s := &Sink{
		cfg:        *cfg,
		log:        log,
		m:          m,
		fs:         fsys,
		where:      tgt.scheme + "://" + strings.Join(tgt.hosts, ","),
		dirT:       parse(tgt.dir),
		prefixT:    parse(cfg.FilePrefix),
		suffixT:    parse(cfg.FileSuffix),
		tsMissing:  m.Counter("EventTimestampMissingCount"),
		tsDropped:  m.Counter("EventTimestampDropCount"),
		closeFails: m.Counter("FileCloseFailCount"),
		recovered:  m.Counter("FileRecoveredCount"),
		openFiles:  m.Gauge("OpenFileCount"),
		buckets:    map[string]*bucket{},
		mine:       map[string]bool{},
		kick:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		hurry:      make(chan struct{}),
		abort:      make(chan struct{}),
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ser, err := serializer.New(cfg.Serializer, serializer.Settings{Metrics: m.Component, DataDir: set.DataDir, Logger: log})
	if err != nil {
		return nil, err
	}
	s.ser = ser
	s.codec, _ = cfg.codec()
	s.compressed = cfg.fileType() == CompressedStream
	s.needTime = s.dirT.UsesTime() || s.prefixT.UsesTime() || s.suffixT.UsesTime()
	if s.dirT.UsesHost() || s.prefixT.UsesHost() || s.suffixT.UsesHost() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.host = escape.LocalHost(ctx)
		cancel()
	}
	loc := time.Local
	if cfg.TimeZone != "" {
		l, err := time.LoadLocation(cfg.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("time_zone: %w", err)
		}
		loc = l
	}
	round := 0
	if cfg.Round {
		round = cfg.RoundValue
	}
	s.stamper = escape.NewStamper(loc, escape.Unit(cfg.RoundUnit), round)
	s.counter.Store(time.Now().UnixMilli() - 1)
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	s.bg.Add(2)
	go s.rollTimer()
	go s.recoverLoop()
	return s, nil
}

// nextCounter hands out the next file counter: the current time in milliseconds, or one more
// than the last when files open faster than that.
func (s *Sink) nextCounter() int64 {
	for {
		old := s.counter.Load()
		n := max(old+1, time.Now().UnixMilli())
		if s.counter.CompareAndSwap(old, n) {
			return n
		}
	}
}

// callCtx bounds one file-system operation by call_timeout.
func (s *Sink) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.CallTimeout)
}

// Write appends the events to their buckets' files and returns once all of them are durable.
func (s *Sink) Write(ctx context.Context, events []channel.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("write: sink is closed")
	}
	s.seq++
	now := time.Now()
	touched := s.touched[:0]
	s.refused.Reset()
	clear(s.badKeys)
	var err error
	for i := range events {
		ev := &events[i]
		if !s.bucketKey(ev, now) {
			continue
		}
		if why, bad := s.badKeys[string(s.key)]; bad {
			s.refused.Add(why, i)
			continue
		}
		b := s.buckets[string(s.key)]
		if b == nil {
			if b, err = s.open(ctx, string(s.key), now); err != nil {
				if !refusedPath(err) {
					break
				}
				// This bucket's file cannot be created, now or on a retry (permission denied,
				// an invalid name): its events are refused for good, the others go on.
				if s.badKeys == nil {
					s.badKeys = map[string]error{}
				}
				s.badKeys[string(s.key)] = err
				s.refused.Add(err, i)
				err = nil
				continue
			}
		}
		if !b.inBatch {
			b.inBatch, b.batchStart = true, b.durable
			touched = append(touched, b)
		}
		b.lastUse = s.seq
		if err = b.append(ev); serializer.IsEncodeError(err) {
			s.refused.Add(err, i)
			err = nil
			continue
		}
		if err != nil {
			err = fmt.Errorf("write %s: %w", b.tmp, err)
			break
		}
		if s.full(b) {
			if err = s.syncBucket(ctx, b); err != nil {
				break
			}
			b.inBatch = false
			b.lastWrite = now
			s.retire(b)
		}
	}
	if err == nil {
		err = s.syncAll(ctx, touched)
	}
	for _, b := range touched {
		if !b.inBatch {
			continue
		}
		b.inBatch = false
		if err != nil {
			s.abandon(b)
		} else {
			b.lastWrite = now
		}
	}
	clear(touched)
	s.touched = touched[:0]
	if err != nil {
		return err
	}
	return s.refused.Err()
}

// refusedPath reports whether creating a bucket's file failed in a way retrying cannot heal:
// the file system refuses the path itself (permission denied, a file where a directory should
// be, a name too long or invalid; on webhdfs://, a 400 or 403 answer that is not one of
// Hadoop's transient exceptions). An outage never is: a namenode down, restarting, in safe
// mode or on standby, a timeout, a quota reached, or an error this does not know.
func refusedPath(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	var re *webhdfs.RemoteError
	if errors.As(err, &re) {
		return re.Permanent()
	}
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrInvalid) ||
		errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ENAMETOOLONG)
}

// bucketKey expands the templates for ev into s.key, or reports false when the event is
// dropped for want of a timestamp.
func (s *Sink) bucketKey(ev *channel.Event, now time.Time) bool {
	var st *escape.Stamp
	if s.needTime {
		ms, ok := s.eventTime(ev, now)
		if !ok {
			return false
		}
		st = s.stamper.Stamp(ms)
	}
	k := s.dirT.Append(s.key[:0], ev.Headers, st, &s.host)
	k = append(k, 0)
	k = s.prefixT.Append(k, ev.Headers, st, &s.host)
	k = append(k, 0)
	s.key = s.suffixT.Append(k, ev.Headers, st, &s.host)
	return true
}

// eventTime is the time that buckets ev, in milliseconds since the epoch.
func (s *Sink) eventTime(ev *channel.Event, now time.Time) (int64, bool) {
	if s.cfg.UseLocalTimestamp {
		return now.UnixMilli(), true
	}
	if v, ok := ev.Headers["timestamp"]; ok {
		if ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return ms, true
		}
	}
	s.tsMissing.Inc()
	if !s.warnedTS {
		s.warnedTS = true
		s.log.Warn("an event has no usable timestamp header for the path's time escapes (add a timestamp interceptor, or set use_local_timestamp); counting such events in EventTimestampMissingCount",
			"policy", string(s.cfg.MissingTimestamp))
	}
	if s.cfg.MissingTimestamp == Drop {
		s.tsDropped.Inc()
		return 0, false
	}
	return now.UnixMilli(), true
}

// full reports whether b reached roll_count or roll_size.
func (s *Sink) full(b *bucket) bool {
	return s.cfg.RollCount > 0 && b.events >= s.cfg.RollCount ||
		s.cfg.RollSize > 0 && b.raw >= int64(s.cfg.RollSize)
}

// open creates the file of a new bucket, first closing the least recently written bucket when
// max_open_files are open.
func (s *Sink) open(ctx context.Context, key string, now time.Time) (*bucket, error) {
	if len(s.buckets) >= s.cfg.MaxOpenFiles {
		if err := s.evictOne(ctx); err != nil {
			return nil, err
		}
	}
	parts := strings.SplitN(key, "\x00", 3)
	dir, prefix, suffix := cleanDir(parts[0]), cleanName(parts[1]), cleanName(parts[2])
	if suffix == "" {
		suffix = s.codec.Ext()
	}
	b := &bucket{key: key, dir: dir, prefix: prefix, suffix: suffix, opened: now, lastWrite: now}
	var err error
	for range 10 { // a name taken already (a clock set back): take the next counter
		b.counter = s.nextCounter()
		b.setNames(&s.cfg)
		cctx, cancel := s.callCtx(ctx)
		b.f, err = s.fs.Create(cctx, b.tmp)
		cancel()
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		s.m.ConnectionFailedCount.Inc()
		return nil, fmt.Errorf("create %s%s: %w", s.where, b.tmp, err)
	}
	s.mineMu.Lock()
	s.mine[b.tmp] = true
	s.mineMu.Unlock()
	b.cw = &countingWriter{w: b.f}
	if err := b.start(s.ser, s.codec, s.compressed); err != nil {
		s.abandon(b)
		return nil, fmt.Errorf("create %s: %w", b.tmp, err)
	}
	s.buckets[key] = b
	s.openFiles.Set(int64(len(s.buckets)))
	s.m.ConnectionCreatedCount.Inc()
	s.log.Debug("opened file", "path", b.tmp)
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return b, nil
}

// evictOne finishes the least recently written bucket, preferring one this batch has not
// touched; one it has is synced first.
func (s *Sink) evictOne(ctx context.Context) error {
	var lru *bucket
	for _, b := range s.buckets {
		if lru == nil || b.lastUse < lru.lastUse || b.lastUse == lru.lastUse && !b.inBatch && lru.inBatch {
			lru = b
		}
	}
	if lru.inBatch {
		if err := s.syncBucket(ctx, lru); err != nil {
			return err
		}
		lru.inBatch = false
	}
	s.retire(lru)
	return nil
}

// syncBucket ends b's unit and syncs it: what it holds is then durable.
func (s *Sink) syncBucket(ctx context.Context, b *bucket) error {
	if err := b.endUnit(); err != nil {
		return fmt.Errorf("write %s%s: %w", s.where, b.tmp, err)
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	if err := b.f.Sync(cctx); err != nil {
		return fmt.Errorf("sync %s%s: %w", s.where, b.tmp, err)
	}
	b.durable = b.cw.n
	return nil
}

// syncAll syncs the buckets the batch touched, in parallel, and joins their errors.
func (s *Sink) syncAll(ctx context.Context, touched []*bucket) error {
	var live []*bucket
	for _, b := range touched {
		if b.inBatch {
			live = append(live, b)
		}
	}
	if len(live) == 1 {
		return s.syncBucket(ctx, live[0])
	}
	errs := make([]error, len(live))
	var wg sync.WaitGroup
	for i, b := range live {
		wg.Go(func() { errs[i] = s.syncBucket(ctx, b) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// retire detaches a bucket whose data is durable and finishes its file in the background.
func (s *Sink) retire(b *bucket) {
	s.detach(b)
	s.finish(b, -1)
}

// abandon detaches a bucket after a failed write: its file is finished cut back to what was
// durable before the batch (removed when nothing was), so the retried batch is not doubled.
func (s *Sink) abandon(b *bucket) {
	s.detach(b)
	s.finish(b, b.batchStart)
}

func (s *Sink) detach(b *bucket) {
	if s.buckets[b.key] == b {
		delete(s.buckets, b.key)
		s.openFiles.Set(int64(len(s.buckets)))
	}
}

// cleanDir makes an expanded directory safe: empty, "." and ".." segments (from header values)
// cannot climb out of or collapse the path.
func cleanDir(d string) string {
	segs := strings.Split(d, "/")
	out := segs[:0]
	for _, seg := range segs {
		switch seg {
		case "":
			continue
		case ".", "..":
			seg = strings.Repeat("_", len(seg))
		}
		out = append(out, strings.ReplaceAll(seg, "\x00", "_"))
	}
	return "/" + strings.Join(out, "/")
}

// cleanName keeps an expanded file-name part a single name.
func cleanName(n string) string {
	if strings.ContainsAny(n, "/\x00") {
		n = strings.NewReplacer("/", "_", "\x00", "_").Replace(n)
	}
	return n
}

// countingWriter counts the bytes written to a file: the offsets durability is tracked in.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// bucket is one open file.
type bucket struct {
	key                 string
	dir, prefix, suffix string
	counter             int64
	tmp, final          string

	f   store.File
	cw  *countingWriter
	enc unitWriter        // nil for DataStream
	st  serializer.Stream // writes into enc, or cw

	opened, lastWrite time.Time
	lastUse           uint64
	events, raw       int64 // events and body bytes in the file
	durable           int64 // file bytes durable after the last sync
	batchStart        int64 // durable when the current batch first touched the bucket
	inBatch           bool
	closed            bool // f.Close succeeded
}

func (b *bucket) setNames(cfg *Config) {
	name := b.prefix + "." + strconv.FormatInt(b.counter, 10) + b.suffix
	b.final = b.dir + "/" + name
	b.tmp = b.dir + "/" + cfg.InUsePrefix + name + cfg.InUseSuffix
}

// start sets up the file's encoder and serializer stream (an Avro container writes its header).
func (b *bucket) start(ser serializer.Serializer, codec Codec, compressed bool) error {
	var out io.Writer = b.cw
	if compressed {
		enc, err := newUnitWriter(codec, b.cw)
		if err != nil {
			return err
		}
		b.enc, out = enc, enc
	}
	st, err := ser.NewStream(out)
	if err != nil {
		return err
	}
	b.st = st
	return nil
}

// append writes one event; an *serializer.EncodeError means it could not be encoded, and
// nothing of it was written.
func (b *bucket) append(ev *channel.Event) error {
	if err := b.st.Append(ev); err != nil {
		return err
	}
	b.events++
	b.raw += int64(len(ev.Body))
	return nil
}

// endUnit completes the serializer's block and the codec's unit.
func (b *bucket) endUnit() error {
	if err := b.st.Flush(); err != nil {
		return err
	}
	if b.enc != nil {
		return b.enc.EndUnit()
	}
	return nil
}

// rollTimer finishes buckets when their roll_interval or idle_timeout passes. It sleeps until
// the earliest deadline, and is woken when a bucket opens (idle deadlines only move later, so
// waking early merely re-checks).
func (s *Sink) rollTimer() {
	defer s.bg.Done()
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		if d := s.expire(time.Now()); d > 0 {
			t.Reset(d)
		}
		select {
		case <-s.stop:
			t.Stop()
			return
		case <-s.kick:
		case <-t.C:
		}
	}
}

// expire retires the buckets past a deadline and returns the time to the next one (0: none).
func (s *Sink) expire(now time.Time) time.Duration {
	if s.cfg.RollInterval == 0 && s.cfg.IdleTimeout == 0 {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0
	}
	var next time.Duration
	consider := func(d time.Duration) {
		if next == 0 || d < next {
			next = d
		}
	}
	for _, b := range s.buckets {
		var due time.Duration = -1
		if s.cfg.RollInterval > 0 {
			due = b.opened.Add(s.cfg.RollInterval).Sub(now)
		}
		if s.cfg.IdleTimeout > 0 {
			idle := b.lastWrite.Add(s.cfg.IdleTimeout).Sub(now)
			if due < 0 && s.cfg.RollInterval == 0 || idle < due {
				due = idle
			}
		}
		if due <= 0 {
			// Every Write synced its data: finishing loses nothing.
			s.retire(b)
			continue
		}
		consider(due)
	}
	return next
}

// Close finishes every open file (close and rename, retried until ctx ends) and waits for the
// files already finishing. What is left in use when ctx ends is finished at the next start.
// It is safe twice.
func (s *Sink) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.bgCancel()
		s.mu.Lock()
		s.closed = true
		for _, b := range s.buckets {
			s.retire(b)
		}
		s.mu.Unlock()
		close(s.hurry)
	})
	done := make(chan struct{})
	go func() {
		s.bg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		s.abortOnce.Do(func() { close(s.abort) })
		err = fmt.Errorf("close: files still being finished when the deadline passed are left in use and finished at the next start: %w", ctx.Err())
		<-done // finishers give up at their next wait; an operation in flight ends by call_timeout
	}
	if cerr := s.fs.Close(); err == nil {
		err = cerr
	}
	return err
}

// finish closes and renames b's file in the background, retrying per close_tries and
// retry_interval. truncate >= 0 cuts the file to that size first (0 removes it).
func (s *Sink) finish(b *bucket, truncate int64) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer func() { // done or given up: start-up recovery may have it
			s.mineMu.Lock()
			delete(s.mine, b.tmp)
			s.mineMu.Unlock()
		}()
		for try := 1; ; try++ {
			err := s.finishOnce(b, truncate)
			if err == nil {
				return
			}
			s.closeFails.Inc()
			if s.cfg.CloseTries > 0 && try >= s.cfg.CloseTries {
				s.log.Error("could not finish a file; it stays in use until the next start", "path", b.tmp, "tries", try, "err", err)
				return
			}
			if try == 1 {
				s.log.Warn("finishing a file failed; retrying", "path", b.tmp, "retry_interval", s.cfg.RetryInterval, "err", err)
			}
			if !s.pause(backoff.Jitter(s.cfg.RetryInterval)) {
				s.log.Warn("file left in use at shutdown; it is finished at the next start", "path", b.tmp)
				return
			}
		}
	}()
}

// pause waits d between tries to finish a file, or at most a second once Close has begun (it
// then retries at once). It reports false when Close's deadline passed: give up.
func (s *Sink) pause(d time.Duration) bool {
	h := s.hurry
	select {
	case <-h:
		d, h = min(d, time.Second), nil
	default:
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-h:
		return true
	case <-s.abort:
		return false
	}
}

// finishOnce makes one attempt at closing, cutting and renaming b's file. Each step is
// idempotent, so a retry after a partial success is safe.
func (s *Sink) finishOnce(b *bucket, truncate int64) error {
	ctx, cancel := s.callCtx(context.Background())
	defer cancel()
	if !b.closed {
		err := b.f.Close(ctx)
		if err != nil && truncate < 0 {
			return fmt.Errorf("close %s%s: %w", s.where, b.tmp, err)
		}
		// A file being abandoned is cut back below whatever its close wrote.
		b.closed = err == nil || truncate >= 0
		if err == nil || truncate >= 0 {
			s.m.ConnectionClosedCount.Inc()
		}
	}
	switch {
	case truncate == 0:
		if err := s.fs.Remove(ctx, b.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s%s: %w", s.where, b.tmp, err)
		}
		return nil
	case truncate > 0:
		if err := s.fs.Truncate(ctx, b.tmp, truncate); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("truncate %s%s: %w", s.where, b.tmp, err)
		}
	}
	return s.rename(ctx, b)
}

// rename gives a finished file its final name; a name already taken gets a fresh counter.
func (s *Sink) rename(ctx context.Context, b *bucket) error {
	for range 10 {
		err := s.fs.Rename(ctx, b.tmp, b.final)
		switch {
		case err == nil:
			s.log.Debug("finished file", "path", b.final)
			return nil
		case errors.Is(err, fs.ErrExist):
			tmp := b.tmp
			b.counter = s.nextCounter()
			b.setNames(&s.cfg)
			b.tmp = tmp
			continue
		case errors.Is(err, fs.ErrNotExist):
			// An earlier try may have renamed it before its answer was lost.
			if r, err := s.fs.Open(ctx, b.final, 0); err == nil {
				r.Close()
				return nil
			}
		}
		return fmt.Errorf("rename %s%s: %w", s.where, b.tmp, err)
	}
	return fmt.Errorf("rename %s%s: every name tried exists", s.where, b.tmp)
}

// isMine reports whether this run created the in-use file name.
func (s *Sink) isMine(name string) bool {
	s.mineMu.Lock()
	defer s.mineMu.Unlock()
	return s.mine[name]
}
