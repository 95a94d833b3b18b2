package file

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/flumego/flumego/internal/fsync"
)

// opened is what opening the database found in it.
type opened struct {
	next    uint64 // the next sequence number to give
	recs    recIndex
	unclean bool   // the last agent did not close it
	id      string // the database's identity, "" for a file written before identities
}

// MarkerFile sits beside DBFile once a dir holds a channel, naming the identity of its database
// (kept in the database too). An empty, missing or foreign DBFile beside it is refused with its
// path: without it, a database truncated to nothing or replaced while the agent was down would
// be taken for a new channel and its events silently lost.
const MarkerFile = "channel.id"

// open opens the database in two steps, so that a damaged file is an error naming it and never
// a crash. bbolt, opening a file read-write, walks every page to rebuild its freelist (the
// channel does not write the freelist: that would cost every commit a write as large as the
// free space) in a goroutine of its own, where a damaged page is a panic nobody can recover and
// a truncated file a fatal fault. So the file is first opened read-only and read whole from
// this goroutine, every page and every record, with faults turned into recoverable panics;
// the queue is rebuilt from that read. Only a file that passed is opened read-write; bbolt's
// own walk then also checks the tree's invariants (key order, pages referenced once), and what
// it finds is recovered here too.
//
// The marker is checked first (see MarkerFile), and written once the database is open.
func (c *fileChannel) open() (opened, error) {
	var st opened
	marker, err := c.readMarker()
	if err != nil {
		return st, err
	}
	info, err := os.Stat(c.path)
	exists := err == nil && info.Size() > 0
	if marker != "" && !exists {
		what := "is empty"
		if err != nil {
			what = "is missing"
		}
		return st, c.errorf("%w: %s %s, but %s shows this dir held the channel's database %s: refusing to start "+
			"an empty channel in its place so that nothing is silently discarded: restore the file, or remove %s to "+
			"start empty", ErrCorrupt, c.path, what, c.markerPath(), marker, MarkerFile)
	}
	var txid int
	if exists {
		if st, txid, err = c.scan(info.Size()); err != nil {
			return st, err
		}
		if marker != "" && st.id != marker {
			found := "no identity"
			if st.id != "" {
				found = "identity " + st.id
			}
			return st, c.errorf("%w: %s has %s, but %s names %s: refusing to serve another channel's events in "+
				"its place: restore this dir's database, or remove %s to adopt this one", ErrForeign, c.path, found,
				c.markerPath(), marker, MarkerFile)
		}
	}
	db, err := c.openRW()
	if err != nil {
		return st, err
	}
	if err := c.prepare(db, exists, txid, &st.id); err != nil {
		_ = db.Close()
		return st, err
	}
	if marker == "" {
		if err := fsync.ReplaceFile(c.markerPath(), []byte(st.id+"\n"), 0o600); err != nil {
			_ = db.Close()
			return st, c.errorf("write %s: %w", c.markerPath(), err)
		}
	}
	c.db = db
	c.stored = c.queue.count
	c.dropMapped() // bbolt's freelist walk touched every page
	return st, nil
}

// scan reads the whole file read-only and rebuilds the queue and the record index from it. It
// returns the id of the transaction it read, so that openRW can tell nobody wrote in between.
func (c *fileChannel) scan(size int64) (st opened, txid int, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = c.corrupt(r)
		}
	}()
	db, err := bolt.Open(c.path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if err != nil {
		return st, 0, c.openError(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		txid = tx.ID()
		if tx.Size() > size {
			return c.corrupt(fmt.Sprintf("the file is %d bytes but its pages reach %d", size, tx.Size()))
		}
		if m := tx.Bucket(metaBucket); m != nil {
			if f := m.Get(formatKey); f != nil && string(f) != formatVersion && string(f) != formatVersion1 {
				return c.errorf("%s has format %q, this agent reads %q: it was written by a newer agent", c.path, f, formatVersion)
			}
			st.unclean = string(m.Get(stateKey)) != stateClosed
			st.id = string(m.Get(idKey))
		}
		b := tx.Bucket(eventsBucket)
		if b == nil {
			return nil // created, then stopped before its first commit
		}
		st.next = b.Sequence()
		end := uint64(0)
		cur := b.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			if len(k) != 8 {
				return c.corrupt(fmt.Sprintf("key %x is not a sequence number", k))
			}
			first := keySeq(k)
			var n int
			var err error
			if v == nil {
				n, err = checkPut(b.Bucket(k), first)
			} else {
				n, err = checkRecord(v) // format 1: a record on its own
			}
			if err != nil {
				return c.corrupt(fmt.Sprintf("put %d: %v", first, err))
			}
			if first < end {
				return c.corrupt(fmt.Sprintf("put %d overlaps the one before", first))
			}
			st.recs.add(first, n, v == nil)
			end = first + uint64(n)
		}
		st.next = max(st.next, end)
		if a := tx.Bucket(acksBucket); a != nil {
			err := a.ForEach(func(k, v []byte) error {
				i := -1
				if len(k) == 8 {
					i = st.recs.find(keySeq(k))
				}
				if i < 0 || st.recs.recs[i].first != keySeq(k) {
					return c.corrupt(fmt.Sprintf("acknowledgement %x of no record", k))
				}
				r := &st.recs.recs[i]
				acked, err := decodeAcks(r.first, r.n, v)
				if err != nil {
					return c.corrupt(fmt.Sprintf("acknowledgement of record %d: %v", r.first, err))
				}
				r.acked = acked
				for _, s := range acked {
					r.ackedN += s.len()
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		for _, r := range st.recs.recs {
			lo := r.first
			for _, s := range r.acked {
				c.queue.pushBack(span{lo, s.lo})
				lo = s.hi
			}
			c.queue.pushBack(span{lo, r.first + uint64(r.n)})
		}
		return nil
	})
	return st, txid, err
}

// checkPut walks the records of a put's bucket, which must follow each other from first, and
// returns the put's event count.
func checkPut(b *bolt.Bucket, first uint64) (int, error) {
	if b == nil {
		return 0, errors.New("not a bucket")
	}
	next, n := first, 0
	cur := b.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(k) != 8 || v == nil {
			return 0, fmt.Errorf("key %x is not a record's", k)
		}
		if keySeq(k) != next {
			return 0, fmt.Errorf("record %d where %d was due", keySeq(k), next)
		}
		m, err := checkRecord(v)
		if err != nil {
			return 0, fmt.Errorf("record %d: %w", keySeq(k), err)
		}
		next += uint64(m)
		n += m
	}
	if n == 0 {
		return 0, errors.New("no records")
	}
	return n, nil
}

// openRW opens the database for the channel's use.
func (c *fileChannel) openRW() (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, c.corrupt(r)
		}
	}()
	opts := c.boltOptions()
	var f *os.File
	opts.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		var err error
		f, err = os.OpenFile(name, flag, perm)
		return f, err
	}
	db, err = bolt.Open(c.path, 0o600, opts)
	if err != nil {
		return nil, c.openError(err)
	}
	// An agent compacting this dir renames a new file over the path; one that opened the old
	// file just before and got its lock just after must not use it.
	fi, err1 := f.Stat()
	pi, err2 := os.Stat(c.path)
	if err1 != nil || err2 != nil || !os.SameFile(fi, pi) {
		_ = db.Close()
		return nil, c.errorf("%w: %s was replaced while opening it (dir %s held by another agent?)", ErrLocked, c.path, c.dir)
	}
	// A copy left by a compaction that a crash interrupted before its rename; the file at
	// c.path is whole.
	if err := os.Remove(c.path + compactSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		c.log.Warn("file channel cannot remove a leftover compaction copy", "err", err)
	}
	return db, nil
}

func (c *fileChannel) openError(err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return c.errorf("%w: dir %s is held by another agent (lock on %s)", ErrLocked, c.dir, c.path)
	case errors.As(err, new(*fs.PathError)):
		return c.errorf("open %w", err)
	default:
		return c.corrupt(err)
	}
}

func (c *fileChannel) markerPath() string { return filepath.Join(c.dir, MarkerFile) }

// readMarker returns the identity MarkerFile names, "" when there is none.
func (c *fileChannel) readMarker() (string, error) {
	b, err := os.ReadFile(c.markerPath())
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", nil
	case err != nil:
		return "", c.errorf("read %w", err)
	}
	id := strings.TrimSpace(string(b))
	if id == "" {
		return "", c.errorf("%w: %s is empty; it should name the identity of %s", ErrCorrupt, c.markerPath(), c.path)
	}
	return id, nil
}

// prepare checks nobody wrote the file since scan read it, creates the buckets of a new file,
// gives the database an identity if it has none (into *id) and records that the file is open.
func (c *fileChannel) prepare(db *bolt.DB, scanned bool, txid int, id *string) error {
	return db.Update(func(tx *bolt.Tx) error {
		if scanned && tx.ID() != txid+1 {
			return c.errorf("%w: %s changed while opening it (dir %s used by another agent?)", ErrLocked, c.path, c.dir)
		}
		for _, name := range [][]byte{metaBucket, eventsBucket, acksBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return c.errorf("create bucket %s in %s: %w", name, c.path, err)
			}
		}
		m := tx.Bucket(metaBucket)
		if *id == "" {
			*id = rand.Text()
			if err := m.Put(idKey, []byte(*id)); err != nil {
				return err
			}
		}
		if err := m.Put(formatKey, []byte(formatVersion)); err != nil {
			return err
		}
		return m.Put(stateKey, []byte(stateOpen))
	})
}

func (c *fileChannel) corrupt(what any) error {
	return fmt.Errorf("file channel %s: %w: %s: %v; refusing to open it so that nothing is discarded: "+
		"restore it, or move it aside to start with an empty channel", c.name, ErrCorrupt, c.path, what)
}

func (c *fileChannel) boltOptions() *bolt.Options {
	return &bolt.Options{
		Timeout: lockTimeout,
		// The freelist is rebuilt by a walk on open (see open) rather than written by every
		// commit, which would cost a write proportional to the free pages of a drained file.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		NoSync:         c.cfg.Fsync == FsyncInterval,
	}
}
