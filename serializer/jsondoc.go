package serializer

import (
	"slices"
	"strings"
)

// kind is what a document node holds.
type kind uint8

const (
	kObject kind = iota
	kArray
	kString // val, escaped on output
	kRaw    // val is JSON text written as it is: a number, true, false, null, a rendered value
	kTyped  // val is a header's value, written as its type (typ) says
	kTime   // num is epoch milliseconds, written as "2006-01-02T15:04:05.000Z"
	kSlot   // a value a compiled document fills in per event: num is the slot, typ its type
)

const none int32 = -1

// node is one value of a document. Objects and arrays link their children through first/next;
// a template's rendered subtree (kRaw with tmpl set) is expanded back into nodes when something
// has to be merged into it.
type node struct {
	key               string
	val               string
	num               int64
	first, last, next int32
	tmpl              int32 // the template node a kRaw stands for, or none
	kind              kind
	typ               fieldType // of kTyped and kSlot
	dead              bool      // a duplicate key that a later one replaced
}

// doc is one JSON document being built: a tree of nodes in a slice reused from event to
// event, and an arena for the strings decoding produced. Node 0 is the root object.
type doc struct {
	nodes []node
	arena []byte
	idx   []int32 // scratch for sorting an object's keys

	tmpl *doc // the defaults' nodes, for expanding kRaw nodes that stand for them

	// what building and writing met, for the serializer's counters
	conflicts, duplicates, fallbacks, notJSON int64
	// where the last failed parseJSON stopped, and whether for depth
	parseAt int
	tooDeep bool
}

func (d *doc) reset() {
	// Do not keep the memory of one huge document for ever.
	if cap(d.nodes) > 1<<16 {
		d.nodes = nil
	}
	if cap(d.arena) > 4<<20 {
		d.arena = nil
	}
	d.nodes = append(d.nodes[:0], node{kind: kObject, first: none, last: none, next: none, tmpl: none})
	d.arena = d.arena[:0]
	d.conflicts, d.duplicates, d.fallbacks, d.notJSON = 0, 0, 0, 0
}

// newNode appends a detached node.
func (d *doc) newNode(key string, k kind, val string) int32 {
	d.nodes = append(d.nodes, node{key: key, kind: k, val: val, first: none, last: none, next: none, tmpl: none})
	return int32(len(d.nodes) - 1)
}

// link appends child c to parent p.
func (d *doc) link(p, c int32) {
	d.nodes[c].next = none
	if d.nodes[p].last == none {
		d.nodes[p].first = c
	} else {
		d.nodes[d.nodes[p].last].next = c
	}
	d.nodes[p].last = c
}

// find returns p's live child named key.
func (d *doc) find(p int32, key string) int32 {
	for c := d.nodes[p].first; c != none; c = d.nodes[c].next {
		if !d.nodes[c].dead && d.nodes[c].key == key {
			return c
		}
	}
	return none
}

// findUpTo is find among p's children up to and including stop; none when stop is none. Merging
// looks only among the children an object had before, which keeps a merge of many names linear.
func (d *doc) findUpTo(p int32, key string, stop int32) int32 {
	if stop == none {
		return none
	}
	for c := d.nodes[p].first; c != none; c = d.nodes[c].next {
		if !d.nodes[c].dead && d.nodes[c].key == key {
			return c
		}
		if c == stop {
			break
		}
	}
	return none
}

// object returns p's child object named key, creating it when p has no such child; none when
// the name is taken by a value that is not an object.
func (d *doc) object(p int32, key string) int32 {
	c := d.find(p, key)
	if c == none {
		c = d.newNode(key, kObject, "")
		d.link(p, c)
		return c
	}
	d.expand(c)
	if d.nodes[c].kind != kObject {
		return none
	}
	return c
}

// expand turns a kRaw node that stands for a template object back into nodes.
func (d *doc) expand(c int32) {
	t := d.nodes[c].tmpl
	if d.nodes[c].kind != kRaw || t == none {
		return
	}
	d.nodes[c].kind, d.nodes[c].tmpl, d.nodes[c].val = kObject, none, ""
	for tc := d.tmpl.nodes[t].first; tc != none; tc = d.tmpl.nodes[tc].next {
		d.link(c, d.copyFrom(d.tmpl, tc))
	}
}

// copyFrom copies the subtree of src's node s into d and returns its detached root.
func (d *doc) copyFrom(src *doc, s int32) int32 {
	n := src.nodes[s]
	c := d.newNode(n.key, n.kind, n.val)
	d.nodes[c].num = n.num
	for sc := n.first; sc != none; sc = src.nodes[sc].next {
		d.link(c, d.copyFrom(src, sc))
	}
	return c
}

// put places the detached node c under p at the dotted path (split at dots when nest is set),
// creating the objects on the way. A name already taken is a conflict, counted once: where a
// value (not an object) stands on the way, the rest of the path is written flat, as one name
// with its dots, beside it; where the final name is taken, c is left out (the first writer
// wins).
func (d *doc) put(p int32, path string, nest bool, c int32) {
	flat := false
	for nest {
		seg, rest, more := strings.Cut(path, ".")
		if !more || seg == "" || rest == "" {
			break
		}
		o := d.object(p, seg)
		if o == none {
			flat = true
			break
		}
		p, path = o, rest
	}
	if d.find(p, path) != none {
		d.conflicts++
		return
	}
	if flat {
		d.conflicts++
	}
	d.nodes[c].key = path
	d.link(p, c)
}

// merge merges the live children of object s (a detached subtree of d) into object p: a name p
// lacks is added, two objects of one name are merged, and any other clash keeps p's value and
// is counted, when quiet is unset.
func (d *doc) merge(p, s int32, quiet bool) {
	stop := d.nodes[p].last // p's own children: s's names are unique among themselves
	for c := d.nodes[s].first; c != none; {
		next := d.nodes[c].next
		if !d.nodes[c].dead {
			d.mergeOne(p, c, stop, quiet)
		}
		c = next
	}
}

func (d *doc) mergeOne(p, c, stop int32, quiet bool) {
	key := d.nodes[c].key
	e := d.findUpTo(p, key, stop)
	if e == none {
		d.link(p, c)
		return
	}
	d.expand(e)
	d.expand(c)
	if d.nodes[e].kind == kObject && d.nodes[c].kind == kObject {
		d.merge(e, c, quiet)
		return
	}
	if !quiet {
		d.conflicts++
	}
}

// mergeTemplate merges the template's object t into p without counting clashes: defaults give
// way to what the event has. A template object p lacks is added as its rendering, a kRaw that
// expand turns back into nodes if something is merged into it later.
func (d *doc) mergeTemplate(p int32, t int32) {
	stop := d.nodes[p].last
	for tc := d.tmpl.nodes[t].first; tc != none; tc = d.tmpl.nodes[tc].next {
		tn := &d.tmpl.nodes[tc]
		e := d.findUpTo(p, tn.key, stop)
		switch {
		case e == none && tn.kind == kObject:
			c := d.newNode(tn.key, kRaw, tn.val)
			d.nodes[c].tmpl = tc
			d.link(p, c)
		case e == none:
			d.link(p, d.copyFrom(d.tmpl, tc))
		case tn.kind == kObject:
			d.expand(e)
			if d.nodes[e].kind == kObject {
				d.mergeTemplate(e, tc)
			}
		}
	}
}

// dedupe marks all but the last of the children of object o that share a name (the last one
// wins, as in most JSON readers), counting them.
func (d *doc) dedupe(o int32, n int) {
	if n < 2 {
		return
	}
	if n <= 8 {
		for a := d.nodes[o].first; a != none; a = d.nodes[a].next {
			for b := d.nodes[a].next; b != none; b = d.nodes[b].next {
				if d.nodes[b].key == d.nodes[a].key {
					d.nodes[a].dead = true
					d.duplicates++
					break
				}
			}
		}
		return
	}
	idx := d.idx[:0]
	for c := d.nodes[o].first; c != none; c = d.nodes[c].next {
		idx = append(idx, c)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if c := strings.Compare(d.nodes[a].key, d.nodes[b].key); c != 0 {
			return c
		}
		return int(a - b)
	})
	for i := 0; i+1 < len(idx); i++ {
		if d.nodes[idx[i]].key == d.nodes[idx[i+1]].key {
			d.nodes[idx[i]].dead = true
			d.duplicates++
		}
	}
	d.idx = idx[:0]
}

// appendTo writes node i as JSON. prog, when compiling, records where the slots go.
func (d *doc) appendTo(dst []byte, i int32, clk *clock, prog *program) []byte {
	n := &d.nodes[i]
	switch n.kind {
	case kObject:
		dst = append(dst, '{')
		first := true
		for c := n.first; c != none; c = d.nodes[c].next {
			if d.nodes[c].dead {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendString(dst, d.nodes[c].key)
			dst = append(dst, ':')
			dst = d.appendTo(dst, c, clk, prog)
		}
		return append(dst, '}')
	case kArray:
		dst = append(dst, '[')
		for c := n.first; c != none; c = d.nodes[c].next {
			if c != n.first {
				dst = append(dst, ',')
			}
			dst = d.appendTo(dst, c, clk, prog)
		}
		return append(dst, ']')
	case kString:
		return appendString(dst, n.val)
	case kRaw:
		return append(dst, n.val...)
	case kTyped:
		var fell bool
		dst, fell = appendValue(dst, n.val, n.typ)
		if fell {
			d.fallbacks++
		}
		return dst
	case kSlot:
		return prog.mark(dst, n.num, n.typ)
	case kTime:
		dst = append(dst, '"')
		dst = clk.appendTime(dst, n.num)
		return append(dst, '"')
	}
	return dst
}
