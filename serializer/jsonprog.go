package serializer

import (
	"slices"

	"github.com/flumego/flumego/channel"
)

// A program is the document of one set of header names, compiled: its text with a slot for
// each value that changes from event to event (header values, the body, the time). Events of
// one source mostly carry the same header names, so after the first event of a set, writing a
// document is copying its text and escaping its values, with no tree to build. Only what is the
// same for every event of the set goes into the text: the nesting of dotted names, the clashes
// between them, include and exclude, the preset's fields. What depends on values takes the tree
// (build): a JSON body, a json-typed header, a timestamp header that is not a number.
type program struct {
	keys []string // the header names, sorted
	lit  []byte   // the document's text without its slots' values
	ops  []op     // the slots, in the order of the text
	// ts and body are the indices in keys of the timestamp header (when timestamp_key takes
	// it) and of body_header's; -1 when absent.
	ts, body  int
	conflicts int64 // of names, counted for every document
}

type op struct {
	at   int   // where in lit the slot's value goes
	slot int64 // an index in keys, or slotTime, slotBody
	typ  fieldType
}

const (
	slotTime = -1
	slotBody = -2
)

// maxPrograms bounds the programs a serializer keeps: a source inventing header names for ever
// would otherwise grow the cache for ever. Beyond it, new sets of names take the tree.
const maxPrograms = 64

// mark records a slot at the end of dst, while compiling.
func (p *program) mark(dst []byte, slot int64, typ fieldType) []byte {
	p.ops = append(p.ops, op{at: len(dst), slot: slot, typ: typ})
	return dst
}

// slot is the index of header k in the program's names.
func (p *program) slot(k string) int {
	i, _ := slices.BinarySearch(p.keys, k)
	return i
}

// runProgram writes the event with the program of its header names, when it has one that
// fits this event; false sends the event to the tree.
func (s *jsonSer) runProgram(dst []byte, ev *channel.Event) ([]byte, bool) {
	if s.programs == nil {
		return dst, false
	}
	p := s.last
	if p == nil || !s.fill(p, ev.Headers) {
		if p = s.program(ev); p == nil {
			return dst, false
		}
		s.last = p
	}
	asJSON, unknown := s.bodyJSON, false
	if p.body >= 0 {
		switch s.vals[p.body] {
		case BodyString:
			asJSON = false
		case BodyJSON:
			asJSON = true
		default:
			unknown = true
		}
	}
	if asJSON {
		return dst, false
	}
	var ms int64
	if s.tsKey != "" {
		if p.ts < 0 {
			ms = nowMillis()
		} else if t, ok := parseMillis(s.vals[p.ts]); ok {
			ms = t
		} else {
			return dst, false
		}
	}
	if unknown {
		s.typeFallback.Inc()
	}
	fell := int64(0)
	pos := 0
	for _, o := range p.ops {
		dst = append(dst, p.lit[pos:o.at]...)
		pos = o.at
		switch o.slot {
		case slotTime:
			dst = append(dst, '"')
			dst = s.clk.appendTime(dst, ms)
			dst = append(dst, '"')
		case slotBody:
			dst = appendString(dst, bytesString(ev.Body))
		default:
			var f bool
			if dst, f = appendValue(dst, s.vals[o.slot], o.typ); f {
				fell++
			}
		}
	}
	dst = append(dst, p.lit[pos:]...)
	if fell > 0 {
		s.typeFallback.Add(fell)
	}
	if p.conflicts > 0 {
		s.conflicts.Add(p.conflicts)
	}
	return dst, true
}

// fill reports whether the event has exactly the program's header names, collecting their values
// into s.vals.
func (s *jsonSer) fill(p *program, h map[string]string) bool {
	if len(h) != len(p.keys) {
		return false
	}
	s.vals = s.vals[:0]
	for _, k := range p.keys {
		v, ok := h[k]
		if !ok {
			return false
		}
		s.vals = append(s.vals, v)
	}
	return true
}

// program returns the program of the event's header names, compiling it the first time; nil
// when they cannot be compiled (a json-typed header) or too many sets were seen.
func (s *jsonSer) program(ev *channel.Event) *program {
	keys := s.keys[:0]
	for k := range ev.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s.keys = keys
	sig := s.sig[:0]
	for _, k := range keys {
		sig = append(append(sig, k...), 0)
	}
	s.sig = sig
	p, seen := s.programs[string(sig)]
	if !seen {
		if len(s.programs) >= maxPrograms {
			return nil
		}
		p = s.compile(ev, keys)
		s.programs[string(sig)] = p
	}
	if p == nil || !s.fill(p, ev.Headers) {
		return nil
	}
	return p
}

// compile builds the program of the event's header names (sorted in keys).
func (s *jsonSer) compile(ev *channel.Event, keys []string) *program {
	p := &program{keys: slices.Clone(keys), ts: -1, body: -1}
	for i, k := range p.keys {
		switch {
		case s.tsKey != "" && k == TimestampHeader:
			p.ts = i
		case s.bodyHeader != "" && k == s.bodyHeader:
			p.body = i
		case s.types[k] == tJSON && s.wanted(k):
			return nil // its value is parsed into the document
		}
	}
	p.lit = s.build(nil, ev, p)
	p.conflicts = s.doc.conflicts
	return p
}
