// Package jsonfields turns a JSON object into event headers, the one implementation behind the
// json interceptor and the http source's ndjson and json handlers.
//
// Names and values:
//   - nested objects are flattened with dots: {"http":{"status":200}} gives http.status=200;
//   - strings are unquoted (escapes decoded; invalid UTF-8 and lone surrogates become U+FFFD,
//     as encoding/json does);
//   - numbers, true, false and null are their JSON text ("200", "1.5e3", "true", "null");
//   - arrays are their JSON text, compacted ([1,"a"]), and so is an empty object ({});
//   - an object at MaxDepth segments is kept as its compacted JSON text (Doc.Truncated);
//   - a name given twice (a key repeated, or {"a":{"b":1},"a.b":2}) keeps its last value, as
//     encoding/json and Filebeat do; two objects under one repeated key are merged name by name
//     ({"a":{"x":1},"a":{"y":2}} gives a.x and a.y, where encoding/json keeps only the last).
//
// The whole document is checked before anything is applied: anything that is not exactly one
// JSON object (an array, a bare string, trailing data after the object, a control character in
// a string, nesting deeper than MaxNesting) is a *SyntaxError and no header is set. A UTF-8 byte
// order mark and whitespace around the object are allowed.
//
// Parsing is a hand-written scanner over the bytes, its tokens read by internal/jsonlex (the
// lexer the serializer and taildir share): no reflection and no map[string]any. A Doc is reused
// through a pool, names are interned, and all values of one document share one string, so a
// parse costs about one allocation for the values plus the header map's growth.
package jsonfields

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/jsonlex"
)

// MaxNesting bounds how deep objects and arrays may nest in a document (encoding/json's bound is
// 10000); a deeper document is a syntax error, so a hostile line cannot make the parser's work
// or memory grow beyond its length.
const MaxNesting = 1000

// DefaultMaxDepth is the default of Options.MaxDepth.
const DefaultMaxDepth = 10

// Options say which fields become headers and how they are named.
type Options struct {
	// Fields are the paths to keep, each a top-level field ("level") or a dotted path into
	// nested objects ("http.status"); a kept object is flattened whole. Empty keeps every field.
	Fields []string
	// Prefix is prepended to every name ("json." for a target of "json").
	Prefix string
	// MaxDepth is the most segments a name has; an object found at that depth is kept as its
	// JSON text. At least 1.
	MaxDepth int
	// MessageKey is a top-level field taken as the message (Doc.AppendMessage) rather than as a
	// header, unless Fields names it too. Empty: none.
	MessageKey string
}

// Validate checks the options; errors point at the config attributes "fields" and "max_depth".
func (o *Options) Validate() error {
	var errs []error
	if o.MaxDepth < 1 || o.MaxDepth > 100 {
		errs = append(errs, schema.Errorf("max_depth", "must be 1-100, got %d", o.MaxDepth))
	}
	for _, f := range o.Fields {
		if f == "" || strings.HasPrefix(f, ".") || strings.HasSuffix(f, ".") || strings.Contains(f, "..") {
			errs = append(errs, schema.Errorf("fields", "%q is not a field name or a dotted path such as \"http.status\"", f))
			continue
		}
		if n := strings.Count(f, ".") + 1; n > o.MaxDepth {
			errs = append(errs, schema.Errorf("fields", "%q has %d segments, more than max_depth (%d): it could never be found", f, n, o.MaxDepth))
		}
	}
	return errors.Join(errs...)
}

// SyntaxError is a document that is not one JSON object.
type SyntaxError struct {
	Msg    string
	Offset int // byte offset in the document where the problem was found
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.Msg, e.Offset) }

// path states in Flattener.paths.
const (
	keep    = 1 << iota // the path was asked for: keep it and everything under it
	descend             // a path under this one was asked for
)

// Flattener applies one set of Options. It is safe for concurrent use.
type Flattener struct {
	opts  Options
	all   bool             // no Fields: keep everything
	paths map[string]uint8 // field path → keep|descend
	pool  sync.Pool        // of *Doc
}

// New returns a Flattener for valid options (see Options.Validate).
func New(o Options) *Flattener {
	f := &Flattener{opts: o, all: len(o.Fields) == 0, paths: map[string]uint8{}}
	f.opts.Fields = append([]string(nil), o.Fields...)
	for _, p := range o.Fields {
		f.paths[p] |= keep
		for i := range len(p) {
			if p[i] == '.' {
				f.paths[p[:i]] |= descend
			}
		}
	}
	return f
}

// Doc returns a document parser from the pool; Release it when done. A Doc is for one goroutine.
func (f *Flattener) Doc() *Doc {
	if d, ok := f.pool.Get().(*Doc); ok {
		return d
	}
	return &Doc{f: f, intern: map[string]string{}}
}

// Doc holds one parsed document's headers and message until the next Parse.
type Doc struct {
	f     *Flattener
	data  []byte
	pos   int
	nest  int    // containers open at pos
	path  []byte // the current field's path, without the prefix
	name  []byte // scratch: prefix + path
	vals  []byte // every value's text, back to back
	pairs []pair
	stack []byte // skip's open containers

	msgStart, msgEnd int  // the message value's span in data
	msgString        bool // the message is a JSON string
	hasMsg           bool
	truncated        bool

	intern map[string]string // names already made into strings
}

type pair struct {
	name       string
	start, end int // in vals
	skip       bool
}

// Buffers larger than this are not kept in the pool, so one huge line does not pin memory.
const maxPooled = 64 << 10

// maxInterned bounds the interned names of a Doc; documents whose keys are ever new (ids as
// keys) clear the table instead of growing it.
const maxInterned = 4096

// Release returns d to its Flattener's pool; d must not be used afterwards.
func (d *Doc) Release() {
	d.data = nil
	d.pairs = d.pairs[:0]
	if cap(d.vals) > maxPooled {
		d.vals = nil
	}
	if cap(d.stack) > maxPooled {
		d.stack = nil
	}
	d.f.pool.Put(d)
}

// Parse reads data, which must stay unchanged until d's results have been used. On error the
// Doc holds no headers and no message.
func (d *Doc) Parse(data []byte) error {
	d.data, d.pos, d.nest = data, 0, 0
	d.vals, d.pairs, d.path = d.vals[:0], d.pairs[:0], d.path[:0]
	d.hasMsg, d.truncated = false, false
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		d.pos = 3
	}
	d.ws()
	if d.pos == len(data) {
		return d.syntax("empty document: want a JSON object")
	}
	if data[d.pos] != '{' {
		return d.syntax("not a JSON object")
	}
	err := d.object(0, 1, d.f.all)
	if err == nil {
		d.ws()
		if d.pos < len(data) {
			err = d.syntax("data after the JSON object")
		}
	}
	if err != nil {
		d.pairs, d.hasMsg, d.truncated = d.pairs[:0], false, false
		return err
	}
	return nil
}

func (d *Doc) syntax(msg string) error { return &SyntaxError{Msg: msg, Offset: d.pos} }

// Len is the number of headers the document gives.
func (d *Doc) Len() int { return len(d.pairs) }

// Truncated reports whether an object was kept as JSON text because of MaxDepth.
func (d *Doc) Truncated() bool { return d.truncated }

// HasMessage reports whether the document holds MessageKey.
func (d *Doc) HasMessage() bool { return d.hasMsg }

// AppendMessage appends the message's text to dst: a string unquoted, any other value as its
// compacted JSON text. It appends nothing when the document has no message.
func (d *Doc) AppendMessage(dst []byte) []byte {
	if !d.hasMsg {
		return dst
	}
	if d.msgString {
		d.pos = d.msgStart
		dst, _ = d.appendString(dst) // checked by Parse
		return dst
	}
	return appendCompact(dst, d.data[d.msgStart:d.msgEnd])
}

// SetHeaders sets the document's headers on e. Without overwrite, a header e already had keeps
// its value; names repeated within the document keep their last value either way. All values
// share one string: one allocation per document.
func (d *Doc) SetHeaders(e *channel.Event, overwrite bool) {
	if len(d.pairs) == 0 {
		return
	}
	// Decide before writing anything, so a name repeated in the document is not taken for one
	// the event had.
	for i := range d.pairs {
		d.pairs[i].skip = false
		if !overwrite {
			_, d.pairs[i].skip = e.Headers[d.pairs[i].name]
		}
	}
	all := string(d.vals)
	if e.Headers == nil {
		e.Headers = make(map[string]string, len(d.pairs))
	}
	for _, p := range d.pairs {
		if !p.skip {
			e.Headers[p.name] = all[p.start:p.end]
		}
	}
}

// object reads an object at d.pos whose path is d.path[:pathLen] and whose members have depth
// segments; keepAll says the object was asked for whole.
func (d *Doc) object(pathLen, depth int, keepAll bool) error {
	if d.nest++; d.nest > MaxNesting {
		return d.syntax(fmt.Sprintf("nested deeper than %d", MaxNesting))
	}
	d.pos++ // '{'
	d.ws()
	if d.peek() == '}' {
		d.pos++
		d.nest--
		if pathLen > 0 && keepAll {
			d.emitText(pathLen, "{}")
		}
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.syntax("want a string key")
		}
		d.path = d.path[:pathLen]
		if pathLen > 0 {
			d.path = append(d.path, '.')
		}
		var err error
		if d.path, err = d.appendString(d.path); err != nil {
			return err
		}
		d.ws()
		if d.peek() != ':' {
			return d.syntax("want ':' after a key")
		}
		d.pos++
		d.ws()
		keyLen := len(d.path)
		state := uint8(keep)
		if !keepAll {
			state = d.f.paths[string(d.path)]
		}
		isMsg := pathLen == 0 && d.f.opts.MessageKey != "" && string(d.path) == d.f.opts.MessageKey
		if isMsg {
			d.hasMsg, d.msgStart, d.msgString = true, d.pos, d.peek() == '"'
			if d.f.all {
				state = 0 // the message is the body; a header too only when Fields names it
			}
		}
		switch {
		case state&keep != 0:
			err = d.value(keyLen, depth)
		case state&descend != 0 && d.peek() == '{' && depth < d.f.opts.MaxDepth:
			err = d.object(keyLen, depth+1, false)
		default:
			err = d.skip()
		}
		if err != nil {
			return err
		}
		if isMsg {
			d.msgEnd = d.pos
		}
		d.ws()
		switch d.peek() {
		case ',':
			d.pos++
			d.ws()
		case '}':
			d.pos++
			d.nest--
			return nil
		default:
			return d.syntax("want ',' or '}' after an object member")
		}
	}
}

// value reads a kept value at d.pos whose path is d.path[:pathLen] and emits it.
func (d *Doc) value(pathLen, depth int) error {
	start := len(d.vals)
	switch d.peek() {
	case '"':
		var err error
		if d.vals, err = d.appendString(d.vals); err != nil {
			return err
		}
	case '{':
		if depth < d.f.opts.MaxDepth {
			return d.object(pathLen, depth+1, true)
		}
		d.truncated = true
		fallthrough
	case '[':
		from := d.pos
		if err := d.skip(); err != nil {
			return err
		}
		d.vals = appendCompact(d.vals, d.data[from:d.pos])
	default:
		from := d.pos
		if err := d.skip(); err != nil {
			return err
		}
		d.vals = append(d.vals, d.data[from:d.pos]...)
	}
	d.emit(pathLen, start)
	return nil
}

// emitText emits a fixed value for the path d.path[:pathLen].
func (d *Doc) emitText(pathLen int, text string) {
	start := len(d.vals)
	d.vals = append(d.vals, text...)
	d.emit(pathLen, start)
}

// emit records the header named prefix + d.path[:pathLen] whose value is d.vals[start:].
func (d *Doc) emit(pathLen, start int) {
	d.name = append(append(d.name[:0], d.f.opts.Prefix...), d.path[:pathLen]...)
	name, ok := d.intern[string(d.name)]
	if !ok {
		if len(d.intern) >= maxInterned {
			clear(d.intern)
		}
		name = string(d.name)
		d.intern[name] = name
	}
	d.pairs = append(d.pairs, pair{name: name, start: start, end: len(d.vals)})
}

func (d *Doc) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

func (d *Doc) ws() { d.pos = jsonlex.Space(d.data, d.pos) }

// appendString decodes the string at d.pos into dst and moves past it.
func (d *Doc) appendString(dst []byte) ([]byte, error) {
	dst, end, f := jsonlex.AppendString(dst, d.data, d.pos+1)
	return dst, d.token(end, f)
}

// skip checks the value at d.pos and moves past it, without recursion: open containers are kept
// on d.stack, bounded by MaxNesting.
func (d *Doc) skip() error {
	stack := d.stack[:0]
	defer func() { d.stack = stack }()
	for {
		// A value.
		d.ws()
		switch c := d.peek(); {
		case c == '{' || c == '[':
			if d.nest+len(stack)+1 > MaxNesting {
				return d.syntax(fmt.Sprintf("nested deeper than %d", MaxNesting))
			}
			stack = append(stack, c)
			d.pos++
			d.ws()
			if d.peek() == c+2 { // '}' is '{'+2, ']' is '['+2
				d.pos++
				stack = stack[:len(stack)-1]
				break
			}
			if c == '{' {
				if err := d.key(); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			if err := d.skipString(); err != nil {
				return err
			}
		case c == 't' || c == 'f' || c == 'n':
			if err := d.token(jsonlex.Literal(d.data, d.pos)); err != nil {
				return err
			}
		case c == '-' || ('0' <= c && c <= '9'):
			if err := d.token(jsonlex.Number(d.data, d.pos)); err != nil {
				return err
			}
		case d.pos == len(d.data):
			return d.syntax("unexpected end of the document")
		default:
			return d.syntax(fmt.Sprintf("invalid character %q looking for a value", c))
		}
		// After a value: close containers, or go on to the next element.
		for {
			if len(stack) == 0 {
				return nil
			}
			d.ws()
			top, c := stack[len(stack)-1], d.peek()
			if c == top+2 {
				d.pos++
				stack = stack[:len(stack)-1]
				continue
			}
			if c != ',' {
				if top == '{' {
					return d.syntax("want ',' or '}' after an object member")
				}
				return d.syntax("want ',' or ']' after an array element")
			}
			d.pos++
			if top == '{' {
				d.ws()
				if err := d.key(); err != nil {
					return err
				}
			}
			break
		}
	}
}

// key checks `"name" :` at d.pos inside a skipped object.
func (d *Doc) key() error {
	if d.peek() != '"' {
		return d.syntax("want a string key")
	}
	if err := d.skipString(); err != nil {
		return err
	}
	d.ws()
	if d.peek() != ':' {
		return d.syntax("want ':' after a key")
	}
	d.pos++
	return nil
}

// skipString checks the string at d.pos and moves past it.
func (d *Doc) skipString() error { return d.token(jsonlex.SkipString(d.data, d.pos+1)) }

// token moves to end, the end of a token the lexer read at d.pos or where it found f, and
// returns f as a syntax error there.
func (d *Doc) token(end int, f jsonlex.Fault) error {
	d.pos = end
	if f != jsonlex.None {
		return d.syntax(f.String())
	}
	return nil
}

// appendCompact appends raw, a checked JSON value, without the whitespace between tokens and
// with invalid UTF-8 in its strings replaced by U+FFFD, so the text is valid JSON.
func appendCompact(dst, raw []byte) []byte {
	inString := false
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case inString && c == '\\':
			dst = append(dst, c, raw[i+1])
			i += 2
			continue
		case inString && c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, "\uFFFD"...)
			} else {
				dst = append(dst, raw[i:i+size]...)
			}
			i += size
			continue
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			i++
			continue
		}
		dst = append(dst, c)
		i++
	}
	return dst
}
