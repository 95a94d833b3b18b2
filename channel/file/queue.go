package file

import (
	"sort"

	"github.com/flumego/flumego/channel"
)

// span is the sequence numbers lo up to but not including hi.
type span struct{ lo, hi uint64 }

func (s span) len() int { return int(s.hi - s.lo) }

// spanQueue is the order in which stored events are handed to takers, as runs of consecutive
// sequence numbers kept in ascending order: a put commit appends a run (its numbers are the
// highest yet), a take pops from the front, a rollback merges its runs back where they belong,
// so events always come out in commit order, as they lie in the database. A million queued
// events from large batches are a few thousand runs. The zero value is empty.
type spanQueue struct {
	buf   []span // buf[head:] are queued
	head  int
	count int // events
}

func (q *spanQueue) runs() []span { return q.buf[q.head:] }

// pushBack appends a run above every queued one, merging it with the last when they touch.
func (q *spanQueue) pushBack(s span) {
	if s.lo == s.hi {
		return
	}
	q.count += s.len()
	if n := len(q.buf); n > q.head && q.buf[n-1].hi == s.lo {
		q.buf[n-1].hi = s.hi
		return
	}
	q.buf = append(q.buf, s)
}

// insert merges runs handed back by a rollback into their places. They are usually below every
// queued run, which costs nothing; otherwise the runs above move up.
func (q *spanQueue) insert(spans []span) {
	for i := len(spans) - 1; i >= 0; i-- {
		q.insertOne(spans[i])
	}
}

func (q *spanQueue) insertOne(s span) {
	if s.lo == s.hi {
		return
	}
	q.count += s.len()
	runs := q.runs()
	i := sort.Search(len(runs), func(i int) bool { return runs[i].lo >= s.hi })
	// runs[i] is the first run above s; runs[i-1] is below it.
	if i < len(runs) && runs[i].lo == s.hi {
		runs[i].lo = s.lo
		if i > 0 && runs[i-1].hi == s.lo {
			runs[i-1].hi = runs[i].hi
			q.buf = append(q.buf[:q.head+i], q.buf[q.head+i+1:]...)
		}
		return
	}
	if i > 0 && runs[i-1].hi == s.lo {
		runs[i-1].hi = s.hi
		return
	}
	if i == 0 && q.head > 0 {
		q.head--
		q.buf[q.head] = s
		return
	}
	q.buf = append(q.buf, span{})
	copy(q.buf[q.head+i+1:], q.buf[q.head+i:])
	q.buf[q.head+i] = s
}

// popFront removes up to max events from the front and appends their runs to out.
func (q *spanQueue) popFront(max int, out []span) []span {
	for max > 0 && q.head < len(q.buf) {
		first := &q.buf[q.head]
		if first.len() <= max {
			out = append(out, *first)
			max -= first.len()
			q.count -= first.len()
			q.head++
			continue
		}
		out = append(out, span{first.lo, first.lo + uint64(max)})
		first.lo += uint64(max)
		q.count -= max
		max = 0
	}
	switch {
	case q.head == len(q.buf):
		q.buf, q.head = q.buf[:0], 0
	case q.head > 64 && q.head > len(q.buf)/2:
		n := copy(q.buf, q.buf[q.head:])
		q.buf, q.head = q.buf[:n], 0
	}
	return out
}

// segment is the events of one put commit, kept in memory so a taker that keeps up with the
// putters never reads back from disk.
type segment struct {
	first  uint64
	events []channel.Event // nil once every event was handed out
	bytes  int64
	taken  int
}

// eventCache holds the segments of recent put commits, bounded by bytes. A segment that does
// not fit is not admitted, so when takers fall behind the front of the backlog stays cached and
// the rest is read back from disk in runs. A segment is dropped once each of its events was
// handed out; events handed out again after a rollback are read from disk. The database stays
// the truth: the cache only ever holds copies of committed events.
type eventCache struct {
	max, used int64
	segs      []segment // ordered by first; the committer adds them in sequence order
	head      int       // segs[:head] are dropped
}

// add admits the events of a put commit, numbered from first, when they fit.
func (c *eventCache) add(first uint64, events []channel.Event, bytes int64) {
	if c.used+bytes > c.max || len(events) == 0 {
		return
	}
	c.used += bytes
	c.segs = append(c.segs, segment{first: first, events: events, bytes: bytes})
}

// find returns the index in segs of the live segment holding seq, or -1, and the first
// sequence number above seq that may be cached (or ^0).
func (c *eventCache) find(seq uint64) (int, uint64) {
	live := c.segs[c.head:]
	i := sort.Search(len(live), func(i int) bool { return live[i].first > seq })
	next := ^uint64(0)
	if i < len(live) {
		next = live[i].first
	}
	if i == 0 {
		return -1, next
	}
	s := &live[i-1]
	if s.events == nil || seq >= s.first+uint64(len(s.events)) {
		return -1, next
	}
	return c.head + i - 1, next
}

// diskRead is a run of events a taker must read from disk into events[at:].
type diskRead struct {
	at int
	span
}

// fill copies the cached events of spans into out (len(out) is the spans' total) and returns
// the runs that must come from disk.
func (c *eventCache) fill(spans []span, out []channel.Event, reads []diskRead) []diskRead {
	at := 0
	for _, sp := range spans {
		for seq := sp.lo; seq < sp.hi; {
			if len(c.segs) == c.head {
				reads = append(reads, diskRead{at, span{seq, sp.hi}})
				at += int(sp.hi - seq)
				break
			}
			i, next := c.find(seq)
			if i < 0 {
				end := min(sp.hi, next)
				reads = append(reads, diskRead{at, span{seq, end}})
				at += int(end - seq)
				seq = end
				continue
			}
			s := &c.segs[i]
			end := min(sp.hi, s.first+uint64(len(s.events)))
			n := copy(out[at:], s.events[seq-s.first:end-s.first])
			at += n
			seq = end
			if s.taken += n; s.taken >= len(s.events) {
				c.drop(i)
			}
		}
	}
	return reads
}

func (c *eventCache) drop(i int) {
	c.used -= c.segs[i].bytes
	c.segs[i].events = nil
	for c.head < len(c.segs) && c.segs[c.head].events == nil {
		c.segs[c.head] = segment{}
		c.head++
	}
	if c.head == len(c.segs) {
		c.segs, c.head = c.segs[:0], 0
	} else if c.head > 1024 && c.head > len(c.segs)/2 {
		n := copy(c.segs, c.segs[c.head:])
		clear(c.segs[n:])
		c.segs, c.head = c.segs[:n], 0
	}
}
