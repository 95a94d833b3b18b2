package file

import (
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bbolt reuses the pages that take commits free, so the file grows to the largest backlog it
// held and no further. After a large backlog drains, though, the file keeps its peak size. The
// committer therefore checks every compactEvery whether the file is large (compactMinBytes)
// and mostly free (live pages under a quarter of it, and under compactMaxLive); if so it copies
// the live records into a fresh file and swaps it in. Commits wait for the copy, so it is kept
// off the hot path by its bound: a channel still holding more than compactMaxLive is compacted
// once it has drained below it.
//
// Crash safety: the copy is written to DBFile+".compact", synced, then renamed over DBFile and
// the directory synced. A crash before the rename leaves the old file whole (the leftover copy
// is removed on open); after it, the new file is whole. The copy is opened (and locked) before
// the rename and kept as the channel's database, so the path is never unlocked and nothing is
// reopened.
const (
	defaultCompactEvery    = 30 * time.Second
	defaultCompactMinBytes = 64 << 20
	compactMaxLive         = 8 << 20
	compactSuffix          = ".compact"
)

type compactor struct {
	c        *fileChannel
	every    time.Duration
	minBytes int64
}

func (p *compactor) init(c *fileChannel) {
	p.c = c
	p.every = c.cfg.tune.compactCheckEvery
	if p.every <= 0 {
		p.every = defaultCompactEvery
	}
	p.minBytes = c.cfg.tune.compactMinBytes
	if p.minBytes <= 0 {
		p.minBytes = defaultCompactMinBytes
	}
}

// maybe compacts the file when it is large and mostly free. Only the committer calls it.
func (p *compactor) maybe(k *committer) {
	c := p.c
	st, err := os.Stat(c.path)
	if err != nil || st.Size() < p.minBytes {
		return
	}
	var used int64
	_ = c.db.View(func(tx *bolt.Tx) error {
		used = tx.Size()
		return nil
	})
	live := used - int64(c.db.Stats().FreeAlloc)
	if live*4 > st.Size() || live > compactMaxLive {
		return
	}
	start := time.Now()
	if err := p.compact(); err != nil {
		c.log.Warn("file channel compaction failed; going on with the current file", "path", c.path, "err", err)
		return
	}
	after, _ := os.Stat(c.path)
	var size int64
	if after != nil {
		size = after.Size()
	}
	c.log.Info("file channel compacted its file", "path", c.path, "bytes_before", st.Size(), "bytes_after", size,
		"took", time.Since(start).Round(time.Millisecond))
}

// compact copies the database into a fresh file and swaps it in.
func (p *compactor) compact() error {
	c := p.c
	tmp := c.path + compactSuffix
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	dst, err := bolt.Open(tmp, 0o600, c.boltOptions())
	if err != nil {
		return err
	}
	abandon := func(err error) error {
		_ = dst.Close()
		_ = os.Remove(tmp)
		return err
	}
	if err := bolt.Compact(dst, c.db, 16<<20); err != nil {
		return abandon(fmt.Errorf("copy: %w", err))
	}
	if err := dst.Sync(); err != nil {
		return abandon(fmt.Errorf("sync copy: %w", err))
	}
	if err := os.Rename(tmp, c.path); err != nil {
		return abandon(fmt.Errorf("rename copy: %w", err))
	}
	// From here on the new file is the channel's, whatever happens.
	c.dbMu.Lock()
	old := c.db
	c.db = dst
	c.dbMu.Unlock()
	if err := old.Close(); err != nil {
		c.log.Warn("file channel: closing the file replaced by compaction", "err", err)
	}
	if err := syncDir(c.dir); err != nil {
		// The rename may not survive a power cut: both files are whole, but commits written
		// after it would be lost with it. Make it loud.
		c.setIOFailed(fmt.Errorf("sync dir %s after compaction: %w", c.dir, err))
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
