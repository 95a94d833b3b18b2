// Package flume describes how an Apache Flume component type converts into a flumego one, for
// `agent convert`: the Flume type names and class names it stands for, and how each Flume
// property becomes a flumego setting. The description lives next to the component's own
// config, in its folder (a flume.go file), and travels with its factory:
//
//	return source.NewFactory("taildir", Defaults, New, flumeTaildir)
//
// so the converter reads its tables from the same component list the agent runs
// (config.Components), and a custom agent's converter knows its custom types too.
//
// A Mapping lists Settings (Flume keys, current name first and older names after, onto a
// flumego attribute with a value conversion, or onto a function that writes what it needs),
// Prefixes for key families (kafka.producer.*), the Flume settings flumego does not carry over
// with the reason (Dropped), Flume's effective values written when a Flume file relies on
// Flume's defaults (Defaults: flumego's own defaults differ, and a converted flow must keep
// Flume's semantics), and a Finish function for what needs several keys at once. Conv is the
// conversion of one component, which Setting functions and Finish use: it writes attributes and
// blocks, and records notes — what could not be carried over, or was carried over changed —
// each with its Flume key and line.
package flume

import (
	"fmt"
	"slices"
	"strings"
)

// Property is one key and value of a Flume .properties file, with the line its key starts on.
type Property struct {
	Key   string
	Value string
	Line  int
}

// Note is a setting the converter could not carry over, or carried over with a change the
// operator should check.
type Note struct {
	// Line is the line of the Flume key, 0 when the note is about no single line.
	Line int
	// Key is the Flume key (a1.sinks.k1.hdfs.fileType) or component (a1.sinks.k1).
	Key string
	// Agent is the agent the key belongs to, "" for keys of no agent.
	Agent string
	// Changed is false for a setting that was not carried over, true for one carried over in a
	// different form (a lowered batch size, a file-name regex turned into a glob).
	Changed bool
	// Reason says why, and what to do.
	Reason string
	// Origin names the format of the converted file in comments: "flume" when empty,
	// "filebeat".
	Origin string
}

func (n Note) what() string {
	if n.Changed {
		return "changed"
	}
	return "not carried over"
}

func (n Note) String() string { return fmt.Sprintf("%s: %s: %s", n.Key, n.what(), n.Reason) }

// Comment is the note as written into the HCL, beside what it is about.
func (n Note) Comment() string {
	origin := n.Origin
	if origin == "" {
		origin = "flume"
	}
	if n.Line > 0 {
		return fmt.Sprintf("%s: %s (line %d): %s: %s", origin, n.Key, n.Line, n.what(), n.Reason)
	}
	return fmt.Sprintf("%s: %s: %s: %s", origin, n.Key, n.what(), n.Reason)
}

// Kind is how a Flume value is read.
type Kind int

// The value conversions. Flume gives durations in seconds or in milliseconds depending on the
// property; flumego takes strings such as "30s".
const (
	AsString  Kind = iota // a string
	AsLower               // an enum, lower-cased
	AsInt                 // a whole number (Java's Integer.parseInt of the trimmed text)
	AsFloat               // a number
	AsBool                // Java's Boolean.valueOf: "true" in any case, anything else false
	AsSeconds             // seconds → a duration
	AsMillis              // milliseconds → a duration
	AsBytes               // bytes → a size
	AsWords               // a white-space separated list
	AsCommas              // a comma-separated list
)

// Setting maps Flume property names (the current one first, older ones after: when several
// are set, the first wins, as in Flume) onto a flumego attribute, or onto a function (which may
// name the attribute it writes in Attr, for KeyOf).
type Setting struct {
	Keys []string
	Attr string
	Kind Kind
	Fn   func(c *Conv, p Property)
	// Lenient is the value Flume falls back to, with a warning, when the text is not of Kind
	// (the memory channel's sizes). Nil means Flume fails to configure the component and
	// removes it at start-up, as it does for most settings.
	Lenient Value
}

// Map maps Flume keys onto attr, read as kind.
func Map(attr string, kind Kind, keys ...string) Setting {
	return Setting{Keys: keys, Attr: attr, Kind: kind}
}

// Func hands the Flume keys to fn.
func Func(fn func(c *Conv, p Property), keys ...string) Setting {
	return Setting{Keys: keys, Fn: fn}
}

// Prefix hands every key under a prefix to Fn.
type Prefix struct {
	Prefix string
	Fn     func(c *Conv, p Property)
}

// DropPrefix reports every key under a prefix as not carried over.
func DropPrefix(prefix, why string) Prefix {
	return Prefix{Prefix: prefix, Fn: func(c *Conv, p Property) { c.Drop(p, "%s", why) }}
}

// Default is Flume's effective value of a setting, written (with a comment saying so) when
// the Flume file does not set it, whatever flumego's own default is.
type Default struct {
	Attr  string
	Value Value
	// Why is the comment written beside it; empty means "Flume's default".
	Why string
}

// Mapping describes how one Flume component type converts.
type Mapping struct {
	// Flume names the type in notes ("TAILDIR source").
	Flume string
	// Aliases are the Flume type names and class names it stands for, matched without regard
	// to case, as Flume's type enums are.
	Aliases  []string
	Settings []Setting
	Prefixes []Prefix
	// Dropped are Flume settings with no flumego equivalent, and why.
	Dropped map[string]string
	// Unknown is the reason given for a key no setting claims; empty means Flume does not
	// know it either.
	Unknown  string
	Defaults []Default
	// Finish runs after the settings and defaults, for what needs several keys at once.
	Finish func(c *Conv)
}

// Matches reports whether typ (a Flume type name or class name) is one of the aliases.
func (m *Mapping) Matches(typ string) bool {
	t := strings.TrimSpace(typ)
	return slices.ContainsFunc(m.Aliases, func(a string) bool { return strings.EqualFold(a, t) })
}

// find returns the setting that claims key and the key's rank among its names.
func (m *Mapping) find(key string) (*Setting, int) {
	for i := range m.Settings {
		if j := slices.Index(m.Settings[i].Keys, key); j >= 0 {
			return &m.Settings[i], j
		}
	}
	return nil, -1
}

// KeyOf returns the Flume key (the current name) of the setting that writes attr, "" when no
// setting names attr.
func (m *Mapping) KeyOf(attr string) string {
	for _, s := range m.Settings {
		if s.Attr == attr && len(s.Keys) > 0 {
			return s.Keys[0]
		}
	}
	return ""
}

func (m *Mapping) prefixFn(key string) func(*Conv, Property) {
	for _, pr := range m.Prefixes {
		if strings.HasPrefix(key, pr.Prefix) {
			return pr.Fn
		}
	}
	return nil
}

// Carrier is implemented by factories that carry Flume mappings (see config/schema.Typed).
type Carrier interface {
	FlumeMappings() []*Mapping
}

// Of returns the mappings a factory carries; nil when it has none.
func Of(factory any) []*Mapping {
	if c, ok := factory.(Carrier); ok {
		return c.FlumeMappings()
	}
	return nil
}
