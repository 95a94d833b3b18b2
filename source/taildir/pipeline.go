package taildir

import (
	"context"
	"strconv"
	"time"

	"github.com/flumego/flumego/channel"
)

// The record pipeline reads files that need more than cutting lines: a character set to
// decode, a container log format (whose partial records are joined), multiline groups. Each
// record (a line of the file) is decoded, its envelope parsed, joined with the partial records
// of its stream before it, grouped with the lines around it, and a complete event is copied
// into the batch. What has been read but not delivered is "pending": an open partial line
// or multiline group per stream, and complete events beyond the batch. The pending content is
// saved with the position, so that a restart (or a delivery that failed) continues from the
// first record not read yet, with exactly that state, whatever the order of the streams'
// records, and across a rotation or truncation of the file (see pend).

// The kinds of pending content.
const (
	pendPartial = "partial" // the first records of a line whose last record has not come yet
	pendLines   = "lines"   // a multiline group waiting for its next line
	pendEvent   = "event"   // a complete event waiting for the next batch
	pendSkip    = "skip"    // the rest of an over-long record is being discarded
)

// pend is content read and not delivered, as saved in the position file ("pending").
type pend struct {
	Kind   string `json:"kind"`
	Stream string `json:"stream,omitempty"`
	// Off is the file offset of its first record (the event's log.offset).
	Off int64 `json:"off"`
	// TS is the runtime's time of its first record, epoch ms; -1 when unknown.
	TS    int64 `json:"ts"`
	Lines int   `json:"lines,omitempty"`
	// Skip: the partial line was cut at max_line_length and the rest of it is being
	// discarded (line_overflow "truncate").
	Skip bool `json:"skip,omitempty"`
	// Carried: its records are not in the file's current content any more (they were in the
	// file this one replaced by rotation, or were truncated away), so it does not hold the
	// position back.
	Carried bool   `json:"carried,omitempty"`
	Data    []byte `json:"data"`
}

// stream is one output stream of a file (stdout, stderr; "" for plain lines): its open
// partial line and its open multiline group.
type stream struct {
	name    string
	part    pend
	inPart  bool
	group   pend
	inGroup bool
	since   time.Time // when the group last grew, for the multiline timeout
}

// ready is a complete event waiting in the pipe's slab.
type ready struct {
	start, n int
	stream   string
	off, ts  int64
	lines    int
}

// pipe is the record pipeline's state for one file.
type pipe struct {
	streams []*stream
	ready   []ready
	slab    []byte
	// skip: the rest of a record longer than the limit is being discarded (line_overflow
	// "truncate"); saved as a pending unit of its own.
	skip    bool
	changed bool // records were read since the last commit
}

func (p *pipe) stream(name string) *stream {
	for _, st := range p.streams {
		if st.name == name {
			return st
		}
	}
	st := &stream{name: name}
	p.streams = append(p.streams, st)
	return st
}

func (p *pipe) emit(st string, off, ts int64, lines int, data []byte) {
	p.ready = append(p.ready, ready{start: len(p.slab), n: len(data), stream: st, off: off, ts: ts, lines: lines})
	p.slab = append(p.slab, data...)
}

// snapshot copies the pending content, in the order it is restored.
func (p *pipe) snapshot() []pend {
	var out []pend
	if p.skip {
		out = append(out, pend{Kind: pendSkip, TS: -1, Carried: true})
	}
	for _, r := range p.ready {
		out = append(out, pend{Kind: pendEvent, Stream: r.stream, Off: r.off, TS: r.ts, Lines: r.lines,
			Data: append([]byte(nil), p.slab[r.start:r.start+r.n]...)})
	}
	for _, st := range p.streams {
		if st.inGroup {
			g := st.group
			g.Data = append([]byte(nil), g.Data...)
			out = append(out, g)
		}
		if st.inPart {
			a := st.part
			a.Data = append([]byte(nil), a.Data...)
			out = append(out, a)
		}
	}
	return out
}

// restorePipe rebuilds the state a snapshot was taken of.
func restorePipe(saved []pend, now time.Time) *pipe {
	p := &pipe{}
	for _, u := range saved {
		if u.Kind == pendSkip {
			p.skip = true
			continue
		}
		st := p.stream(u.Stream)
		switch u.Kind {
		case pendEvent:
			p.emit(u.Stream, u.Off, u.TS, u.Lines, u.Data)
		case pendLines:
			st.group, st.inGroup, st.since = u, true, now
			st.group.Data = append([]byte(nil), u.Data...)
		case pendPartial:
			st.part, st.inPart = u, true
			st.part.Data = append([]byte(nil), u.Data...)
		}
	}
	return p
}

// hold is the position a restart must not go past for the pending content to be whole: the
// first record of the earliest pending unit still in the file, else the frontier.
func hold(saved []pend, frontier int64) int64 {
	pos := frontier
	for _, u := range saved {
		if !u.Carried && u.Off < pos {
			pos = u.Off
		}
	}
	return pos
}

// carry marks every pending unit as no longer in the file (truncated or rotated away).
func carry(saved []pend) []pend {
	for i := range saved {
		saved[i].Carried = true
	}
	return saved
}

// drainRecords is drain for the record pipeline: it reads a file from tf.resume, delivering
// complete events a batch at a time. The prologue (open, stat, content checks) is drain's.
func (s *Source) drainRecords(ctx context.Context, tf *tailFile, now time.Time) (more bool, err error) {
	if s.buf == nil {
		s.buf = make([]byte, s.bufSize)
	}
	if tf.pipe == nil {
		tf.pipe = restorePipe(tf.saved, now)
	}
	s.takeOver(ctx, tf, now)
	p := tf.pipe
	buf := s.buf
	base := tf.resume
	c, w := 0, 0
	var read int64
	batches := 0
	eof := false

	commit := func(all bool) error {
		for len(p.ready) > 0 {
			n := min(len(p.ready), s.batch)
			events := s.buildReady(tf, p, n)
			if err := s.deliver(ctx, events); err != nil {
				return err
			}
			batches++
			p.changed = true // the pending events went: the saved state must say so
			rest := p.ready[n:]
			// The next slab is sized like this one, so that it does not grow by copying.
			s.slabHint = max(s.slabHint, len(p.slab))
			if len(rest) == 0 {
				p.ready, p.slab = p.ready[:0], make([]byte, 0, s.slabHint)
			} else {
				// The delivered events own the slab now: the rest move to a new one.
				slab := make([]byte, 0, s.slabHint)
				for i := range rest {
					slab = append(slab, p.slab[rest[i].start:rest[i].start+rest[i].n]...)
					rest[i].start = len(slab) - rest[i].n
				}
				p.ready, p.slab = append(p.ready[:0], rest...), slab
			}
			if !all {
				break
			}
		}
		if !p.changed && base+int64(c) == tf.resume {
			return nil
		}
		p.changed = false
		tf.resume = base + int64(c)
		tf.saved = p.snapshot()
		tf.pos = hold(tf.saved, tf.resume)
		s.progress = true
		s.journalPos(tf)
		return nil
	}
	fail := func(err error) (bool, error) {
		tf.pipe = nil // read again from the last commit, with the state it left
		return drainFailed(ctx, tf, err)
	}
	full := func() bool { return len(p.ready) >= s.batch || len(p.slab) >= len(buf) }

	for tf.f != nil { // a file gone while closed is only finished
		c = s.records(tf, p, buf, base, c, w, false, now)
		if full() {
			if err := commit(false); err != nil {
				return fail(err)
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
			tf.dirty, more = true, true
			break
		}
		if c > 0 {
			copy(buf, buf[c:w])
			base += int64(c)
			c, w = 0, w-c
		}
		n, ok := s.readAt(tf, buf, w, end)
		w += n
		read += int64(n)
		if !ok || n == 0 {
			eof = ok
			break
		}
	}
	if err := commit(true); err != nil {
		return fail(err)
	}
	tf.atEOF = eof
	if !eof && tf.f != nil {
		return more, nil
	}

	final := tf.gone && (tf.f == nil || now.Sub(tf.changed) >= s.cfg.RotateWait)
	for final && c < w {
		// The released file's last records, its last line without "\n" included.
		prev := c
		c = s.records(tf, p, buf, base, c, w, true, now)
		if err := commit(true); err != nil {
			return fail(err)
		}
		if c == prev {
			break
		}
	}
	tf.pendSince = time.Time{}
	switch {
	case final && s.handOver(tf, p):
	case final:
		for _, st := range p.streams {
			if st.inPart {
				// The rest of the line never came: deliver what there is.
				s.partialFlushed.Inc()
				s.line(p, st, st.part.Off, st.part.TS, st.part.Data, now)
				st.inPart = false
			}
			s.flushGroup(p, st)
		}
	default:
		for _, st := range p.streams {
			if !st.inGroup {
				continue
			}
			if now.Sub(st.since) >= s.ml.timeout {
				s.flushGroup(p, st)
			} else if tf.pendSince.IsZero() || st.since.Before(tf.pendSince) {
				tf.pendSince = st.since
			}
		}
	}
	p.changed = p.changed || final
	if err := commit(true); err != nil {
		return fail(err)
	}
	if final {
		s.released(tf)
	}
	return false, nil
}

// records runs the records in buf[c:w] (the file's from base+c) through the pipeline until the
// batch is full, and returns where it stopped: at the start of the first record not complete
// yet (with final, the rest of the data is the file's last record).
func (s *Source) records(tf *tailFile, p *pipe, buf []byte, base int64, c, w int, final bool, now time.Time) int {
	cd := &tf.group.codec
	limit := s.recordLimit(tf.group)
	for c < w && len(p.ready) < s.batch && len(p.slab) < len(buf) {
		b := buf[c:min(w, c+limit+2*cd.unit)]
		content, full, ok := cd.newline(b)
		if p.skip {
			switch {
			case ok:
				c += full
				p.skip = false
			case final:
				c = w
			case len(b) >= limit:
				c += len(b) &^ (cd.unit - 1) // whole code units
			default:
				return c
			}
			p.changed = true
			continue
		}
		switch {
		case ok && content <= limit:
		case !ok && len(b) < limit+2*cd.unit:
			if !final {
				return c // the line is not complete yet
			}
			content, full = len(b), len(b) // the released file's last line, without newline
		default:
			// Longer than the limit: its head is one record; the rest is the next record
			// ("split") or discarded up to its end ("truncate").
			s.longLines.Inc()
			content = cd.cut(b, limit)
			switch {
			case s.cfg.LineOverflow == OverflowSplit:
				full = content
			case !ok:
				full, p.skip = content, true
			}
		}
		s.record(tf, p, buf[c:c+content], base+int64(c), now)
		c += full
		p.changed = true
	}
	return c
}

// recordLimit is the most file bytes of one record: max_line_length for plain lines, more for
// a container format, whose envelope (and JSON escaping) adds to the line it holds.
func (s *Source) recordLimit(g *group) int {
	if g.format == FormatPlain {
		return s.maxLine
	}
	return max(2*s.maxLine, 64<<10) + 4096
}

// record takes one record: decodes it, parses its envelope and joins it to its stream's line.
func (s *Source) record(tf *tailFile, p *pipe, rec []byte, off int64, now time.Time) {
	g := tf.group
	if off == 0 {
		rec = rec[g.codec.bom(rec):]
	}
	if !g.codec.plain() {
		s.dec = g.codec.decode(s.dec[:0], rec)
		rec = s.dec
	}
	e := entry{ts: -1, msg: rec}
	if g.format != FormatPlain {
		ok := false
		if g.format == FormatCRI || (g.format == FormatAuto && (len(rec) == 0 || rec[0] != '{')) {
			e, ok = parseCRI(rec)
		} else {
			e, s.scratch, ok = parseDocker(rec, s.scratch)
		}
		if !ok {
			// Not in the format: the record is delivered as it is, a line of its own.
			s.formatErrors.Inc()
			e = entry{ts: -1, msg: rec}
		}
	}
	st := p.stream(e.stream)
	// A plain line was bounded in file bytes already (decoding may make it longer).
	if !st.inPart && !e.partial && (g.format == FormatPlain || len(e.msg) <= s.maxLine) {
		s.line(p, st, off, e.ts, e.msg, now)
		return
	}
	// A partial record, or the rest of a line: joined up to max_line_length.
	a := &st.part
	if !st.inPart {
		*a = pend{Kind: pendPartial, Stream: st.name, Off: off, TS: e.ts, Data: a.Data[:0]}
		st.inPart = true
	}
	msg := e.msg
	if a.Skip {
		msg = nil
	}
	cut := false
	for len(a.Data)+len(msg) > s.maxLine {
		s.longLines.Inc()
		room := s.maxLine - len(a.Data)
		s.line(p, st, a.Off, a.TS, append(a.Data, msg[:room]...), now)
		msg, cut = msg[room:], true
		a.Data, a.Off, a.TS = a.Data[:0], off, e.ts
		if s.cfg.LineOverflow == OverflowTruncate {
			a.Skip, msg = true, nil
		}
	}
	a.Data = append(a.Data, msg...)
	if !e.partial {
		if !a.Skip && (len(a.Data) > 0 || !cut) {
			s.line(p, st, a.Off, a.TS, a.Data, now)
		}
		st.inPart, a.Skip = false, false
	}
}

// line takes one whole line of a stream: into its multiline group, or into the batch.
func (s *Source) line(p *pipe, st *stream, off, ts int64, data []byte, now time.Time) {
	ml := s.ml
	if ml == nil {
		p.emit(st.name, off, ts, 1, data)
		return
	}
	matched := ml.re.Match(data) != ml.negate
	g := &st.group
	fits := st.inGroup && g.Lines < ml.maxLines && len(g.Data)+1+len(data) <= s.maxLine
	switch {
	case !ml.before && fits && matched:
		// A continuation: joined to the group before it.
	case !ml.before || !fits:
		s.flushGroup(p, st)
	}
	if st.inGroup {
		g.Data = append(append(g.Data, '\n'), data...)
		g.Lines++
	} else {
		*g = pend{Kind: pendLines, Stream: st.name, Off: off, TS: ts, Lines: 1, Data: append(g.Data[:0], data...)}
		st.inGroup = true
	}
	st.since = now
	if ml.before && (!matched || g.Lines >= ml.maxLines) {
		s.flushGroup(p, st)
	}
}

// flushGroup delivers a stream's open multiline group.
func (s *Source) flushGroup(p *pipe, st *stream) {
	if st.inGroup {
		p.emit(st.name, st.group.Off, st.group.TS, st.group.Lines, st.group.Data)
		st.inGroup = false
	}
}

// handOver gives the open partial lines and multiline groups of a released container log to
// the file now at its path (kubelet rotates by renaming the file and creating a new one; the
// runtime goes on with the line there); it reports whether there was such a file.
func (s *Source) handOver(tf *tailFile, p *pipe) bool {
	next := s.byPath[tf.path]
	if tf.group.format == FormatPlain || next == nil || next == tf || next.group != tf.group {
		return false
	}
	s.moveState(tf, next)
	return true
}

// takeOver runs before a container log is read: when the file it replaced at its path (by
// rotation) is still tracked, that one is read to its end first, and its open lines continue
// in this one.
func (s *Source) takeOver(ctx context.Context, tf *tailFile, now time.Time) {
	prev := s.handoff[tf.path]
	if prev == nil || prev == tf {
		return
	}
	delete(s.handoff, tf.path)
	if s.files[prev.id] != prev {
		return
	}
	if _, err := s.drain(ctx, prev); err != nil || s.files[prev.id] != prev || prev.pipe == nil {
		return // released (and handed over) by that drain, or to be read again later
	}
	s.moveState(prev, tf)
}

// moveState moves the open partial lines and multiline groups of from into to, saving both
// positions (the receiver's first, so that a crash in between duplicates rather than loses).
func (s *Source) moveState(from, to *tailFile) {
	if from.pipe == nil {
		from.pipe = restorePipe(from.saved, s.now())
	}
	if to.pipe == nil {
		to.pipe = restorePipe(to.saved, s.now())
	}
	moved := false
	for _, st := range from.pipe.streams {
		dst := to.pipe.stream(st.name)
		if st.inGroup && !dst.inGroup {
			dst.group, dst.inGroup, dst.since = st.group, true, st.since
			dst.group.Carried, st.inGroup, moved = true, false, true
			st.group = pend{}
		}
		if st.inPart && !dst.inPart {
			dst.part, dst.inPart = st.part, true
			dst.part.Carried, st.inPart, moved = true, false, true
			st.part = pend{}
		}
	}
	if !moved {
		return
	}
	for _, tf := range []*tailFile{to, from} {
		tf.saved = tf.pipe.snapshot()
		tf.pos = hold(tf.saved, tf.resume)
		s.journalPos(tf)
	}
}

// buildReady makes events of the first n complete events of the pipe. The slab goes with
// them.
func (s *Source) buildReady(tf *tailFile, p *pipe, n int) []channel.Event {
	events := make([]channel.Event, n)
	hs := s.headerSet(tf)
	for i, r := range p.ready[:n] {
		events[i].Body = p.slab[r.start : r.start+r.n : r.start+r.n]
		events[i].Headers = hs.make(r.off, r.stream, r.ts, r.lines)
	}
	return events
}

// headers builds the header maps of one batch of a file.
type headers struct {
	s      *Source
	tf     *tailFile
	size   int    // entries per map
	readAt string // the batch's read time, for ecs_headers
}

func (s *Source) headerSet(tf *tailFile) headers {
	h := headers{s: s, tf: tf, size: len(tf.group.headers) + len(tf.meta)}
	if s.cfg.FileHeader {
		h.size++
	}
	if s.cfg.ByteOffsetHeader {
		h.size++
	}
	if tf.group.format != FormatPlain {
		h.size += 2
	}
	if s.cfg.ECSHeaders {
		h.size += 4
		h.readAt = strconv.FormatInt(s.now().UnixMilli(), 10)
	}
	return h
}

// make returns the headers of one event, or nil when it has none.
func (h *headers) make(off int64, stream string, ts int64, lines int) map[string]string {
	if h.size == 0 {
		return nil
	}
	s, tf := h.s, h.tf
	m := make(map[string]string, h.size)
	for k, v := range tf.group.headers {
		m[k] = v
	}
	for k, v := range tf.meta {
		m[k] = v
	}
	if stream != "" {
		m[HeaderStream] = stream
	}
	if ts >= 0 {
		m[HeaderTimestamp] = s.millis(ts)
	}
	if s.cfg.FileHeader {
		m[s.cfg.FileHeaderKey] = tf.path
	}
	var offs string
	if s.cfg.ByteOffsetHeader || s.cfg.ECSHeaders {
		offs = strconv.FormatInt(off, 10)
	}
	if s.cfg.ByteOffsetHeader {
		m[byteOffsetKey] = offs
	}
	if s.cfg.ECSHeaders {
		m[HeaderFilePath] = tf.path
		m[HeaderOffset] = offs
		if lines > 1 {
			m[HeaderFlags] = FlagMultiline
		}
		if _, ok := m[HeaderTimestamp]; !ok {
			m[HeaderTimestamp] = h.readAt
		}
	}
	return m
}

// millis formats an epoch-ms time, reusing the last string: a busy container logs many lines
// within one millisecond.
func (s *Source) millis(ts int64) string {
	if ts != s.lastMillis || s.lastMillisStr == "" {
		s.lastMillis, s.lastMillisStr = ts, strconv.FormatInt(ts, 10)
	}
	return s.lastMillisStr
}
