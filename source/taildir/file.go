package taildir

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/flumego/flumego/channel"
)

// tailFile is one tracked file. Run's goroutine alone uses it.
type tailFile struct {
	id     fileID
	path   string // where it was last seen
	group  *group
	f      *os.File // nil while closed
	openAt int      // its index in Source.open while open
	// pos is the delivered offset: every byte before it is in the channels (or was discarded
	// as the tail of a truncated long line).
	pos      int64
	skipping bool        // pos is inside a long line whose rest is being discarded ("truncate")
	fp       fingerprint // of the first fpSize bytes
	xfp      fingerprint // of the first xfpSize bytes, grown as the file grows
	btime    int64       // birth time (ns since the epoch) where the file system keeps one, else 0
	size     int64       // at the last look
	mtime    time.Time
	changed  time.Time // when size or mtime last changed
	lastUse  time.Time // when last read, for choosing which open file to close
	dirty    bool      // may have data to read
	atEOF    bool      // the last read reached the end of the data
	gone     bool      // no glob path names it any more (renamed away or deleted)
	deleted  bool      // gone, and its link count is 0
	goneAt   time.Time
	target   string            // the file a symbolic link at path points to; "" for no link
	meta     map[string]string // headers from the path (kubernetes_metadata)
	// The record pipeline's (see pipeline.go): where reading goes on (pos may be before it,
	// held back by pending content), the pending content as of the last commit, and the live
	// state (nil until the file is read; rebuilt from saved after a failed delivery).
	resume  int64
	saved   []pend
	pipe    *pipe
	resumed bool // took its position from the position file
	// pendSince is when the oldest open multiline group last grew.
	pendSince time.Time
}

func (tf *tailFile) position() position {
	p := position{Inode: tf.id.ino, Pos: tf.pos, File: tf.path, Dev: tf.id.dev}
	if tf.fp.n > 0 {
		p.FP, p.FPLen = tf.fp.hex(), tf.fp.n
	}
	if tf.xfp.n > tf.fp.n {
		p.XFP, p.XFPLen = tf.xfp.hex(), tf.xfp.n
	}
	p.BTime = tf.btime
	if len(tf.saved) > 0 {
		p.Resume, p.Pending = tf.resume, tf.saved
	}
	return p
}

// restart reads the file again from offset 0 (it was truncated or replaced). Content pending
// in the record pipeline stays, as content no longer in the file: a container runtime goes on
// with its partial line after a copytruncate.
func (s *Source) restart(tf *tailFile) {
	tf.pos, tf.resume, tf.skipping, tf.fp, tf.xfp = 0, 0, false, fingerprint{}, fingerprint{}
	saved := tf.saved[:0]
	for _, u := range tf.saved {
		if u.Kind != pendSkip {
			saved = append(saved, u)
		}
	}
	tf.saved, tf.pipe = carry(saved), nil
	tf.pendSince = time.Time{}
	s.journalPos(tf)
}

// multiline is a compiled multiline block.
type multiline struct {
	re       *regexp.Regexp
	negate   bool
	before   bool
	maxLines int
	timeout  time.Duration
}

// span is one event of the batch being built: the file's bytes [off, off+n).
type span struct {
	off int64
	n   int
}

func (s *Source) pendingDue(tf *tailFile) bool {
	return s.ml != nil && !tf.pendSince.IsZero() && s.now().Sub(tf.pendSince) >= s.ml.timeout
}

// reopen opens a closed file again, checking that its path still names it and that its first
// bytes are unchanged (else its inode was recycled: it is read from the start).
func (s *Source) reopen(tf *tailFile) bool {
	if tf.gone {
		return false
	}
	if !s.acquireSlot(tf) {
		s.starved = true
		return false
	}
	f, err := os.Open(tf.path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.m.EventReadFail.Inc()
			s.log.Warn("cannot open file", "file", tf.path, "err", err)
		}
		s.requestRescan()
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return false
	}
	if id, _, _ := idOf(fi); id != tf.id {
		// The path names another file now: the next scan sorts that out.
		f.Close()
		s.requestRescan()
		return false
	}
	if !s.stillSame(tf, f) {
		s.log.Info("file replaced by a new one with the same inode; reading it from the start", "file", tf.path)
		s.restart(tf)
	}
	s.setOpen(tf, f)
	return true
}

func (s *Source) requestRescan() {
	s.mu.Lock()
	s.rescanReq = true
	s.mu.Unlock()
}

// acquireSlot makes room for one more open file under max_open_files, closing the least
// recently read file that has been read to its end; it reports whether there is room.
func (s *Source) acquireSlot(tf *tailFile) bool {
	if s.cfg.MaxOpenFiles == 0 || len(s.open) < s.cfg.MaxOpenFiles {
		return true
	}
	victim := s.victim(tf)
	if victim == nil {
		return false
	}
	s.closeFile(victim)
	return true
}

// victim is the open file, other than tf, that has been read to its end and used least
// recently: the one to close for a slot. nil when every open file may have more to read.
func (s *Source) victim(tf *tailFile) *tailFile {
	var victim *tailFile
	for _, o := range s.open {
		if o == tf || o.gone || o.dirty || !o.atEOF {
			continue
		}
		if victim == nil || o.lastUse.Before(victim.lastUse) {
			victim = o
		}
	}
	return victim
}

// checkContent looks at a file whose size or time changed: shorter than its position, or with
// other first bytes, it was truncated (copytruncate) or rewritten, and is read from the start.
// It also extends the fingerprint of a file still shorter than fpSize.
func (s *Source) checkContent(tf *tailFile, size int64) {
	switch {
	case size < tf.pos:
		s.truncations.Inc()
		s.log.Info("file truncated; reading it from the start", "file", tf.path, "pos", tf.pos, "size", size)
		s.restart(tf)
	case tf.fp.n > 0:
		if fp, err := fingerprintAt(tf.f, tf.fp.n); err == nil && fp != tf.fp {
			s.truncations.Inc()
			s.log.Info("file rewritten (its first bytes changed); reading it from the start", "file", tf.path, "pos", tf.pos)
			s.restart(tf)
		}
	}
	if tf.fp.n < fpSize && size > int64(tf.fp.n) {
		if fp, err := fingerprintAt(tf.f, fpSize); err == nil {
			tf.fp = fp
			s.posDirty = true
		}
	}
	if tf.xfp.n < xfpSize && size > int64(tf.xfp.n) {
		if fp, err := tf.xfp.extend(tf.f, int(min(size, xfpSize))); err == nil {
			tf.xfp = fp
			s.posDirty = true
		}
	}
}

// drain reads a file from its position and delivers its events, a batch at a time, until the
// end of its data (or drainSlice bytes, or max_batch_count batches: more is then true). A gone
// file that stopped growing rotate_wait ago is finished and released here.
func (s *Source) drain(ctx context.Context, tf *tailFile) (more bool, err error) {
	now := s.now()
	if tf.f == nil && !s.reopen(tf) {
		if tf.gone && tf.group.records && len(tf.saved) > 0 {
			// Gone while closed, with content pending: hand it over or deliver it.
			return s.drainRecords(ctx, tf, now)
		}
		return false, nil
	}
	tf.dirty, tf.lastUse = false, now
	fi, err := tf.f.Stat()
	if err != nil {
		s.m.EventReadFail.Inc()
		s.log.Warn("cannot stat file", "file", tf.path, "err", err)
		return false, nil
	}
	if _, nlink, _ := idOf(fi); tf.gone && nlink == 0 {
		tf.deleted = true
	}
	if fi.Size() != tf.size || !fi.ModTime().Equal(tf.mtime) {
		tf.changed = now
		s.checkContent(tf, fi.Size())
		tf.size, tf.mtime = fi.Size(), fi.ModTime()
	}

	if s.buf == nil {
		s.buf = make([]byte, s.bufSize)
	}
	if tf.group.records {
		return s.drainRecords(ctx, tf, now)
	}
	buf := s.buf
	// buf[0:w] holds the file's bytes from base; buf[r:] is not delivered yet; buf[c:] is not
	// scanned yet. skip is the scan's skipping state at c, tf.skipping the one at r.
	base := tf.pos
	r, c, w := 0, 0, 0
	skip := tf.skipping
	s.spans = s.spans[:0]
	var read int64
	batches := 0
	eof := false

	commit := func() error {
		if len(s.spans) > 0 {
			events := s.build(tf, buf, base)
			s.spans = s.spans[:0]
			if err := s.deliver(ctx, events); err != nil {
				return err
			}
			batches++
		} else if c == r {
			return nil
		}
		tf.pos, tf.resume, tf.skipping, r = base+int64(c), base+int64(c), skip, c
		s.progress = true
		s.journalPos(tf)
		return nil
	}

	for {
		c = s.split(buf, base, c, w, &skip, false)
		if len(s.spans) >= s.batch {
			if err := commit(); err != nil {
				return drainFailed(ctx, tf, err)
			}
			if s.cfg.MaxBatchCount > 0 && batches >= s.cfg.MaxBatchCount {
				tf.dirty = true
				return true, nil
			}
			continue
		}
		end := base + int64(w)
		if stop, atEOF := s.atEnd(tf, end, now); stop {
			eof = atEOF
			break
		}
		if read >= drainSlice {
			tf.dirty = true
			more = true
			break
		}
		if r > 0 {
			copy(buf, buf[r:w])
			base += int64(r)
			c, w, r = c-r, w-r, 0
		}
		if w == len(buf) {
			// The buffer is full of scanned events: deliver them to make room. (It always
			// holds a whole event; should it not, the head is cut off as a long line.)
			if len(s.spans) == 0 && c == r {
				c = s.long(buf, base, c, w, &skip)
			}
			if err := commit(); err != nil {
				return drainFailed(ctx, tf, err)
			}
			continue
		}
		n, ok := s.readAt(tf, buf, w, end)
		w += n
		read += int64(n)
		if !ok || n == 0 {
			eof = ok
			break
		}
	}
	if err := commit(); err != nil {
		return drainFailed(ctx, tf, err)
	}
	tf.atEOF = eof
	if !eof {
		return more, nil
	}

	// At the end of the data of a released file: its last line, even without "\n".
	final := tf.gone && now.Sub(tf.changed) >= s.cfg.RotateWait
	if final {
		for c < w {
			prev := c
			c = s.split(buf, base, c, w, &skip, true)
			if err := commit(); err != nil {
				return drainFailed(ctx, tf, err)
			}
			if c == prev {
				break
			}
		}
		s.released(tf)
	}
	return false, nil
}

// drainFailed is how a drain ends when delivering failed: the file is read again from its
// position on the next drain. A failure caused by the source's stop is no error; an
// interrupted delivery (errInterrupted) asks for the next drain at once.
func drainFailed(ctx context.Context, tf *tailFile, err error) (more bool, _ error) {
	tf.dirty = true
	if ctx.Err() != nil {
		return false, nil
	}
	if errors.Is(err, errInterrupted) {
		return true, nil
	}
	return false, err
}

// atEnd reports whether reading tf has reached the end of its data at file offset end (stop
// and eof), or must stop because the file shrank under the reader (stop alone: checkContent
// looks at it on the next drain). At the size last seen, the size is looked up again, so data
// appended meanwhile is read on.
func (s *Source) atEnd(tf *tailFile, end int64, now time.Time) (stop, eof bool) {
	if end < tf.size {
		return false, false
	}
	if fi, err := tf.f.Stat(); err == nil && fi.Size() != tf.size {
		if fi.Size() < tf.size {
			tf.dirty = true
			return true, false
		}
		tf.size, tf.mtime, tf.changed = fi.Size(), fi.ModTime(), now
	}
	return end >= tf.size, end >= tf.size
}

// readAt reads tf from file offset end into buf[w:], up to the size last seen. ok is false
// when reading failed (counted in EventReadFail and logged): the drain stops there.
func (s *Source) readAt(tf *tailFile, buf []byte, w int, end int64) (n int, ok bool) {
	n, err := tf.f.ReadAt(buf[w:min(int64(len(buf)), int64(w)+tf.size-end)], end)
	if err != nil && !errors.Is(err, io.EOF) {
		s.m.EventReadFail.Inc()
		s.log.Warn("cannot read file", "file", tf.path, "err", err)
		return n, false
	}
	return n, true
}

// released counts and logs a rotated file read to its end and releases it.
func (s *Source) released(tf *tailFile) {
	s.rotations.Inc()
	s.log.Info("released rotated file", "file", tf.path, "pos", tf.pos, "deleted", tf.deleted)
	s.release(tf)
	s.progress = true
}

// split turns the bytes buf[c:w] (the file's from base+c) into events appended to s.spans, up
// to batch_size, and returns where it stopped: at the start of the first incomplete line
// (with final, a last line without "\n" is complete).
func (s *Source) split(buf []byte, base int64, c, w int, skip *bool, final bool) int {
	for len(s.spans) < s.batch && c < w {
		if *skip {
			i := bytes.IndexByte(buf[c:w], '\n')
			if i < 0 {
				return w
			}
			c += i + 1
			*skip = false
			continue
		}
		next, ok := s.plainLine(buf, base, c, w, skip, final)
		if !ok {
			return c
		}
		c = next
	}
	return c
}

// plainLine scans one line at c; ok is false when the line is not complete yet.
func (s *Source) plainLine(buf []byte, base int64, c, w int, skip *bool, final bool) (next int, ok bool) {
	lim := min(w, c+s.maxLine+2)
	i := bytes.IndexByte(buf[c:lim], '\n')
	if i < 0 {
		if lim-c >= s.maxLine+2 {
			return s.long(buf, base, c, w, skip), true
		}
		if final && w > c {
			s.add(buf, base, c, w-c)
			return w, true
		}
		return c, false
	}
	n := trimCR(buf, c, i)
	if n > s.maxLine {
		return s.long(buf, base, c, w, skip), true
	}
	s.spans = append(s.spans, span{off: base + int64(c), n: n})
	return c + i + 1, true
}

// long emits the head of a line longer than max_line_length at c: with "split" the rest is
// scanned as the next line, with "truncate" it is discarded up to its "\n".
func (s *Source) long(buf []byte, base int64, c, w int, skip *bool) int {
	s.longLines.Inc()
	s.spans = append(s.spans, span{off: base + int64(c), n: s.maxLine})
	if s.cfg.LineOverflow == OverflowSplit {
		return c + s.maxLine
	}
	if i := bytes.IndexByte(buf[c+s.maxLine:w], '\n'); i >= 0 {
		return c + s.maxLine + i + 1
	}
	*skip = true
	return w
}

// trimCR is the length of the line buf[c:c+i] without one trailing "\r".
func trimCR(buf []byte, c, i int) int {
	if i > 0 && buf[c+i-1] == '\r' {
		return i - 1
	}
	return i
}

func (s *Source) add(buf []byte, base int64, c, n int) {
	if n > 0 && buf[c+n-1] == '\r' {
		n--
	}
	s.spans = append(s.spans, span{off: base + int64(c), n: n})
}

// build copies the batch's bodies out of the read buffer into one slab (the channel owns the
// events once delivered, and the buffer is about to be reused) and adds the headers.
func (s *Source) build(tf *tailFile, buf []byte, base int64) []channel.Event {
	total := 0
	for _, sp := range s.spans {
		total += sp.n
	}
	// The batch's lines usually lie back to back in the buffer, one "\n" apart: then the slab
	// is one copy of that stretch (the newlines ride along), else each body is copied.
	first, last := s.spans[0], s.spans[len(s.spans)-1]
	from, to := int(first.off-base), int(last.off-base)+last.n
	var slab []byte
	contiguous := to-from <= total+total/8+len(s.spans)+64
	if contiguous {
		slab = append([]byte(nil), buf[from:to]...)
	} else {
		slab = make([]byte, total)
	}
	events := make([]channel.Event, len(s.spans))
	hs := s.headerSet(tf)
	o := 0
	for i, sp := range s.spans {
		k := int(sp.off - base)
		if contiguous {
			o = k - from
		} else {
			copy(slab[o:], buf[k:k+sp.n])
		}
		// Capped, so that an interceptor appending to one body cannot write into the next.
		events[i].Body = slab[o : o+sp.n : o+sp.n]
		if !contiguous {
			o += sp.n
		}
		events[i].Headers = hs.make(sp.off, "", -1, 1)
	}
	return events
}
