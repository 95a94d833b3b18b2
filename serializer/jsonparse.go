package serializer

import (
	"unicode/utf16"
	"unicode/utf8"
)

// parseJSON parses s, which must be one JSON value (RFC 8259) with nothing but white space
// around it and no object or array nested deeper than maxDepth, into a detached subtree of d.
// Strings are decoded (a \u escape of a lone surrogate becomes U+FFFD) and written again on
// output, so what comes out is valid whatever came in; duplicate names keep the last value.
// On failure d is as it was, ok is false and the error says where s stopped being JSON.
func (d *doc) parseJSON(s string, maxDepth int) (root int32, ok bool) {
	nodes, arena, dups := len(d.nodes), len(d.arena), d.duplicates
	p := parser{d: d, s: s, max: maxDepth}
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
	i    int
	max  int
	deep bool // stopped at max
}

func (p *parser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value parses the value at p.i into a detached node; none on a syntax error.
func (p *parser) value(depth int) int32 {
	if p.i >= len(p.s) {
		return none
	}
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
		end := numberEnd(p.s, p.i)
		if end < 0 {
			return none
		}
		n := p.d.newNode("", kRaw, p.s[p.i:end])
		p.i = end
		return n
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(p.s)-p.i >= len(lit) && p.s[p.i:p.i+len(lit)] == lit {
				n := p.d.newNode("", kRaw, lit)
				p.i += len(lit)
				return n
			}
		}
		return none
	}
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
// when it has no escapes, else decoded into the arena. Raw control characters are a syntax
// error; invalid UTF-8 is kept, for appendString to replace.
func (p *parser) str() (string, bool) {
	p.i++ // "
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			v := p.s[start:p.i]
			p.i++
			return v, true
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}

// escaped decodes the rest of a string that has escapes into the arena, from p.i (the first
// backslash); start is where the string's text began.
func (p *parser) escaped(start int) (string, bool) {
	d := p.d
	from := len(d.arena)
	d.arena = append(d.arena, p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return bytesString(d.arena[from:len(d.arena):len(d.arena)]), true
		case c < 0x20:
			return "", false
		case c != '\\':
			d.arena = append(d.arena, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", false
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			d.arena = append(d.arena, e)
		case 'b':
			d.arena = append(d.arena, '\b')
		case 'f':
			d.arena = append(d.arena, '\f')
		case 'n':
			d.arena = append(d.arena, '\n')
		case 'r':
			d.arena = append(d.arena, '\r')
		case 't':
			d.arena = append(d.arena, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if len(p.s)-p.i >= 6 && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					lo, ok := p.hex4()
					if !ok {
						return "", false
					}
					if r2 = utf16.DecodeRune(r, lo); r2 == utf8.RuneError {
						p.i = save // not a pair: the next escape stands alone
					}
				}
				r = r2
			}
			d.arena = utf8.AppendRune(d.arena, r)
		default:
			return "", false
		}
	}
	return "", false
}

func (p *parser) hex4() (rune, bool) {
	if len(p.s)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(p.s[p.i : p.i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	p.i += 4
	return r, true
}
