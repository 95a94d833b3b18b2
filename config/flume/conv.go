package flume

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Refs resolves the ${...} references of Flume values.
type Refs struct {
	// Filters are the agent's config filters: name → type.
	Filters map[string]string
	// Props are the file's keys and values, for Flume 1.10's ${key} references to another
	// property of the same file.
	Props map[string]string
}

// Conv converts one Flume component (a source, channel, sink, interceptor, selector or sink
// processor) into a block.
type Conv struct {
	Agent string
	// Name is the component's name (r1); Key its Flume key (a1.sources.r1); Kind its Flume
	// kind (sources, channels, sinks, interceptors ...).
	Name, Key, Kind string
	// Line is the line the component's first key is on.
	Line int
	// Props are the component's properties, keys relative to it (type, channels, port ...).
	Props []Property
	// Block is what the conversion writes.
	Block *Block
	// State is scratch space for a mapping's setting functions and its Finish.
	State map[string]any
	// DataDir is set by a mapping whose component keeps its state in the agent's data_dir
	// (a TAILDIR source without positionFile): the converter writes data_dir.
	DataDir string
	// SplitHeader, with SplitBy, names an event header each resulting component sets to its
	// split value (a multiport syslog source's portHeader: the port it listens on); the
	// converter writes it as a static interceptor, first in the chain.
	SplitHeader string
	// Rejected is set (by Reject) when Flume itself fails to configure the component and
	// removes it at start-up, or (by Omit) when flumego cannot do what it did: the converter
	// leaves it out, as comments.
	Rejected *Note

	refs    *Refs
	record  func(Note) bool
	mapping *Mapping
	wrote   map[string]bool
	split   *split
}

type split struct {
	attr     string
	suffixes []string
	values   []Value
}

// NewConv starts the conversion of a component into b. record keeps a note and reports
// whether it is new (a value read twice is reported once).
func NewConv(agent, kind, name string, line int, props []Property, b *Block, refs *Refs, record func(Note) bool) *Conv {
	if refs == nil {
		refs = &Refs{}
	}
	return &Conv{
		Agent: agent, Name: name, Key: agent + "." + kind + "." + name, Kind: kind, Line: line,
		Props: props, Block: b, State: map[string]any{}, refs: refs, record: record, wrote: map[string]bool{},
	}
}

// Use sets the mapping that notes name, for a component converted key by key rather than by
// Apply (a sink processor, a selector).
func (c *Conv) Use(m *Mapping) { c.mapping = m }

// Get returns the component's property key.
func (c *Conv) Get(key string) (Property, bool) {
	for _, p := range c.Props {
		if p.Key == key {
			return p, true
		}
	}
	return Property{}, false
}

// FullKey is p's key in the Flume file (a1.sources.r1.port).
func (c *Conv) FullKey(p Property) string { return c.Key + "." + p.Key }

// Note reports p as changed (true) or not carried over, and writes the note at the block.
func (c *Conv) Note(p Property, changed bool, format string, args ...any) {
	c.add(Note{Line: p.Line, Key: c.FullKey(p), Agent: c.Agent, Changed: changed, Reason: fmt.Sprintf(format, args...)})
}

// Drop reports p as not carried over.
func (c *Conv) Drop(p Property, format string, args ...any) { c.Note(p, false, format, args...) }

// CompNote is a note about the component as a whole.
func (c *Conv) CompNote(changed bool, format string, args ...any) {
	c.add(Note{Line: c.Line, Key: c.Key, Agent: c.Agent, Changed: changed, Reason: fmt.Sprintf(format, args...)})
}

func (c *Conv) add(n Note) {
	if c.record(n) {
		c.Block.AddNote(n)
	}
}

// Reject records that Flume fails to configure the component because of p and removes it at
// start-up ("Source r1 has been removed due to an error during configuration"): the converted
// file leaves it out the same way, as comments.
func (c *Conv) Reject(p Property, format string, args ...any) {
	c.Omit(p, fmt.Sprintf(format, args...)+": Flume fails to configure the component and removes it at start-up, so it is left out here too (fix the value in the Flume file, or write the component by hand)")
}

// Omit leaves the component out of the converted file, as comments, because of p: what it
// would do in flumego differs too much from what it did in Flume (a TLS listener flumego
// would serve in plain text).
func (c *Conv) Omit(p Property, why string) {
	if c.Rejected != nil {
		return
	}
	n := Note{Line: p.Line, Key: c.FullKey(p), Agent: c.Agent, Reason: why}
	c.record(n)
	c.Rejected = &n
}

// Set writes an attribute once; a second write of the same attribute replaces the first.
func (c *Conv) Set(name string, v Value) {
	if c.wrote[name] {
		if a := c.Block.Attr(name); a != nil {
			a.Val = v
			return
		}
	}
	c.wrote[name] = true
	c.Block.Set(name, v)
}

// SplitBy asks for one component per value, named NAME_SUFFIX (NAME when there is one value),
// with attr set to that value in each (the multiport syslog source: one syslog source per
// port).
func (c *Conv) SplitBy(attr string, suffixes []string, values []Value) {
	c.split = &split{attr, suffixes, values}
}

// Split returns what SplitBy asked for.
func (c *Conv) Split() (attr string, suffixes []string, values []Value) {
	if c.split == nil {
		return "", nil, nil
	}
	return c.split.attr, c.split.suffixes, c.split.values
}

var (
	dollarRef = regexp.MustCompile(`\$\{([^}]*)\}`)
	envRefRe  = regexp.MustCompile(`^\s*env:([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	filterRe  = regexp.MustCompile(`^\s*([A-Za-z0-9_-]+)\[\s*['"]?([^'"\]]+?)['"]?\s*\]\s*$`)
	bareRe    = regexp.MustCompile(`^\w+$`)
)

// EnvVarResolver is the JVM property Flume needs to read ${NAME} from the environment.
const EnvVarResolver = "-DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties"

// IsEnvFilter reports whether a config filter type reads the environment.
func IsEnvFilter(t string) bool {
	t = strings.TrimSpace(t)
	return strings.EqualFold(t, "env") || t == "org.apache.flume.configfilter.EnvironmentVariableConfigFilter"
}

// Tmpl reads a Flume value, turning its environment references into env("X"): ${env:X},
// ${f['X']} through an env config filter, and ${X}, which Flume reads from the environment
// when started with EnvVarResolver. ${key} naming another property of the file (Flume 1.10)
// is replaced by its value; any other ${...} is kept as literal text.
func (c *Conv) Tmpl(p Property) Template {
	v := p.Value
	var t Template
	last := 0
	for _, m := range dollarRef.FindAllStringSubmatchIndex(v, -1) {
		inner := v[m[2]:m[3]]
		var pc Piece
		if sm := envRefRe.FindStringSubmatch(inner); sm != nil {
			pc.Env = sm[1]
		} else if sm := filterRe.FindStringSubmatch(inner); sm != nil && IsEnvFilter(c.refs.Filters[sm[1]]) {
			pc.Env = sm[2]
		} else if val, ok := c.refs.Props[inner]; ok {
			pc.Lit = val
			c.Note(p, true, "${%s} names another property of the file, which Flume 1.10 and later substitute: its value %q is written here", inner, val)
		} else if bareRe.MatchString(inner) {
			pc.Env = inner
			c.Note(p, true, "Flume reads ${%s} from the environment only when started with %s (otherwise the text stays as written): converted into env(%q), which refuses to start while %s is unset where Flume used an empty value (write env(%q, \"\") to keep that)", inner, EnvVarResolver, inner, inner, inner)
		} else {
			c.Note(p, true, "${%s} is kept as literal text: flumego reads the environment only (${env:NAME}, ${NAME} and Flume's env config filters become env(\"NAME\"))", inner)
			continue
		}
		if m[0] > last {
			t = append(t, Piece{Lit: v[last:m[0]]})
		}
		t = append(t, pc)
		last = m[1]
	}
	if last < len(v) || len(t) == 0 {
		t = append(t, Piece{Lit: v[last:]})
	}
	return mergeLits(t)
}

// mergeLits joins neighbouring literal pieces (a property reference between two texts).
func mergeLits(t Template) Template {
	out := t[:0]
	for _, p := range t {
		if n := len(out); n > 0 && p.Env == "" && out[n-1].Env == "" {
			out[n-1].Lit += p.Lit
			continue
		}
		out = append(out, p)
	}
	return out
}

// Literal returns p's value when it holds no environment reference.
func (c *Conv) Literal(p Property) (string, bool) {
	t := c.Tmpl(p)
	if t.HasEnv() {
		return "", false
	}
	return strings.TrimSpace(t.Literal()), true
}

// inlineComment returns the " # ..." part of a value: Java properties have no comments after a
// value, so it is part of the value.
func inlineComment(s string) string {
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return strings.TrimSpace(s[i:])
		}
	}
	return ""
}

// CommentHint explains a value that holds a " # ..." comment, as part of a message: "" when it
// holds none.
func CommentHint(s string) string {
	if cm := inlineComment(s); cm != "" {
		return fmt.Sprintf(" (Java properties have no comments after a value: %q is part of it)", cm)
	}
	return ""
}

// Convert reads p as kind. A value Flume cannot read as a number makes Flume remove the
// component (Reject); it is kept as written.
func (c *Conv) Convert(p Property, kind Kind) Value { return c.convert(p, kind, nil) }

func (c *Conv) convert(p Property, kind Kind, lenient Value) Value {
	t := c.Tmpl(p)
	if t.HasEnv() {
		switch kind {
		case AsSeconds:
			return t.WithSuffix("s")
		case AsMillis:
			return t.WithSuffix("ms")
		case AsWords, AsCommas:
			return List{t}
		}
		return t
	}
	s := strings.TrimSpace(t.Literal())
	bad := func(what string) Value {
		why := fmt.Sprintf("%q is not %s", s, what) + CommentHint(s)
		if lenient != nil {
			c.Note(p, true, "%s: Flume warns and uses its default, %s, and so does the conversion", why, lenient.HCL())
			return lenient
		}
		c.Reject(p, "%s", why)
		return String(s)
	}
	switch kind {
	case AsLower:
		return String(strings.ToLower(s))
	case AsInt, AsSeconds, AsMillis, AsBytes:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return bad("a whole number")
		}
		switch kind {
		case AsSeconds:
			return Duration(time.Duration(n) * time.Second)
		case AsMillis:
			return Duration(time.Duration(n) * time.Millisecond)
		case AsBytes:
			return Size(n)
		}
		return Int(n)
	case AsFloat:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return bad("a number")
		}
		return Float(f)
	case AsBool:
		switch strings.ToLower(s) {
		case "true":
			return Bool(true)
		case "false":
			return Bool(false)
		}
		why := fmt.Sprintf("%q is not true or false", s) + CommentHint(s)
		c.Note(p, true, "%s; Flume reads it as false, and so does the conversion", why)
		return Bool(false)
	case AsWords:
		return Strings(strings.Fields(s))
	case AsCommas:
		return Strings(SplitCommas(s))
	}
	if cm := inlineComment(t.Literal()); cm != "" {
		c.Note(p, true, "Java properties have no comments after a value, so Flume reads %q as part of the value, and so does the conversion: remove it from the Flume file if it was meant as a comment", cm)
	}
	return t
}

// SplitCommas splits a comma-separated list, dropping empty items.
func SplitCommas(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Apply converts the component's properties with m, except those skip claims, in file order;
// then writes m's Defaults the file did not set, and runs m.Finish.
func (c *Conv) Apply(m *Mapping, skip func(key string) bool) {
	c.mapping = m
	type pick struct {
		p   Property
		idx int
	}
	chosen := map[*Setting]pick{}
	for _, p := range c.Props {
		if skip != nil && skip(p.Key) {
			continue
		}
		if s, idx := m.find(p.Key); s != nil {
			if prev, ok := chosen[s]; !ok || idx < prev.idx {
				chosen[s] = pick{p, idx}
			}
		}
	}
	for _, p := range c.Props {
		if skip != nil && skip(p.Key) {
			continue
		}
		if s, _ := m.find(p.Key); s != nil {
			if win := chosen[s].p; win.Key != p.Key {
				c.Drop(p, "%s is set too and takes precedence, as in Flume", c.FullKey(win))
				continue
			}
			if s.Fn != nil {
				s.Fn(c, p)
			} else {
				c.Set(s.Attr, c.convert(p, s.Kind, s.Lenient))
			}
			continue
		}
		if fn := m.prefixFn(p.Key); fn != nil {
			fn(c, p)
			continue
		}
		if why, ok := m.Dropped[p.Key]; ok {
			c.Drop(p, "%s", why)
			continue
		}
		c.Unknown(p)
	}
	for _, d := range m.Defaults {
		if c.Block.Attr(d.Attr) == nil {
			c.wrote[d.Attr] = true
			why := d.Why
			if why == "" {
				why = "Flume's default"
			}
			c.Block.Items = append(c.Block.Items, &Attr{Name: d.Attr, Val: d.Value, Comment: why})
		}
	}
	if m.Finish != nil {
		m.Finish(c)
	}
}

// Unknown reports a key no setting claims.
func (c *Conv) Unknown(p Property) {
	if h := MalformedHint(c.FullKey(p), p.Value); h != "" {
		c.Drop(p, "malformed key%s", h)
		return
	}
	if c.mapping != nil && c.mapping.Unknown != "" {
		c.Drop(p, "%s", c.mapping.Unknown)
		return
	}
	what := "this component"
	if c.mapping != nil {
		what = c.mapping.Flume
	}
	c.Drop(p, "not a setting of Flume's %s, so Flume ignores it too", what)
}

// looksLikeKeyValue matches a value that is itself "key = value": what a key with a space where
// a dot belongs leaves behind (a2.sinks.k1.hdfs fileType = DataStream).
// A colon counts only before white space: "localhost:9092" and "jdbc:derby:..." are values.
var looksLikeKeyValue = regexp.MustCompile(`^[A-Za-z][\w.-]*(\s*=|\s*:\s)`)

// MalformedHint explains a value that looks like a setting of its own.
func MalformedHint(key, value string) string {
	v := strings.TrimSpace(value)
	if looksLikeKeyValue.MatchString(v) {
		return fmt.Sprintf(": Flume reads %q as the value of %q (a space where a dot belongs?), which is no setting; fix the key in the Flume file, or write the setting here by hand", v, key)
	}
	return ""
}
