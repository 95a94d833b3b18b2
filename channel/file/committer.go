package file

import (
	"fmt"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/flumego/flumego/channel"
)

// commitOp is one put or take commit waiting for the committer.
type commitOp struct {
	// A put: its encoded records, and the events themselves for the cache (nil when not
	// cached).
	enc    *encoder
	events []channel.Event
	bytes  int64 // what the events count against the cache
	size   int64 // bytes of the records
	first  uint64

	// A take commit: the sequence numbers taken for good.
	del []span

	n    int
	done chan error
}

func (op *commitOp) put() bool { return op.enc != nil }

// newPutOp encodes events with an encoder of the pool, in the caller's goroutine so that
// concurrent putters encode in parallel. The caller gives the encoder back once answered.
func newPutOp(events []channel.Event, pool *sync.Pool, cache bool) *commitOp {
	enc, _ := pool.Get().(*encoder)
	if enc == nil {
		enc = new(encoder)
	}
	enc.encode(events)
	op := &commitOp{enc: enc, size: enc.size(), n: len(events), done: make(chan error, 1)}
	if cache {
		op.events = events
		op.bytes = op.size + 48*int64(len(events))
	}
	return op
}

// dropEvery is how often the committer drops the pages of the mapping that its writes made
// resident (every access maps its neighbours too, so they add up; see dropPages).
const dropEvery = 250 * time.Millisecond

// The most one group commit gathers, so one bbolt transaction stays a reasonable size.
const (
	maxBatchOps   = 1024
	maxBatchBytes = 32 << 20
)

// committer is the one goroutine that writes: it gathers every commit waiting, writes them as
// one bbolt transaction (one fsync), then applies them to the in-memory queue in order and
// answers each caller. With fsync = "interval" it also forces the file to disk; and it
// compacts the file when that is worth it. Only it writes c.db while it runs, and Close only
// after it stopped, so it reads c.db without dbMu.
type committer struct {
	c      *fileChannel
	ops    chan *commitOp
	quit   chan struct{}
	done   chan struct{}
	next   uint64 // next sequence number to give
	recs   recIndex
	keys   []byte
	batch  []*commitOp
	maxOps int
	chg    []recChange
	dirty  bool // written since the last sync, with fsync = "interval"
	// touched is set by every write: bbolt read pages of the mapping (see dropMapped).
	touched bool
	// lastPut is when a put was last written; linger times how long lone takes wait for one.
	lastPut  time.Time
	lastPutN int
	linger   *time.Timer
	cmp      compactor
	// groups and grouped count the bbolt transactions written and the commits they held; the
	// benchmarks read them after Close.
	groups, grouped int
}

func (k *committer) init(c *fileChannel, next uint64, recs recIndex) {
	k.c = c
	k.ops = make(chan *commitOp, 256)
	k.quit = make(chan struct{})
	k.done = make(chan struct{})
	k.next = next
	k.recs = recs
	k.maxOps = maxBatchOps
	if c.cfg.tune.noGroupCommit {
		k.maxOps = 1
	}
	k.cmp.init(c)
}

// submit hands a commit to the committer; the caller counted it in c.pending first.
func (k *committer) submit(op *commitOp) { k.ops <- op }

// stop ends the committer; every submitted commit has been answered (c.pending is zero).
func (k *committer) stop() {
	close(k.quit)
	<-k.done
}

func (k *committer) run() {
	defer close(k.done)
	var syncTick <-chan time.Time
	if k.c.cfg.Fsync == FsyncInterval {
		t := time.NewTicker(k.c.cfg.FsyncInterval)
		defer t.Stop()
		syncTick = t.C
	}
	compactTick := time.NewTicker(k.cmp.every)
	defer compactTick.Stop()
	dropTick := time.NewTicker(dropEvery)
	defer dropTick.Stop()
	for {
		select {
		case op := <-k.ops:
			k.batch = append(k.batch[:0], op)
			k.gather(op)
			if k.holdTakes() {
				k.awaitPut()
			}
			k.write()
			clear(k.batch)
		case <-syncTick:
			k.sync()
		case <-compactTick.C:
			k.cmp.maybe(k)
		case <-dropTick.C:
			if k.touched {
				k.touched = false
				k.c.dropMapped()
			}
		case <-k.quit:
			return
		}
	}
}

// gather adds the commits already waiting, without waiting for more: a lone committer pays
// no delay, and concurrent ones join the next group while this one is written.
func (k *committer) gather(first *commitOp) {
	size := first.size
	for len(k.batch) < k.maxOps && size < maxBatchBytes {
		select {
		case op := <-k.ops:
			k.batch = append(k.batch, op)
			size += op.size
		default:
			return
		}
	}
}

// A take commit alone rides on the next put's transaction, sharing its fsyncs, when a putter is
// active (a put was written within putActive), the taker keeps up (no more than about a put
// waits beyond what it took, so it has little to gain from returning sooner) and no putter can
// be waiting for the room it frees; it waits at most takeLinger for that put, then is written
// alone. A single putter and taker so pay one bbolt transaction per put instead of two, and a
// taker that falls behind is never slowed down.
const (
	putActive         = 100 * time.Millisecond
	defaultTakeLinger = 2 * time.Millisecond
)

// holdTakes reports whether the batch holds only take commits worth holding for a put.
func (k *committer) holdTakes() bool {
	if k.maxOps == 1 || time.Since(k.lastPut) > putActive {
		return false
	}
	taken := 0
	for _, op := range k.batch {
		if op.put() {
			return false
		}
		taken += op.n
	}
	c := k.c
	c.mu.Lock()
	waiting := c.queue.count
	// A putter may be waiting for the room these takes free: never make it wait longer.
	full := c.stored+c.reserved+k.lastPutN > c.cfg.Capacity
	c.mu.Unlock()
	return !full && waiting <= taken+k.lastPutN
}

// awaitPut adds commits to the batch until a put arrives or takeLinger passes.
func (k *committer) awaitPut() {
	d := k.c.cfg.tune.takeLinger
	if d <= 0 {
		d = defaultTakeLinger
	}
	if k.linger == nil {
		k.linger = time.NewTimer(d)
	} else {
		k.linger.Reset(d)
	}
	defer k.linger.Stop()
	for len(k.batch) < k.maxOps {
		select {
		case op := <-k.ops:
			k.batch = append(k.batch, op)
			if op.put() {
				k.gather(op)
				return
			}
		case <-k.linger.C:
			return
		}
	}
}

func (k *committer) write() {
	k.groups++
	k.grouped += len(k.batch)
	c := k.c
	nrec := 0
	for _, op := range k.batch {
		if op.put() {
			nrec += len(op.enc.recs)
		}
	}
	if cap(k.keys) < 8*nrec {
		k.keys = make([]byte, 8*nrec)
	}
	keys := k.keys[:8*nrec]
	chg, err := k.recs.changes(k.batch, k.chg[:0])
	defer func() {
		clear(chg)
		k.chg = chg[:0]
	}()
	seq := k.next
	var bytes int64 // written, for the free space check
	if err == nil {
		err = c.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(eventsBucket)
			b.FillPercent = 1 // keys only ever append: fill pages completely
			var kb [8]byte
			for _, op := range k.batch {
				if !op.put() {
					continue
				}
				op.first = seq
				putKey(kb[:], seq)
				pb, err := b.CreateBucket(kb[:]) // copies the key
				if err != nil {
					return err
				}
				pb.FillPercent = 1
				for i, r := range op.enc.recs {
					key := keys[:8:8]
					keys = keys[8:]
					putKey(key, seq)
					if err := pb.Put(key, r); err != nil {
						return err
					}
					seq += uint64(op.enc.counts[i])
				}
				bytes += op.size
			}
			if seq != k.next {
				if err := b.SetSequence(seq); err != nil {
					return err
				}
			}
			return k.recs.writeChanges(tx, chg)
		})
	}
	if err != nil {
		c.setIOFailed(err)
		for _, op := range k.batch {
			op.done <- err
			c.pending.Done()
		}
		return
	}
	if c.ioFailed.Load() {
		c.setIOFailed(nil)
	}
	k.recs.apply(chg)
	for _, op := range k.batch {
		if op.put() {
			k.recs.add(op.first, op.n, true)
		}
	}
	if seq != k.next {
		k.lastPut, k.lastPutN = time.Now(), int(seq-k.next)
	}
	k.next = seq
	c.written.Add(bytes)
	k.dirty, k.touched = true, true

	var puts, takes int
	c.mu.Lock()
	for _, op := range k.batch {
		if op.put() {
			c.queue.pushBack(span{op.first, op.first + uint64(op.n)})
			c.reserved -= op.n
			c.stored += op.n
			if op.events != nil {
				c.cache.add(op.first, op.events, op.bytes)
			}
			puts += op.n
		} else {
			c.stored -= op.n
			c.inflight -= op.n
			takes += op.n
		}
	}
	c.m.ChannelSize.Set(int64(c.queue.count))
	c.mu.Unlock()

	if puts > 0 {
		c.m.EventPutSuccessCount.Add(int64(puts))
		c.ready.Notify()
	}
	if takes > 0 {
		c.m.EventTakeSuccessCount.Add(int64(takes))
		c.room.Notify()
	}
	for _, op := range k.batch {
		op.done <- nil
		c.pending.Done()
	}
}

// sync forces what was written since the last sync to disk (fsync = "interval").
func (k *committer) sync() {
	if !k.dirty {
		return
	}
	k.dirty = false
	k.c.setIOFailed(k.c.db.Sync())
}

// recIndex is the committer's view of the puts in the database: where each begins, how many
// events it holds, which of them were taken for good, and whether it is a bucket of records
// (nested) or, in a file of format 1, a record of its own. Only the committer (and load, before
// it starts) uses it.
type recIndex struct {
	recs []rec // ascending by first; recs[:head] are gone
	head int
}

type rec struct {
	first  uint64
	n      int
	acked  []span // taken for good, ascending and merged
	ackedN int
	nested bool
	gone   bool
}

// recChange is what a group commit does to one record.
type recChange struct {
	i      int
	acked  []span
	ackedN int
}

func (x *recIndex) add(first uint64, n int, nested bool) {
	x.recs = append(x.recs, rec{first: first, n: n, nested: nested})
}

// find returns the index of the live put holding seq, or -1.
func (x *recIndex) find(seq uint64) int {
	live := x.recs[x.head:]
	i := sort.Search(len(live), func(i int) bool { return live[i].first > seq }) - 1
	if i < 0 || live[i].gone || seq >= live[i].first+uint64(live[i].n) {
		return -1
	}
	return x.head + i
}

// changes works out, without changing anything, what the take commits of a batch do to the
// puts they took from.
func (x *recIndex) changes(batch []*commitOp, out []recChange) ([]recChange, error) {
	at := map[int]int(nil)
	for _, op := range batch {
		for _, s := range op.del {
			for q := s.lo; q < s.hi; {
				i := x.find(q)
				if i < 0 {
					return out, fmt.Errorf("event %d was taken but is in no record", q)
				}
				r := &x.recs[i]
				end := min(s.hi, r.first+uint64(r.n))
				if at == nil {
					at = make(map[int]int)
				}
				j, ok := at[i]
				if !ok {
					j = len(out)
					at[i] = j
					out = append(out, recChange{i: i, acked: append([]span(nil), r.acked...)})
				}
				out[j].acked = addSpan(out[j].acked, span{q, end})
				q = end
			}
		}
	}
	for j := range out {
		n := 0
		for _, s := range out[j].acked {
			n += s.len()
		}
		out[j].ackedN = n
	}
	return out, nil
}

// writeChanges deletes the puts taken whole and records the runs taken from the others.
func (x *recIndex) writeChanges(tx *bolt.Tx, chg []recChange) error {
	if len(chg) == 0 {
		return nil
	}
	events, acks := tx.Bucket(eventsBucket), tx.Bucket(acksBucket)
	var kb [8]byte
	for _, ch := range chg {
		r := &x.recs[ch.i]
		putKey(kb[:], r.first)
		if ch.ackedN >= r.n {
			del := events.Delete
			if r.nested {
				del = events.DeleteBucket
			}
			if err := del(kb[:]); err != nil {
				return err
			}
			if len(r.acked) > 0 {
				if err := acks.Delete(kb[:]); err != nil {
					return err
				}
			}
			continue
		}
		key := make([]byte, 8)
		copy(key, kb[:])
		if err := acks.Put(key, encodeAcks(r.first, ch.acked)); err != nil {
			return err
		}
	}
	return nil
}

// apply makes the changes of a committed batch the index's.
func (x *recIndex) apply(chg []recChange) {
	for _, ch := range chg {
		r := &x.recs[ch.i]
		r.acked, r.ackedN = ch.acked, ch.ackedN
		if r.ackedN >= r.n {
			r.gone, r.acked = true, nil
		}
	}
	for x.head < len(x.recs) && x.recs[x.head].gone {
		x.head++
	}
	switch {
	case x.head == len(x.recs):
		x.recs, x.head = x.recs[:0], 0
	case x.head > 256 && x.head > len(x.recs)/2:
		n := copy(x.recs, x.recs[x.head:])
		clear(x.recs[n:])
		x.recs, x.head = x.recs[:n], 0
	}
}

// addSpan adds s to ascending, merged runs, merging it with the runs it overlaps or touches.
func addSpan(spans []span, s span) []span {
	// spans[i] is the first run that ends at or after s begins; spans[j:] begin after s ends.
	i := sort.Search(len(spans), func(i int) bool { return spans[i].hi >= s.lo })
	j := i
	for j < len(spans) && spans[j].lo <= s.hi {
		s.lo, s.hi = min(s.lo, spans[j].lo), max(s.hi, spans[j].hi)
		j++
	}
	if i == j {
		spans = append(spans, span{})
		copy(spans[i+1:], spans[i:])
		spans[i] = s
		return spans
	}
	spans[i] = s
	return append(spans[:i+1], spans[j:]...)
}
