package file

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/flumego/flumego/channel"
)

// Events are stored in records of about recordBytes: a put commit's events, cut into records,
// go into a bucket of their own inside bucket "events", keyed by the sequence number of the
// put's first event, and each record is keyed in it by the sequence number of its first event
// (big-endian uint64, so keys only append at the right edge of the tree and take commits delete
// from its left edge). A bucket per put because bbolt copies a page on write: a record stored
// straight in "events" shares its leaf with its neighbours, so every later put (and every take
// commit deleting a neighbour) wrote it again, about twice the payload in all; a put's bucket
// is written once, and the leaf of "events" that the next put changes holds only small bucket
// headers. Records rather than events, because bbolt's cost is per key: a record of a hundred
// events costs what one event would.
//
//	record:  version byte (1), uvarint event count, then per event:
//	event:   uvarint length of the rest, uvarint header count,
//	         per header: uvarint key length, key, uvarint value length, value;
//	         the body is what remains of the event's length.
//
// Files of format 1 hold the records straight in bucket "events", each its own put; they are
// read as they are, and new puts get their bucket. A put whose events were all taken and
// committed is deleted (its bucket, or its record). One partly taken and committed keeps the
// runs of sequence numbers already taken in bucket "acks", under the same key, as uvarint pairs
// (offset from the put's first, length), so that a restart does not hand them out again.
const codecVersion = 1

// recordBytes is the most event bytes in a record, unless one event alone is larger. A put's
// bucket holds its records in leaves of two to four records, written once; reading one event
// back walks its record from the start, so records stay this small.
const recordBytes = 8*4096 - 64

var errShortValue = errors.New("truncated record")

func eventLen(e *channel.Event) int {
	if len(e.Headers) == 0 {
		return 1 + len(e.Body)
	}
	n := uvarintLen(uint64(len(e.Headers))) + len(e.Body)
	for k, v := range e.Headers {
		n += uvarintLen(uint64(len(k))) + len(k) + uvarintLen(uint64(len(v))) + len(v)
	}
	return n
}

func appendEvent(dst []byte, e *channel.Event, n int) []byte {
	dst = binary.AppendUvarint(dst, uint64(n))
	if len(e.Headers) == 0 {
		return append(append(dst, 0), e.Body...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(e.Headers)))
	for k, v := range e.Headers {
		dst = binary.AppendUvarint(dst, uint64(len(k)))
		dst = append(dst, k...)
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		dst = append(dst, v...)
	}
	return append(dst, e.Body...)
}

// encoder encodes the events of a put into records, all in one buffer. A put commit's encoder
// goes back to its channel's pool once the committer has written it (bbolt has then copied
// the records into its pages), so a steady flow of puts encodes into the same few buffers.
type encoder struct {
	buf    []byte
	lens   []int
	recs   [][]byte
	counts []int // events in each record
}

// encode encodes events into e.recs and e.counts, reusing e's buffers.
func (e *encoder) encode(events []channel.Event) {
	e.lens = slices.Grow(e.lens[:0], len(events))[:len(events)]
	size := 0
	for i := range events {
		e.lens[i] = eventLen(&events[i])
		size += uvarintLen(uint64(e.lens[i])) + e.lens[i]
	}
	buf := slices.Grow(e.buf[:0], size+(size/recordBytes+1)*(1+binary.MaxVarintLen64))
	clear(e.recs)
	e.recs, e.counts = e.recs[:0], e.counts[:0]
	for i := 0; i < len(events); {
		// Count the events of this record first: the count leads the record.
		j, sz := i, 0
		for j < len(events) && (j == i || sz+uvarintLen(uint64(e.lens[j]))+e.lens[j] <= recordBytes) {
			sz += uvarintLen(uint64(e.lens[j])) + e.lens[j]
			j++
		}
		start := len(buf)
		buf = append(buf, codecVersion)
		buf = binary.AppendUvarint(buf, uint64(j-i))
		for k := i; k < j; k++ {
			buf = appendEvent(buf, &events[k], e.lens[k])
		}
		e.recs = append(e.recs, buf[start:len(buf):len(buf)])
		e.counts = append(e.counts, j-i)
		i = j
	}
	e.buf = buf
}

// size is the bytes of the records.
func (e *encoder) size() int64 {
	var n int64
	for _, r := range e.recs {
		n += int64(len(r))
	}
	return n
}

// recordReader walks the events of one record.
type recordReader struct {
	p    []byte
	left int
}

// openRecord checks the record's header and returns a reader positioned at its first event.
func openRecord(v []byte) (recordReader, error) {
	if len(v) == 0 {
		return recordReader{}, errShortValue
	}
	if v[0] != codecVersion {
		return recordReader{}, fmt.Errorf("unknown record encoding version %d", v[0])
	}
	n, l := binary.Uvarint(v[1:])
	if l <= 0 || n == 0 || n > uint64(len(v)) {
		return recordReader{}, errShortValue
	}
	return recordReader{p: v[1+l:], left: int(n)}, nil
}

// next returns the next event's encoding.
func (r *recordReader) next() ([]byte, error) {
	if r.left == 0 {
		return nil, errShortValue
	}
	ev, rest, ok := lenPrefixed(r.p)
	if !ok {
		return nil, errShortValue
	}
	r.p, r.left = rest, r.left-1
	return ev, nil
}

// checkRecord walks a whole record and returns its event count; opening a channel runs it
// over every record, so a damaged file is refused rather than discovered by a sink.
func checkRecord(v []byte) (int, error) {
	r, err := openRecord(v)
	if err != nil {
		return 0, err
	}
	n := r.left
	for r.left > 0 {
		if _, err := r.next(); err != nil {
			return 0, err
		}
	}
	if len(r.p) != 0 {
		return 0, fmt.Errorf("%d bytes after the last event", len(r.p))
	}
	return n, nil
}

// arena hands out byte slices carved from larger blocks, so decoding a batch of events costs a
// few allocations rather than one per body.
type arena struct{ buf []byte }

const arenaBlock = 64 << 10

func (a *arena) copy(b []byte) []byte {
	if len(b) > arenaBlock/4 {
		return append([]byte(nil), b...)
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		a.buf = make([]byte, 0, arenaBlock)
	}
	n := len(a.buf)
	a.buf = append(a.buf, b...)
	// A full slice expression, so a taker appending to one body cannot overwrite the next.
	return a.buf[n:len(a.buf):len(a.buf)]
}

// decodeEvent decodes one event of a record. p belongs to a bbolt transaction, so everything
// kept is copied: the body into the arena, headers into new strings. An empty body and an
// empty header map come back nil.
func decodeEvent(p []byte, a *arena) (channel.Event, error) {
	var e channel.Event
	nh, n := binary.Uvarint(p)
	if n <= 0 || nh > uint64(len(p)) {
		return e, errShortValue
	}
	p = p[n:]
	if nh > 0 {
		e.Headers = make(map[string]string, nh)
	}
	for range nh {
		var k, val []byte
		var ok bool
		if k, p, ok = lenPrefixed(p); !ok {
			return e, errShortValue
		}
		if val, p, ok = lenPrefixed(p); !ok {
			return e, errShortValue
		}
		e.Headers[string(k)] = string(val)
	}
	if len(p) > 0 {
		e.Body = a.copy(p)
	}
	return e, nil
}

func lenPrefixed(p []byte) (field, rest []byte, ok bool) {
	l, n := binary.Uvarint(p)
	if n <= 0 || l > uint64(len(p)-n) {
		return nil, nil, false
	}
	p = p[n:]
	return p[:l], p[l:], true
}

// encodeAcks encodes the runs of a record already taken, relative to its first.
func encodeAcks(first uint64, acked []span) []byte {
	out := make([]byte, 0, 4*len(acked))
	for _, s := range acked {
		out = binary.AppendUvarint(out, s.lo-first)
		out = binary.AppendUvarint(out, s.hi-s.lo)
	}
	return out
}

// decodeAcks decodes what encodeAcks wrote, checking the runs lie inside a record of n events
// in ascending order.
func decodeAcks(first uint64, n int, v []byte) ([]span, error) {
	var out []span
	var floor uint64
	for len(v) > 0 {
		off, l1 := binary.Uvarint(v)
		if l1 <= 0 {
			return nil, errShortValue
		}
		ln, l2 := binary.Uvarint(v[l1:])
		if l2 <= 0 {
			return nil, errShortValue
		}
		v = v[l1+l2:]
		if off < floor || ln == 0 || off+ln > uint64(n) {
			return nil, fmt.Errorf("acknowledged run %d+%d outside a record of %d events", off, ln, n)
		}
		out = append(out, span{first + off, first + off + ln})
		floor = off + ln
	}
	return out, nil
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func putKey(k []byte, seq uint64) { binary.BigEndian.PutUint64(k, seq) }

func keySeq(k []byte) uint64 { return binary.BigEndian.Uint64(k) }
