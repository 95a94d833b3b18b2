package flume

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// This file writes HCL: values, attributes, blocks and comments, rendered as text and then
// aligned by hclwrite.Format (Format).

// Value is an HCL expression.
type Value interface{ HCL() string }

// Piece is part of a Flume string: literal text, or a reference to an environment variable.
type Piece struct {
	Lit string
	Env string // set for an environment reference
	// Default, when HasDefault, is the value used while Env is not set (Filebeat's
	// ${NAME:default}).
	Default    string
	HasDefault bool
}

func (p Piece) call() string {
	if p.HasDefault {
		return fmt.Sprintf("env(%q, %q)", p.Env, p.Default)
	}
	return fmt.Sprintf("env(%q)", p.Env)
}

// Template is a Flume string value with its environment references found.
type Template []Piece

// HasEnv reports whether the template reads the environment.
func (t Template) HasEnv() bool {
	for _, p := range t {
		if p.Env != "" {
			return true
		}
	}
	return false
}

// Literal returns the text of a template without its environment references.
func (t Template) Literal() string {
	var b strings.Builder
	for _, p := range t {
		b.WriteString(p.Lit)
	}
	return b.String()
}

// HCL writes the template as a quoted string, or as env("X") when it is only a reference.
func (t Template) HCL() string {
	if len(t) == 1 && t[0].Env != "" {
		return t[0].call()
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, p := range t {
		if p.Env != "" {
			fmt.Fprintf(&b, "${%s}", p.call())
			continue
		}
		b.WriteString(EscapeHCL(p.Lit))
	}
	b.WriteByte('"')
	return b.String()
}

// WithSuffix appends literal text (a unit) to a template.
func (t Template) WithSuffix(s string) Template {
	out := append(Template{}, t...)
	return append(out, Piece{Lit: s})
}

// String is a plain string value.
func String(s string) Template { return Template{{Lit: s}} }

// EscapeHCL escapes s for the inside of an HCL quoted template: backslashes, quotes and control
// characters, and the template introducers ${ and %{, which become $${ and %%{ — so Flume's
// header escape %{host} is written %%{host}.
func EscapeHCL(s string) string {
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

// Int is a whole number.
type Int int64

// HCL writes the number.
func (v Int) HCL() string { return strconv.FormatInt(int64(v), 10) }

// Float is a number.
type Float float64

// HCL writes the number.
func (v Float) HCL() string { return strconv.FormatFloat(float64(v), 'g', -1, 64) }

// Bool is true or false.
type Bool bool

// HCL writes true or false.
func (v Bool) HCL() string { return strconv.FormatBool(bool(v)) }

// Duration is written as a string with the largest unit that divides it ("30s", "2m", "1500ms").
type Duration time.Duration

// HCL writes the duration as a quoted string.
func (v Duration) HCL() string { return strconv.Quote(FormatDuration(time.Duration(v))) }

// FormatDuration writes d with the largest unit that divides it.
func FormatDuration(d time.Duration) string {
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

// Size is a number of bytes, written with a binary unit when one divides it exactly.
type Size int64

// HCL writes the size.
func (v Size) HCL() string {
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

// List is a list of values.
type List []Value

// HCL writes the list on one line.
func (v List) HCL() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.HCL()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Strings is a list of plain strings.
func Strings(names []string) List {
	out := make(List, len(names))
	for i, n := range names {
		out[i] = String(n)
	}
	return out
}

// Object is an object whose keys keep their order.
type Object struct {
	keys []string
	vals []Value
}

// Set sets key to val, in place when the key is there already.
func (v *Object) Set(k string, val Value) {
	for i, have := range v.keys {
		if have == k {
			v.vals[i] = val
			return
		}
	}
	v.keys = append(v.keys, k)
	v.vals = append(v.vals, val)
}

// Len is the number of keys.
func (v *Object) Len() int { return len(v.keys) }

// Keys returns the keys in order.
func (v *Object) Keys() []string { return v.keys }

// Get returns the value of a key, nil when it has none.
func (v *Object) Get(k string) Value {
	for i, have := range v.keys {
		if have == k {
			return v.vals[i]
		}
	}
	return nil
}

// HCL writes the object on one line.
func (v *Object) HCL() string {
	if len(v.keys) == 0 {
		return "{}"
	}
	parts := make([]string, len(v.keys))
	for i, k := range v.keys {
		parts[i] = objKey(k) + " = " + v.vals[i].HCL()
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// objKey writes an object key bare when it is an identifier, quoted otherwise.
func objKey(k string) string {
	if hclsyntax.ValidIdentifier(k) {
		return k
	}
	return `"` + EscapeHCL(k) + `"`
}

// Raw is an expression written as is (a heredoc in a commented-out skeleton).
type Raw string

// HCL returns the expression.
func (v Raw) HCL() string { return string(v) }

// Node is an item of a block body: *Attr, *Block, Comment or Blank.
type Node interface {
	Render(b *strings.Builder, indent string)
}

// Attr is an attribute, with an optional comment after it on its line.
type Attr struct {
	Name    string
	Val     Value
	Comment string
}

// Render writes the attribute.
func (a *Attr) Render(b *strings.Builder, indent string) {
	fmt.Fprintf(b, "%s%s = %s", indent, a.Name, a.Val.HCL())
	if a.Comment != "" {
		fmt.Fprintf(b, " # %s", a.Comment)
	}
	b.WriteByte('\n')
}

// Comment is one or more comment lines.
type Comment []string

// Render writes each line as "# ...", wrapping long lines.
func (c Comment) Render(b *strings.Builder, indent string) {
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

// Blank is an empty line between components.
type Blank struct{}

// Render writes an empty line.
func (Blank) Render(b *strings.Builder, _ string) { b.WriteString("\n") }

// Block is an HCL block with the converter's notes about it.
type Block struct {
	Type   string
	Labels []string
	// Notes are rendered first: what the converter has to say about this block, in the order
	// of the Flume lines (Lines).
	Notes Comment
	Lines []int
	Items []Node
}

// NewBlock returns an empty block.
func NewBlock(typ string, labels ...string) *Block { return &Block{Type: typ, Labels: labels} }

// AddNote writes a note at the top of the block, in the order of the Flume lines.
func (bl *Block) AddNote(n Note) {
	i := len(bl.Lines)
	for i > 0 && bl.Lines[i-1] > n.Line {
		i--
	}
	bl.Lines = append(bl.Lines[:i], append([]int{n.Line}, bl.Lines[i:]...)...)
	bl.Notes = append(bl.Notes[:i], append(Comment{n.Comment()}, bl.Notes[i:]...)...)
}

// Set appends an attribute.
func (bl *Block) Set(name string, v Value) *Attr {
	a := &Attr{Name: name, Val: v}
	bl.Items = append(bl.Items, a)
	return a
}

// Add appends a node.
func (bl *Block) Add(n Node) { bl.Items = append(bl.Items, n) }

// InsertAttr adds an attribute after the other attributes, before the first nested block.
func (bl *Block) InsertAttr(name string, v Value) {
	i := len(bl.Items)
	for j, n := range bl.Items {
		if _, ok := n.(*Block); ok {
			i = j
			break
		}
	}
	bl.Items = append(bl.Items[:i], append([]Node{&Attr{Name: name, Val: v}}, bl.Items[i:]...)...)
}

// Attr returns the block's attribute called name, or nil.
func (bl *Block) Attr(name string) *Attr {
	for _, n := range bl.Items {
		if a, ok := n.(*Attr); ok && a.Name == name {
			return a
		}
	}
	return nil
}

// Remove removes the attribute called name.
func (bl *Block) Remove(name string) {
	out := bl.Items[:0]
	for _, n := range bl.Items {
		if a, ok := n.(*Attr); ok && a.Name == name {
			continue
		}
		out = append(out, n)
	}
	bl.Items = out
}

// Child returns the first nested block of the type, or nil.
func (bl *Block) Child(typ string) *Block {
	for _, n := range bl.Items {
		if b, ok := n.(*Block); ok && b.Type == typ {
			return b
		}
	}
	return nil
}

func (bl *Block) header() string {
	var b strings.Builder
	b.WriteString(bl.Type)
	for _, l := range bl.Labels {
		b.WriteString(` "` + EscapeHCL(l) + `"`)
	}
	return b.String()
}

// Render writes the block, its notes first.
func (bl *Block) Render(b *strings.Builder, indent string) {
	if len(bl.Items) == 0 && len(bl.Notes) == 0 {
		fmt.Fprintf(b, "%s%s {}\n", indent, bl.header())
		return
	}
	fmt.Fprintf(b, "%s%s {\n", indent, bl.header())
	bl.Notes.Render(b, indent+"  ")
	for _, n := range bl.Items {
		n.Render(b, indent+"  ")
	}
	fmt.Fprintf(b, "%s}\n", indent)
}

// CommentedOut renders bl as comment lines, for a component left out or a suggestion the
// operator completes.
func CommentedOut(bl *Block) Comment {
	var b strings.Builder
	bl.Render(&b, "")
	return Comment(strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n"))
}

// Format aligns rendered HCL as `hcl fmt` would.
func Format(src string) []byte { return hclwrite.Format([]byte(src)) }
