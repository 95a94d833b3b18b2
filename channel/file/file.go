// Package file is the durable channel: events live in one bbolt database file in the
// configured dir, so once a put commit returns they survive a kill -9 of the agent and, with
// the default fsync = "commit", an OS crash or a power cut; they come out again until a take
// that handed them out commits.
//
//	channel "file" "c1" {
//	  dir                    = "/var/lib/flumego/c1" # required; created with its parents
//	  capacity               = 1000000  # events, counting those taken and not committed
//	  transaction_capacity   = 10000    # events per put or take transaction
//	  keep_alive             = "3s"     # how long a full channel makes a put commit wait
//	  minimum_required_space = "512MiB" # below it puts are refused; 0 disables the check
//	  fsync                  = "commit" # or "interval"
//	  fsync_interval         = "5s"     # with fsync = "interval": the most a power cut loses
//	}
//
// # How it stores events
//
// Every event gets a sequence number when its put commits. A put's events are stored as
// records of about 32KiB in a bucket of the put's own, keyed by the big-endian sequence number
// of its first event, so puts append at the right edge of the B+tree and take commits delete
// from its left edge, and a put's records are written once (codec.go says why that takes a
// bucket per put). A take commit deletes the puts it emptied and, for a put it took only part
// of, stores the runs taken in bucket "acks". The in-memory queue of sequence numbers is
// rebuilt from the database on open: the database is the truth. Pages freed by take commits
// are reused by later puts, so the file grows to the largest backlog it held and no further;
// when a large file is mostly free it is compacted into a fresh one (compact.go).
//
// # Transactions
//
// The semantics are the memory channel's. Events taken but not committed are in flight: they
// stay in the database, count against the capacity, go back ahead of newer events in commit
// order on Rollback, and are at the head again after a crash. A failed take commit hands its
// events back like a rollback: a sink may then deliver them twice, never zero times.
// EventTakeAttemptCount and ChannelSize (events waiting, not in flight) count as the memory
// channel does.
//
// # Group commit
//
// bbolt has one writer, and each of its transactions costs two fsyncs. All put and take
// commits go through one committer goroutine that writes whatever commits are waiting as one
// bbolt transaction; each caller returns when its own commit is on disk. Unlike bbolt's
// DB.Batch it never waits for a batch to fill: a lone putter pays one transaction per commit,
// concurrent putters share them. A take commit that finds no put to share with rides on the
// next put's transaction, when a putter is active and the taker keeps up (committer.go), so a
// source and a sink on one channel pay one transaction per put, not two.
//
// # Reading
//
// Recently put events are kept in memory (8MiB at most) so a sink that keeps up never reads
// from disk; a backlog is read back in runs, one read transaction per Take. bbolt reads through
// a mapping of the file whose pages would stay in the agent's resident memory; the channel
// gives them back to the page cache after each read and four times a second (mapped_linux.go).
//
// # Disk space
//
// While the file system holding dir has less free space than minimum_required_space (the
// free pages inside the file count as free: puts reuse them without taking more of the disk),
// put commits fail at once with ErrLowSpace, which wraps channel.ErrFull: the source backs off
// and retries as it does for a full channel, and puts resume by themselves when space comes
// back. A disk that fills up anyway (ENOSPC) gives the same error. Takes keep working so the
// channel can drain. The free space is read with statfs at most once a second (and after
// every 64MiB written), not per event; the refusal is logged once per streak and counted in
// EventPutErrorCount, and Unhealthy is 1 meanwhile.
//
// # fsync = "interval"
//
// Commits return once written to the operating system's page cache and the file is forced to
// disk every fsync_interval (default 5s, Flume's). A kill -9 of the agent loses nothing. An OS
// crash or power cut loses the commits of up to the last fsync_interval, and since bbolt relies
// on fsync for its own ordering it may leave the file inconsistent; every open reads the whole
// file (open.go) and a damaged one is refused with its path rather than served. Use it where
// the host's power is trusted and the throughput matters.
//
// # Ownership
//
// One agent owns a dir: a second opener fails at once (ErrLocked) with an error naming it. A
// damaged or truncated database is reported with its path (ErrCorrupt) and the channel refuses
// to open; nothing is silently discarded. Opening reads the whole file once. Beside the database
// a marker (MarkerFile, "channel.id") names its identity, so that a database emptied, removed or
// replaced by another channel's while the agent was down is refused with its path too
// (ErrCorrupt, ErrForeign) instead of being taken for a new, empty channel; removing the marker
// is how an operator accepts that.
package file

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/metrics"
)

// DBFile is the name of the database file inside dir.
const DBFile = "channel.db"

var (
	// ErrLowSpace is returned by a put commit while the disk holding dir has less free space
	// than minimum_required_space, or when the disk is full. It wraps channel.ErrFull: the
	// source keeps its events and retries later.
	ErrLowSpace = fmt.Errorf("not enough free disk space: %w", channel.ErrFull)
	// ErrCorrupt is returned by New for a database file that is damaged or truncated.
	ErrCorrupt = errors.New("database file is damaged or truncated")
	// ErrLocked is returned by New when another process holds the database.
	ErrLocked = errors.New("database is in use by another process")
	// ErrForeign is returned by New for a database that is not the one the dir held before
	// (see MarkerFile).
	ErrForeign = errors.New("database file belongs to another channel")
)

var (
	eventsBucket = []byte("events")
	acksBucket   = []byte("acks")
	metaBucket   = []byte("meta")
	formatKey    = []byte("format")
	stateKey     = []byte("state")
	idKey        = []byte("id")
)

// The file format version in the meta bucket (2: a bucket per put; an agent reading 2 reads
// 1 too, see codec.go), and the states recorded there: how the file was last opened, or that
// it was closed cleanly.
const (
	formatVersion     = "2"
	formatVersion1    = "1"
	stateOpen         = "open"
	stateClosed       = "closed"
	defaultCacheBytes = 8 << 20
	defaultSpaceEvery = time.Second
	spaceRecheckBytes = 64 << 20
	lockTimeout       = 100 * time.Millisecond
)

// fileChannel is the file channel. Locks: mu guards the queue, counts and cache; dbMu guards
// the db handle itself, shared by readers and committer, exclusive for compaction and Close.
// mu is never held while waiting for the disk.
type fileChannel struct {
	name  string
	dir   string
	path  string
	cfg   Config
	log   *slog.Logger
	m     *metrics.Channel
	putEr *metrics.Counter
	takEr *metrics.Counter
	unhea *metrics.Counter

	dbMu sync.RWMutex
	db   *bolt.DB // nil once closed

	mu       sync.Mutex
	closed   atomic.Bool // written under mu; read without it by Put and Take
	queue    spanQueue
	cache    eventCache
	stored   int // events in the database: queued or in flight
	inflight int // taken, not yet committed
	reserved int // room held by put commits on their way to the disk

	ready   channel.Signal // put commits and rollbacks: events to take
	room    channel.Signal // take commits and failed puts: room to put
	closing chan struct{}
	pending sync.WaitGroup // commits submitted and not yet answered

	committer committer
	encoders  sync.Pool // *encoder, for put commits

	freeSpace      func(string) (int64, error)
	spaceEvery     time.Duration
	spaceMu        sync.Mutex
	spaceCheckedAt atomic.Int64 // unix nanoseconds
	written        atomic.Int64 // bytes since the last check
	lowSpace       atomic.Bool
	spaceErr       bool // under spaceMu: the last check failed
	ioFailed       atomic.Bool
}

// New opens (or creates) the channel's database in cfg.Dir and loads its queue.
func New(cfg *Config, set channel.Settings) (channel.Channel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("file channel %s: %w", set.Name, err)
	}
	c := &fileChannel{
		name:       set.Name,
		dir:        cfg.Dir,
		path:       filepath.Join(cfg.Dir, DBFile),
		cfg:        *cfg,
		log:        set.Logger,
		m:          set.Metrics,
		closing:    make(chan struct{}),
		freeSpace:  cfg.tune.freeSpace,
		spaceEvery: cfg.tune.spaceCheckEvery,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.m == nil {
		c.m = metrics.NewRegistry("").Channel(set.Name, "file")
	}
	c.putEr = c.m.Component.Counter("EventPutErrorCount")
	c.takEr = c.m.Component.Counter("EventTakeErrorCount")
	c.unhea = c.m.Component.Gauge("Unhealthy")
	if c.freeSpace == nil {
		c.freeSpace = statfsFree
	}
	if c.spaceEvery <= 0 {
		c.spaceEvery = defaultSpaceEvery
	}
	switch cb := cfg.tune.cacheBytes; {
	case cb == 0:
		c.cache.max = defaultCacheBytes
	case cb > 0:
		c.cache.max = cb
	}

	if err := os.MkdirAll(c.dir, 0o750); err != nil {
		return nil, c.errorf("create dir: %w", err)
	}
	st, err := c.open()
	if err != nil {
		return nil, err
	}
	c.committer.init(c, st.next, st.recs)
	go c.committer.run()

	c.m.ChannelCapacity.Set(int64(cfg.Capacity))
	c.m.ChannelSize.Set(int64(c.queue.count))
	c.unhea.Set(0)
	c.m.MarkStarted()
	if st.unclean {
		c.log.Info("file channel was not closed cleanly; events in flight at the stop are available again",
			"path", c.path)
	}
	c.log.Info("file channel open", "path", c.path, "events", c.stored, "fsync", string(cfg.Fsync))
	return c, nil
}

func (c *fileChannel) errorf(format string, args ...any) error {
	return fmt.Errorf("file channel %s: "+format, append([]any{c.name}, args...)...)
}

// BeginPut starts a put transaction.
func (c *fileChannel) BeginPut() channel.PutTx { return &putTx{c: c} }

// BeginTake starts a take transaction.
func (c *fileChannel) BeginTake() channel.TakeTx { return &takeTx{c: c} }

// Ready returns a channel closed by the next put commit or take rollback.
func (c *fileChannel) Ready() <-chan struct{} { return c.ready.Wait() }

// Close stops the committer after the commits already submitted and closes the database.
// Events not taken stay in it, and events in flight come back on the next open. Commits in
// progress are each bounded by one write and fsync, so Close waits for them rather than for
// ctx. Close is safe twice.
func (c *fileChannel) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return nil
	}
	c.closed.Store(true)
	close(c.closing)
	c.mu.Unlock()

	c.pending.Wait()
	c.committer.stop()

	c.dbMu.Lock()
	err := c.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(metaBucket).Put(stateKey, []byte(stateClosed))
	})
	if c.cfg.Fsync == FsyncInterval {
		err = errors.Join(err, c.db.Sync())
	}
	err = errors.Join(err, c.db.Close())
	c.db = nil
	c.dbMu.Unlock()

	c.mu.Lock()
	stored, inflight := c.stored, c.inflight
	c.cache = eventCache{}
	c.mu.Unlock()
	c.m.MarkStopped()
	if err != nil {
		c.log.Error("file channel close failed", "path", c.path, "err", err)
		return c.errorf("close %s: %w", c.path, err)
	}
	c.log.Info("file channel closed", "path", c.path, "events_kept", stored, "in_flight", inflight)
	return nil
}

// reserve holds room for n events, waiting up to keep_alive or ctx for it. On success the
// caller must submit a commit (pending was counted).
func (c *fileChannel) reserve(ctx context.Context, n int) error {
	var timer *time.Timer
	expired := false
	c.mu.Lock()
	for {
		if c.closed.Load() {
			c.mu.Unlock()
			return c.errorf("put commit: %w", channel.ErrClosed)
		}
		if c.stored+c.reserved+n <= c.cfg.Capacity {
			break
		}
		if expired || c.cfg.KeepAlive <= 0 || ctx.Err() != nil {
			c.mu.Unlock()
			return c.full(ctx, n)
		}
		if timer == nil {
			timer = time.NewTimer(c.cfg.KeepAlive)
			defer timer.Stop()
		}
		w := c.room.Wait()
		c.mu.Unlock()
		select {
		case <-w:
		case <-c.closing:
		case <-timer.C:
			expired = true
		case <-ctx.Done():
		}
		c.mu.Lock()
	}
	c.reserved += n
	c.pending.Add(1)
	c.mu.Unlock()
	return nil
}

func (c *fileChannel) full(ctx context.Context, n int) error {
	if err := ctx.Err(); err != nil {
		return c.errorf("put commit of %d events: %w (capacity %d): %w", n, channel.ErrFull, c.cfg.Capacity, err)
	}
	return c.errorf("put commit of %d events: %w (capacity %d, waited %s)", n, channel.ErrFull, c.cfg.Capacity, c.cfg.KeepAlive)
}

// spaceLow reports whether puts must be refused for lack of disk space, reading the free space
// at most once per spaceEvery (or after spaceRecheckBytes written).
func (c *fileChannel) spaceLow() bool {
	if c.cfg.MinimumRequiredSpace <= 0 {
		return false
	}
	now := time.Now().UnixNano()
	last := c.spaceCheckedAt.Load()
	if (now-last >= int64(c.spaceEvery) || c.written.Load() >= spaceRecheckBytes) &&
		c.spaceCheckedAt.CompareAndSwap(last, now) {
		c.checkSpace()
	}
	return c.lowSpace.Load()
}

func (c *fileChannel) checkSpace() {
	c.spaceMu.Lock()
	defer c.spaceMu.Unlock()
	c.written.Store(0)
	free, err := c.freeSpace(c.dir)
	if err != nil {
		if !c.spaceErr {
			c.log.Warn("file channel cannot read free disk space; not enforcing minimum_required_space until it can",
				"dir", c.dir, "err", err)
		}
		c.spaceErr = true
		return
	}
	c.spaceErr = false
	// Pages that take commits freed inside the file hold new events without taking more of
	// the disk, so a drained channel accepts puts again even on a disk that stays full.
	reusable := c.reusableBytes()
	min := int64(c.cfg.MinimumRequiredSpace)
	low := free+reusable < min
	if low == c.lowSpace.Load() {
		return
	}
	c.lowSpace.Store(low)
	c.updateHealth()
	if low {
		c.log.Warn("file channel refusing puts: free disk space below minimum_required_space; takes go on",
			"dir", c.dir, "free_bytes", free, "reusable_bytes_in_file", reusable, "minimum_required_space", min)
	} else {
		c.log.Info("file channel accepting puts again: free disk space above minimum_required_space",
			"dir", c.dir, "free_bytes", free, "reusable_bytes_in_file", reusable, "minimum_required_space", min)
	}
}

// reusableBytes is the free pages inside the database file.
func (c *fileChannel) reusableBytes() int64 {
	c.dbMu.RLock()
	defer c.dbMu.RUnlock()
	if c.db == nil {
		return 0
	}
	return int64(c.db.Stats().FreeAlloc)
}

func (c *fileChannel) updateHealth() {
	if c.lowSpace.Load() || c.ioFailed.Load() {
		c.unhea.Set(1)
	} else {
		c.unhea.Set(0)
	}
}

// setIOFailed records the outcome of a disk operation, logging a change.
func (c *fileChannel) setIOFailed(err error) {
	failed := err != nil
	if c.ioFailed.Swap(failed) != failed {
		if failed {
			c.log.Error("file channel disk operation failed", "path", c.path, "err", err)
		} else {
			c.log.Info("file channel disk operations succeed again", "path", c.path)
		}
		c.updateHealth()
	}
}

// putTx is a put transaction. It is used by one goroutine at a time.
type putTx struct {
	c      *fileChannel
	events []channel.Event
	state  txState
}

type txState uint8

const (
	txOpen txState = iota
	txCommitted
	txEnded // rolled back, or its commit failed
)

func (t *putTx) Put(events ...channel.Event) error {
	if t.state != txOpen {
		return t.c.errorf("put: %w", channel.ErrTxDone)
	}
	if t.c.closed.Load() {
		return t.c.errorf("put: %w", channel.ErrClosed)
	}
	if len(t.events)+len(events) > t.c.cfg.TxCapacity {
		return t.c.errorf("put of %d events to a transaction holding %d: %w (transaction_capacity %d)",
			len(events), len(t.events), channel.ErrTxFull, t.c.cfg.TxCapacity)
	}
	if t.events == nil {
		t.events = make([]channel.Event, 0, len(events))
	}
	t.events = append(t.events, events...)
	t.c.m.EventPutAttemptCount.Add(int64(len(events)))
	return nil
}

func (t *putTx) Commit(ctx context.Context) error {
	if t.state != txOpen {
		return t.c.errorf("put commit: %w", channel.ErrTxDone)
	}
	c, events := t.c, t.events
	t.events, t.state = nil, txEnded
	n := len(events)
	if c.closed.Load() {
		return c.errorf("put commit: %w", channel.ErrClosed)
	}
	if n == 0 {
		t.state = txCommitted
		return nil
	}
	if c.spaceLow() {
		c.putEr.Add(int64(n))
		return c.errorf("put commit of %d events to %s: %w (below minimum_required_space %s)",
			n, c.dir, ErrLowSpace, c.cfg.MinimumRequiredSpace)
	}
	if err := c.reserve(ctx, n); err != nil {
		return err
	}
	op := newPutOp(events, &c.encoders, c.cache.max > 0)
	c.committer.submit(op)
	err := <-op.done
	c.encoders.Put(op.enc) // bbolt is done with the records, whatever the outcome
	if err != nil {
		c.mu.Lock()
		c.reserved -= n
		c.mu.Unlock()
		c.room.Notify()
		c.putEr.Add(int64(n))
		if errors.Is(err, syscall.ENOSPC) {
			// The disk filled up under a minimum_required_space too small (or 0): retry later.
			return c.errorf("put commit of %d events to %s: %w: %w", n, c.dir, ErrLowSpace, err)
		}
		return c.errorf("put commit of %d events: %w", n, err)
	}
	t.state = txCommitted
	return nil
}

func (t *putTx) Rollback() {
	if t.state == txOpen {
		t.events, t.state = nil, txEnded
	}
}

// takeTx is a take transaction. It is used by one goroutine at a time.
type takeTx struct {
	c     *fileChannel
	spans []span // sequence numbers handed out, in order
	n     int
	state txState
}

func (t *takeTx) Take(max int) ([]channel.Event, error) {
	c := t.c
	switch {
	case t.state != txOpen:
		return nil, c.errorf("take: %w", channel.ErrTxDone)
	case c.closed.Load():
		return nil, c.errorf("take: %w", channel.ErrClosed)
	case max <= 0:
		return nil, nil
	}
	// EventTakeAttemptCount counts as the memory channel does: what Flume's take() loop would
	// have counted, one per event plus one for the call that found nothing more.
	room := c.cfg.TxCapacity - t.n
	if room <= 0 {
		c.m.EventTakeAttemptCount.Inc()
		return nil, c.errorf("take from a transaction holding %d events: %w (transaction_capacity %d)",
			t.n, channel.ErrTxFull, c.cfg.TxCapacity)
	}
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return nil, c.errorf("take: %w", channel.ErrClosed)
	}
	from := len(t.spans)
	t.spans = c.queue.popFront(min(max, room), t.spans)
	spans := t.spans[from:]
	got := 0
	for _, s := range spans {
		got += s.len()
	}
	if got == 0 {
		c.mu.Unlock()
		c.m.EventTakeAttemptCount.Inc()
		return nil, nil
	}
	c.inflight += got
	c.m.ChannelSize.Set(int64(c.queue.count))
	events := make([]channel.Event, got)
	reads := c.cache.fill(spans, events, nil)
	c.mu.Unlock()
	attempts := got
	if got < max {
		attempts++
	}
	c.m.EventTakeAttemptCount.Add(int64(attempts))

	if len(reads) > 0 {
		if err := c.read(reads, events); err != nil {
			c.takEr.Add(int64(got))
			c.handBack(spans, got)
			t.spans = t.spans[:from]
			return nil, err
		}
	}
	t.n += got
	return events, nil
}

// read fills events from the database, one read transaction for all runs.
func (c *fileChannel) read(reads []diskRead, events []channel.Event) (err error) {
	c.dbMu.RLock()
	defer c.dbMu.RUnlock()
	if c.db == nil {
		return c.errorf("take: %w", channel.ErrClosed)
	}
	defer func() {
		if r := recover(); r != nil {
			err = c.corrupt(r)
			c.setIOFailed(err)
		}
	}()
	var a arena
	err = c.db.View(func(tx *bolt.Tx) error {
		// The decoded events are copied out of the mapping: drop the pages read, all at once
		// (dropped one by one, each read would map its neighbours again).
		touched := touchedIn(tx)
		defer touched.drop()
		rc := recordCursor{events: tx.Bucket(eventsBucket)}
		for _, r := range reads {
			seq := r.lo
			first, v := rc.seek(seq)
			for seq < r.hi {
				if v == nil || first > seq {
					return fmt.Errorf("event %d is missing from %s", seq, c.path)
				}
				rr, err := openRecord(v)
				if err != nil {
					return fmt.Errorf("record %d in %s: %w", first, c.path, err)
				}
				if seq >= first+uint64(rr.left) {
					return fmt.Errorf("event %d is missing from %s", seq, c.path)
				}
				for range seq - first {
					if _, err := rr.next(); err != nil {
						return fmt.Errorf("record %d in %s: %w", first, c.path, err)
					}
				}
				for seq < r.hi && rr.left > 0 {
					p, err := rr.next()
					if err != nil {
						return fmt.Errorf("record %d in %s: %w", first, c.path, err)
					}
					e, err := decodeEvent(p, &a)
					if err != nil {
						return fmt.Errorf("event %d in %s: %w", seq, c.path, err)
					}
					events[r.at+int(seq-r.lo)] = e
					seq++
				}
				touched.add(v)
				if seq < r.hi {
					first, v = rc.next()
				}
			}
		}
		return nil
	})
	if err != nil {
		c.setIOFailed(err)
		return c.errorf("take: %w", err)
	}
	return nil
}

// recordCursor walks the records of bucket "events" in sequence order, through the buckets of
// the puts and the records of format 1 standing on their own.
type recordCursor struct {
	events *bolt.Bucket
	puts   *bolt.Cursor // over events
	recs   *bolt.Cursor // over the current put's bucket; nil for a record of format 1
}

// seek returns the record holding seq, if any: the last one that begins at or before it. v is
// nil when there is none.
func (rc *recordCursor) seek(seq uint64) (first uint64, v []byte) {
	if rc.puts == nil {
		rc.puts = rc.events.Cursor()
	}
	var kb [8]byte
	putKey(kb[:], seq)
	k, v := rc.puts.Seek(kb[:])
	if k == nil {
		k, v = rc.puts.Last()
	} else if keySeq(k) > seq {
		k, v = rc.puts.Prev()
	}
	if k == nil {
		return 0, nil
	}
	if v != nil {
		rc.recs = nil
		return keySeq(k), v
	}
	rc.recs = rc.bucket(k)
	if rc.recs == nil {
		return 0, nil
	}
	k, v = rc.recs.Seek(kb[:])
	if k == nil {
		k, v = rc.recs.Last()
	} else if keySeq(k) > seq {
		k, v = rc.recs.Prev()
	}
	return rc.record(k, v)
}

// next returns the record after the last one returned; v is nil when there is none.
func (rc *recordCursor) next() (first uint64, v []byte) {
	if rc.recs != nil {
		if k, v := rc.recs.Next(); k != nil {
			return rc.record(k, v)
		}
	}
	k, v := rc.puts.Next()
	if k == nil {
		return 0, nil
	}
	if v != nil {
		rc.recs = nil
		return keySeq(k), v
	}
	if rc.recs = rc.bucket(k); rc.recs == nil {
		return 0, nil
	}
	return rc.record(rc.recs.First())
}

func (rc *recordCursor) bucket(k []byte) *bolt.Cursor {
	b := rc.events.Bucket(k)
	if b == nil {
		return nil
	}
	return b.Cursor()
}

// record checks a record's key; v is nil for a key that is not a sequence number, or a nested
// bucket where a record belongs.
func (rc *recordCursor) record(k, v []byte) (uint64, []byte) {
	if len(k) != 8 {
		return 0, nil
	}
	return keySeq(k), v
}

// dropMapped drops every mapped page of the database from the agent's resident memory (see
// dropPages). The committer calls it, and open before the committer starts.
func (c *fileChannel) dropMapped() {
	_ = c.db.View(func(tx *bolt.Tx) error {
		dropAll(tx)
		return nil
	})
}

// handBack returns events taken to the head of the queue, in order.
func (c *fileChannel) handBack(spans []span, n int) {
	c.mu.Lock()
	if !c.closed.Load() {
		c.queue.insert(spans)
		c.inflight -= n
		c.m.ChannelSize.Set(int64(c.queue.count))
	}
	c.mu.Unlock()
	c.ready.Notify()
}

func (t *takeTx) Commit(ctx context.Context) error {
	c := t.c
	if t.state != txOpen {
		return c.errorf("take commit: %w", channel.ErrTxDone)
	}
	t.state = txEnded
	if t.n == 0 {
		t.state = txCommitted
		return nil
	}
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		// The events stay in the database and come back on the next open.
		return c.errorf("take commit: %w", channel.ErrClosed)
	}
	c.pending.Add(1)
	c.mu.Unlock()
	op := &commitOp{del: t.spans, n: t.n, done: make(chan error, 1)}
	c.committer.submit(op)
	if err := <-op.done; err != nil {
		c.takEr.Add(int64(t.n))
		c.handBack(t.spans, t.n)
		return c.errorf("take commit of %d events (handed back): %w", t.n, err)
	}
	t.state = txCommitted
	return nil
}

func (t *takeTx) Rollback() {
	if t.state != txOpen {
		return
	}
	t.state = txEnded
	if t.n > 0 {
		t.c.handBack(t.spans, t.n)
	}
}
