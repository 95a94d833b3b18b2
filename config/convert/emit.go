package convert

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// This file writes HCL: values, attributes, blocks and comments, rendered as text and then
// aligned by hclwrite.Format.

// value is an HCL expression.
type value interface{ hcl() string }

// piece is part of a Flume string: literal text, or a reference to an environment variable
// (${env:X}, or ${f['X']} through an env config filter).
type piece struct {
	lit string
	env string // set for an environment reference
}

// tmpl is a Flume string value with its environment references found.
type tmpl []piece

func (t tmpl) hasEnv() bool {
	for _, p := range t {
		if p.env != "" {
			return true
		}
	}
	return false
}

// literal returns the text of a template without environment references.
func (t tmpl) literal() string {
	var b strings.Builder
	for _, p := range t {
		b.WriteString(p.lit)
	}
	return b.String()
}

func (t tmpl) hcl() string {
	if len(t) == 1 && t[0].env != "" {
		return fmt.Sprintf("env(%q)", t[0].env)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, p := range t {
		if p.env != "" {
			fmt.Fprintf(&b, "${env(%q)}", p.env)
			continue
		}
		b.WriteString(escapeHCL(p.lit))
	}
	b.WriteByte('"')
	return b.String()
}

// withSuffix appends literal text (a unit) to a template.
func (t tmpl) withSuffix(s string) tmpl {
	out := append(tmpl{}, t...)
	return append(out, piece{lit: s})
}

// str is a plain string value.
func str(s string) tmpl { return tmpl{{lit: s}} }

// escapeHCL escapes s for the inside of an HCL quoted template: backslashes, quotes and control
// characters, and the template introducers ${ and %{, which become $${ and %%{ — so Flume's
// header escape %{host} is written %%{host}.
func escapeHCL(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '"':
			b.WriteString(`\"`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, c)
		case (c == '$' || c == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte(c)
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

type intVal int64

func (v intVal) hcl() string { return strconv.FormatInt(int64(v), 10) }

type floatVal float64

func (v floatVal) hcl() string { return strconv.FormatFloat(float64(v), 'g', -1, 64) }

type boolVal bool

func (v boolVal) hcl() string { return strconv.FormatBool(bool(v)) }

// durVal is a duration, written as a string with the largest unit that divides it ("30s", "2m",
// "1500ms").
type durVal time.Duration

func (v durVal) hcl() string { return strconv.Quote(formatDuration(time.Duration(v))) }

func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	default:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	}
}

// sizeVal is a number of bytes, written with a binary unit when one divides it exactly.
type sizeVal int64

func (v sizeVal) hcl() string {
	for _, u := range []struct {
		name string
		n    int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v != 0 && int64(v)%u.n == 0 {
			return strconv.Quote(fmt.Sprintf("%d%s", int64(v)/u.n, u.name))
		}
	}
	return strconv.FormatInt(int64(v), 10)
}

type listVal []value

func (v listVal) hcl() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.hcl()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func strList(names []string) listVal {
	out := make(listVal, len(names))
	for i, n := range names {
		out[i] = str(n)
	}
	return out
}

// objVal is an object whose keys keep their order.
type objVal struct {
	keys []string
	vals []value
}

func (v *objVal) set(k string, val value) {
	for i, have := range v.keys {
		if have == k {
			v.vals[i] = val
			return
		}
	}
	v.keys = append(v.keys, k)
	v.vals = append(v.vals, val)
}

func (v *objVal) hcl() string {
	if len(v.keys) == 0 {
		return "{}"
	}
	parts := make([]string, len(v.keys))
	for i, k := range v.keys {
		parts[i] = objKey(k) + " = " + v.vals[i].hcl()
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// objKey writes an object key bare when it is an identifier, quoted otherwise.
func objKey(k string) string {
	if hclsyntax.ValidIdentifier(k) {
		return k
	}
	return `"` + escapeHCL(k) + `"`
}

// node is an item of a block body: *attr, *block or comment.
type node interface {
	render(b *strings.Builder, indent string)
}

type attr struct {
	name string
	val  value
}

func (a *attr) render(b *strings.Builder, indent string) {
	fmt.Fprintf(b, "%s%s = %s\n", indent, a.name, a.val.hcl())
}

// comment is one or more comment lines.
type comment []string

func (c comment) render(b *strings.Builder, indent string) {
	for _, line := range c {
		for _, l := range strings.Split(line, "\n") {
			if l == "" {
				fmt.Fprintf(b, "%s#\n", indent)
				continue
			}
			for i, w := range wrap(l, 100-len(indent)) {
				if i > 0 {
					w = "  " + w
				}
				fmt.Fprintf(b, "%s# %s\n", indent, w)
			}
		}
	}
}

// wrap cuts a note into lines of at most width bytes at spaces; lines that start with a space
// (commented-out HCL) are kept whole.
func wrap(s string, width int) []string {
	if len(s) <= width || strings.HasPrefix(s, " ") {
		return []string{s}
	}
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			out = append(out, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(out, line)
}

type block struct {
	typ    string
	labels []string
	notes  comment // rendered first: what the converter has to say about this block
	lines  []int   // the line of each note, to keep them in file order
	items  []node
}

// addNote writes a note at the top of the block, in the order of the Flume lines.
func (bl *block) addNote(n Note) {
	i := len(bl.lines)
	for i > 0 && bl.lines[i-1] > n.Line {
		i--
	}
	bl.lines = append(bl.lines[:i], append([]int{n.Line}, bl.lines[i:]...)...)
	bl.notes = append(bl.notes[:i], append(comment{noteComment(n)}, bl.notes[i:]...)...)
}

func newBlock(typ string, labels ...string) *block { return &block{typ: typ, labels: labels} }

func (bl *block) set(name string, v value) *attr {
	a := &attr{name: name, val: v}
	bl.items = append(bl.items, a)
	return a
}

func (bl *block) add(n node) { bl.items = append(bl.items, n) }

// insertAttr adds an attribute after the other attributes, before the first nested block.
func (bl *block) insertAttr(name string, v value) {
	i := len(bl.items)
	for j, n := range bl.items {
		if _, ok := n.(*block); ok {
			i = j
			break
		}
	}
	bl.items = append(bl.items[:i], append([]node{&attr{name: name, val: v}}, bl.items[i:]...)...)
}

// attr returns the block's attribute called name, or nil.
func (bl *block) attr(name string) *attr {
	for _, n := range bl.items {
		if a, ok := n.(*attr); ok && a.name == name {
			return a
		}
	}
	return nil
}

func (bl *block) header() string {
	var b strings.Builder
	b.WriteString(bl.typ)
	for _, l := range bl.labels {
		b.WriteString(` "` + escapeHCL(l) + `"`)
	}
	return b.String()
}

func (bl *block) render(b *strings.Builder, indent string) {
	if len(bl.items) == 0 && len(bl.notes) == 0 {
		fmt.Fprintf(b, "%s%s {}\n", indent, bl.header())
		return
	}
	fmt.Fprintf(b, "%s%s {\n", indent, bl.header())
	bl.notes.render(b, indent+"  ")
	for _, n := range bl.items {
		n.render(b, indent+"  ")
	}
	fmt.Fprintf(b, "%s}\n", indent)
}

// commentedOut renders bl as comment lines, for a suggestion the operator completes.
func commentedOut(bl *block) comment {
	var b strings.Builder
	bl.render(&b, "")
	return comment(strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n"))
}

// format aligns the rendered text as `hcl fmt` would.
func format(src string) []byte { return hclwrite.Format([]byte(src)) }
