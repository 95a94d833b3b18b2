package serializer

import "github.com/flumego/flumego/internal/jsonlex"

// parseJSON parses s, which must be one JSON value (RFC 8259) with nothing but white space
// around it and no object or array nested deeper than maxDepth, into a detached subtree of d.
// Its tokens are read by internal/jsonlex; strings are decoded (a \u escape of a lone surrogate
// becomes U+FFFD) and written again on output, so what comes out is valid whatever came in;
// duplicate names keep the last value.
// On failure d is as it was, ok is false and the error says where s stopped being JSON.
func (d *doc) parseJSON(s string, maxDepth int) (root int32, ok bool) {
	nodes, arena, dups := len(d.nodes), len(d.arena), d.duplicates
	p := parser{d: d, s: s, b: stringBytes(s), max: maxDepth}
	p.space()
	root = p.value(0)
	p.space()
	if root == none || p.i != len(s) {
		d.nodes, d.arena, d.duplicates = d.nodes[:nodes], d.arena[:arena], dups
		d.parseAt, d.tooDeep = p.i, p.deep
		return none, false
	}
	return root, true
}

type parser struct {
	d    *doc
	s    string
	b    []byte // s, as the lexer reads it
	i    int
	max  int
	deep bool // stopped at max
}

func (p *parser) space() { p.i = jsonlex.Space(p.b, p.i) }

// value parses the value at p.i into a detached node; none on a syntax error.
func (p *parser) value(depth int) int32 {
	if p.i >= len(p.s) {
		return none
	}
	var end int
	var f jsonlex.Fault
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		v, ok := p.str()
		if !ok {
			return none
		}
		return p.d.newNode("", kString, v)
	case c == '-' || c >= '0' && c <= '9':
		end, f = jsonlex.Number(p.b, p.i)
	default:
		end, f = jsonlex.Literal(p.b, p.i)
	}
	if f != jsonlex.None {
		p.i = end
		return none
	}
	n := p.d.newNode("", kRaw, p.s[p.i:end])
	p.i = end
	return n
}
func (p *parser) object(depth int) int32 {
	if depth > p.max {
		p.deep = true
		return none
	}
	o := p.d.newNode("", kObject, "")
	p.i++ // {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return o
	}
	n := 0
	for {
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return none
		}
		key, ok := p.str()
		if !ok {
			return none
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return none
		}
		p.i++
		p.space()
		v := p.value(depth)
		if v == none {
			return none
		}
		p.d.nodes[v].key = key
		p.d.link(o, v)
		n++
		p.space()
		if p.i >= len(p.s) {
			return none
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.space()
		case '}':
			p.i++
			p.d.dedupe(o, n)
			return o
		default:
			return none
		}
	}
}

func (p *parser) array(depth int) int32 {
	if depth > p.max {
		p.deep = true
		return none
	}
	a := p.d.newNode("", kArray, "")
	p.i++ // [
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return a
	}
	for {
		v := p.value(depth)
		if v == none {
			return none
		}
		p.d.link(a, v)
		p.space()
		if p.i >= len(p.s) {
			return none
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.space()
		case ']':
			p.i++
			return a
		default:
			return none
		}
	}
}

// str parses the string at p.i (its opening quote) and returns its text: a piece of the input
// when it has no escapes (invalid UTF-8 kept, for appendString to replace), else decoded into
// the arena. Raw control characters are a syntax error.
func (p *parser) str() (string, bool) {
	start := p.i + 1
	if end := jsonlex.PlainEnd(p.b, start); end < len(p.s) && p.s[end] == '"' {
		p.i = end + 1
		return p.s[start:end], true
	}
	d := p.d
	from := len(d.arena)
	var f jsonlex.Fault
	if d.arena, p.i, f = jsonlex.AppendString(d.arena, p.b, start); f != jsonlex.None {
		return "", false
	}
	return bytesString(d.arena[from:len(d.arena):len(d.arena)]), true
}
