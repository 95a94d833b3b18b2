package memory

import (
	"cmp"
	"slices"

	"github.com/flumego/flumego/channel"
)

// minRing is the smallest buffer the deque allocates.
const minRing = 256

// ring is the channel's FIFO: a growable circular deque of events, each with the sequence number
// it got at its put commit. Both slices are moved with copy, so putting and taking a batch costs
// no allocation and no per-event work beyond the copy. The deque is always sorted by sequence
// number; unget merges returned events back in by that number, so events handed back by
// several takers, in any order, come out again in the order they were committed.
//
// ring is not safe for concurrent use: the channel's mutex guards it.
type ring struct {
	ev   []channel.Event
	seq  []uint64
	head int // physical index of the first event
	n    int // number of events held
}

// at returns the physical index of the i-th event (0 ≤ i ≤ len(r.ev)).
func (r *ring) at(i int) int {
	j := r.head + i
	if j >= len(r.ev) {
		j -= len(r.ev)
	}
	return j
}

// reserve makes room for extra more events, at least doubling the buffers so growth is
// amortised, but never beyond limit (the channel's capacity, which bounds what it can hold).
func (r *ring) reserve(extra, limit int) {
	need := r.n + extra
	if need <= len(r.ev) {
		return
	}
	r.resize(min(max(2*len(r.ev), need, minRing), max(limit, need)))
}

// oversized reports whether the buffers are larger than floor and mostly empty.
func (r *ring) oversized(floor int) bool { return len(r.ev) > floor && r.n < len(r.ev)/4 }

// shrink resizes the buffers to twice what they hold, but not below floor.
func (r *ring) shrink(floor int) { r.resize(max(2*r.n, floor)) }

func (r *ring) resize(size int) {
	ev := make([]channel.Event, size)
	seq := make([]uint64, size)
	r.read(ev, seq, r.n)
	r.ev, r.seq, r.head = ev, seq, 0
}

// read copies the first k events and their sequence numbers into ev and seq.
func (r *ring) read(ev []channel.Event, seq []uint64, k int) {
	if k == 0 {
		return
	}
	start := r.head
	first := min(k, len(r.ev)-start)
	copy(ev, r.ev[start:start+first])
	copy(seq, r.seq[start:start+first])
	copy(ev[first:k], r.ev[:k-first])
	copy(seq[first:k], r.seq[:k-first])
}

// push appends events at the tail, numbering them from seq0. The caller has reserved room.
func (r *ring) push(evs []channel.Event, seq0 uint64) {
	tail := r.at(r.n)
	first := min(len(evs), len(r.ev)-tail)
	copy(r.ev[tail:], evs[:first])
	copy(r.ev, evs[first:])
	for i := range evs {
		r.seq[r.at(r.n+i)] = seq0 + uint64(i)
	}
	r.n += len(evs)
}

// pop moves the first k events (k ≤ r.n) and their sequence numbers to the ends of ev and seq,
// clearing their slots so the deque keeps no reference to bodies it no longer holds.
func (r *ring) pop(k int, ev []channel.Event, seq []uint64) ([]channel.Event, []uint64) {
	if k == 0 {
		return ev, seq
	}
	ev, seq = slices.Grow(ev, k), slices.Grow(seq, k)
	i := len(ev)
	ev, seq = ev[:i+k], seq[:i+k]
	r.read(ev[i:], seq[i:], k)
	start := r.head
	first := min(k, len(r.ev)-start)
	clear(r.ev[start : start+first])
	clear(r.ev[:k-first])
	r.head = r.at(k)
	r.n -= k
	if r.n == 0 {
		r.head = 0
	}
	return ev, seq
}

// unget puts events taken earlier back at the head. evs and seq may be in any order (a taker that
// took twice may hold a batch another taker handed back in between); they are sorted, then merged
// with the events at the head that are older than the newest of them, in place, so the deque stays
// in commit order. limit bounds growth as in reserve.
func (r *ring) unget(evs []channel.Event, seq []uint64, limit int) {
	m := len(evs)
	if m == 0 {
		return
	}
	if !slices.IsSorted(seq) {
		sortBySeq(evs, seq)
	}
	r.reserve(m, limit)
	// k events already at the head are older than the newest returned one; they interleave.
	k := r.olderThan(seq[m-1])
	r.head -= m
	if r.head < 0 {
		r.head += len(r.ev)
	}
	r.n += m
	// The k old events now sit at logical [m, m+k); merge them with evs into [0, m+k). The write
	// index never passes the read index (w = i-m+j ≤ i), so nothing is overwritten before it is read.
	i, j, w := m, 0, 0
	for j < m {
		pw := r.at(w)
		if i < m+k && r.seq[r.at(i)] < seq[j] {
			pi := r.at(i)
			r.ev[pw], r.seq[pw] = r.ev[pi], r.seq[pi]
			i++
		} else {
			r.ev[pw], r.seq[pw] = evs[j], seq[j]
			j++
		}
		w++
	}
}

// olderThan counts the events at the head whose sequence number is below s, by binary search
// (the deque is sorted).
func (r *ring) olderThan(s uint64) int {
	lo, hi := 0, r.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.seq[r.at(mid)] < s {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// sortBySeq sorts a batch and its sequence numbers together. It runs only on the rare rollback of
// a batch assembled from events other takers handed back, so it may allocate.
func sortBySeq(evs []channel.Event, seq []uint64) {
	type pair struct {
		ev  channel.Event
		seq uint64
	}
	ps := make([]pair, len(evs))
	for i := range evs {
		ps[i] = pair{evs[i], seq[i]}
	}
	slices.SortFunc(ps, func(a, b pair) int { return cmp.Compare(a.seq, b.seq) })
	for i := range ps {
		evs[i], seq[i] = ps[i].ev, ps[i].seq
	}
}
