// Package escape expands Flume's escape sequences (BucketPath) in paths and file names:
// %{header} takes a header's value, %[localhost], %[IP] and %[FQDN] the host's name, address
// and canonical name, and %x a field of the event's time (%Y%m%d%H → 2024031513), rounded down
// and in a time zone as configured.
//
// It differs from Flume in one way on purpose: an unknown %x or %[...] is an error when the
// template is parsed (Flume silently replaces an unknown %x with nothing, which puts files
// somewhere nobody expects). A %{header} the event lacks expands to nothing, as in Flume.
package escape

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// kind is what one part of a template is.
type kind uint8

const (
	literal   kind = iota
	header         // %{name}
	host           // %[localhost]
	hostIP         // %[IP]
	hostFQDN       // %[FQDN]
	timeField      // %x
	body           // %{body} in a format (ParseFormat)
)

type part struct {
	kind kind
	text string // the literal, or the header's name
	char byte   // the time escape's letter
}

// Template is a parsed string with escapes. It is immutable and safe for concurrent use.
type Template struct {
	src   string
	parts []part
	time  bool
	host  bool
}

// timeEscapes are the %x letters (Flume's replaceShorthand), with what each prints.
var timeEscapes = map[byte]string{
	'a': "short weekday name (Mon)",
	'A': "full weekday name (Monday)",
	'b': "short month name (Jan)",
	'B': "full month name (January)",
	'c': "date and time (Mon Jan 2 15:04:05 2006)",
	'd': "day of month (01)",
	'e': "day of month without padding (1)",
	'D': "date (01/02/06)",
	'H': "hour (00..23)",
	'I': "hour (01..12)",
	'j': "day of year (001..366)",
	'k': "hour (0..23)",
	'l': "hour (1..12)",
	'm': "month (01..12)",
	'n': "month without padding (1..12)",
	'M': "minute (00..59)",
	'p': "AM or PM",
	's': "seconds since the epoch",
	'S': "second (00..59)",
	't': "milliseconds since the epoch, as in the timestamp header",
	'y': "year (two digits)",
	'Y': "year (four digits)",
	'z': "time zone offset (+hhmm)",
}

// IsTimeEscape reports whether %c is a time escape (the converter removes the others, which
// Flume writes as nothing).
func IsTimeEscape(c byte) bool { _, ok := timeEscapes[c]; return ok }

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Parse parses s. Errors name every unknown escape.
func Parse(s string) (*Template, error) {
	t := &Template{src: s}
	var lit strings.Builder
	var errs []error
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{kind: literal, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' || i+1 >= len(s) {
			lit.WriteByte(c)
			continue
		}
		next := s[i+1]
		switch {
		case next == '%':
			lit.WriteByte('%')
			i++
		case next == '{' || next == '[':
			closer := byte('}')
			if next == '[' {
				closer = ']'
			}
			end := strings.IndexByte(s[i+2:], closer)
			name := ""
			if end > 0 {
				name = s[i+2 : i+2+end]
			}
			if !validName(name, next == '{') {
				lit.WriteByte(c) // not an escape: Flume leaves it as written
				continue
			}
			flush()
			i += 2 + end
			if next == '{' {
				t.parts = append(t.parts, part{kind: header, text: name})
				continue
			}
			switch strings.ToLower(name) {
			case "localhost":
				t.parts = append(t.parts, part{kind: host})
			case "ip":
				t.parts = append(t.parts, part{kind: hostIP})
			case "fqdn":
				t.parts = append(t.parts, part{kind: hostFQDN})
			default:
				errs = append(errs, fmt.Errorf("unknown escape %%[%s]: want %%[localhost], %%[IP] or %%[FQDN]", name))
			}
			t.host = true
		case isWord(next):
			if _, ok := timeEscapes[next]; !ok {
				errs = append(errs, fmt.Errorf("unknown escape %%%c", next))
				i++
				continue
			}
			flush()
			t.parts = append(t.parts, part{kind: timeField, char: next})
			t.time = true
			i++
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

// ParseFormat parses s as Parse does, except that %{body} stands for the event's body rather
// than a header of that name: the format serializer's placeholders.
func ParseFormat(s string) (*Template, error) {
	t, err := Parse(s)
	if err != nil {
		return nil, err
	}
	for i, p := range t.parts {
		if p.kind == header && p.text == "body" {
			t.parts[i] = part{kind: body}
		}
	}
	return t, nil
}

// validName reports whether name is a header name Flume accepts in %{...} ([\w.-]+) or a
// static name in %[...] (\w+).
func validName(name string, header bool) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isWord(c) && !(header && (c == '.' || c == '-')) {
			return false
		}
	}
	return true
}

// MustParse is Parse for templates known to be valid (tests, constants).
func MustParse(s string) *Template {
	t, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return t
}

// String returns the template as written.
func (t *Template) String() string { return t.src }

// UsesTime reports whether expanding needs the event's time.
func (t *Template) UsesTime() bool { return t.time }

// UsesHost reports whether expanding needs the host's names (resolve them once, up front).
func (t *Template) UsesHost() bool { return t.host }

// UsesHeaders reports whether expanding reads headers.
func (t *Template) UsesHeaders() bool {
	for _, p := range t.parts {
		if p.kind == header {
			return true
		}
	}
	return false
}

// IsLiteral reports whether the template has no escapes; Literal then is its value.
func (t *Template) IsLiteral() bool {
	for _, p := range t.parts {
		if p.kind != literal {
			return false
		}
	}
	return true
}

// LiteralPrefix returns the text before the first escape.
func (t *Template) LiteralPrefix() string {
	if len(t.parts) > 0 && t.parts[0].kind == literal {
		return t.parts[0].text
	}
	return ""
}

// Host holds the values of %[localhost], %[IP] and %[FQDN].
type Host struct {
	Name, IP, FQDN string
}

// Append appends the expansion of t for an event with headers h at time st to dst. st is only
// read when t.UsesTime().
func (t *Template) Append(dst []byte, h map[string]string, st *Stamp, hst *Host) []byte {
	return t.AppendEvent(dst, h, nil, st, hst)
}

// AppendEvent is Append for a template from ParseFormat: %{body} expands to b.
func (t *Template) AppendEvent(dst []byte, h map[string]string, b []byte, st *Stamp, hst *Host) []byte {
	for _, p := range t.parts {
		switch p.kind {
		case literal:
			dst = append(dst, p.text...)
		case header:
			dst = append(dst, h[p.text]...)
		case body:
			dst = append(dst, b...)
		case host:
			dst = append(dst, hst.Name...)
		case hostIP:
			dst = append(dst, hst.IP...)
		case hostFQDN:
			dst = append(dst, hst.FQDN...)
		case timeField:
			dst = st.appendField(dst, p.char)
		}
	}
	return dst
}

// Regexp returns a regular expression (without anchors) matching every expansion of t, given
// the host's values: time fields match their digits or names, headers match anything
// (they may hold a '/'). It finds a sink's own files again after a restart.
func (t *Template) Regexp(hst *Host) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.kind {
		case literal:
			b.WriteString(regexp.QuoteMeta(p.text))
		case header, body:
			b.WriteString(`.*`)
		case host:
			b.WriteString(regexp.QuoteMeta(hst.Name))
		case hostIP:
			b.WriteString(regexp.QuoteMeta(hst.IP))
		case hostFQDN:
			b.WriteString(regexp.QuoteMeta(hst.FQDN))
		case timeField:
			switch p.char {
			case 'a', 'A', 'b', 'B', 'p':
				b.WriteString(`[A-Za-z]+`)
			case 'c':
				b.WriteString(`[A-Za-z]+ [A-Za-z]+ \d+ \d\d:\d\d:\d\d \d+`)
			case 'D':
				b.WriteString(`\d\d/\d\d/\d\d`)
			case 's', 't':
				b.WriteString(`-?\d+`)
			case 'z':
				b.WriteString(`[+-]\d{4}`)
			default:
				b.WriteString(`\d+`)
			}
		}
	}
	return b.String()
}

// Unit is what round_unit rounds down to.
type Unit string

// The rounding units (Flume's roundUnit).
const (
	Second Unit = "second"
	Minute Unit = "minute"
	Hour   Unit = "hour"
)

// Stamper turns event times into the fields the time escapes print, rounded down and in a
// time zone. It remembers the last second it broke down, since consecutive events mostly share
// one, so a Stamper belongs to one goroutine.
type Stamper struct {
	loc   *time.Location
	unit  Unit
	value int // 0: no rounding

	lastSec int64
	last    Stamp
	valid   bool
}

// NewStamper returns a Stamper for loc (nil: the local zone). With value > 0, times are
// rounded down to the largest multiple of value units within the next larger unit, as Flume's
// round = true, round_value, round_unit do (minute 10: 13:47:12 → 13:40:00).
func NewStamper(loc *time.Location, unit Unit, value int) *Stamper {
	if loc == nil {
		loc = time.Local
	}
	return &Stamper{loc: loc, unit: unit, value: value}
}

// Stamp is an event's time broken down for the escapes: the raw milliseconds (for %t) and the
// rounded time's fields.
type Stamp struct {
	Millis  int64     // as received, not rounded
	Rounded time.Time // rounded, in the zone
	year    int
	month   time.Month
	day     int
	hour    int
	min     int
	sec     int
	yday    int
	wday    time.Weekday
	zoneOff int // seconds east of UTC
}

// Stamp returns the stamp of an event time in milliseconds since the epoch.
func (s *Stamper) Stamp(ms int64) *Stamp {
	sec := ms / 1000
	if ms < 0 && ms%1000 != 0 {
		sec--
	}
	if !s.valid || sec != s.lastSec {
		s.last = s.breakDown(sec)
		s.lastSec, s.valid = sec, true
	}
	s.last.Millis = ms
	return &s.last
}

func (s *Stamper) breakDown(sec int64) Stamp {
	t := time.Unix(sec, 0).In(s.loc)
	if s.value > 0 {
		y, mo, d := t.Date()
		h, mi, se := t.Clock()
		switch s.unit {
		case Second:
			se -= se % s.value
		case Minute:
			mi -= mi % s.value
			se = 0
		case Hour:
			h -= h % s.value
			mi, se = 0, 0
		}
		t = time.Date(y, mo, d, h, mi, se, 0, s.loc)
	}
	st := Stamp{Rounded: t}
	st.year, st.month, st.day = t.Date()
	st.hour, st.min, st.sec = t.Clock()
	st.yday = t.YearDay()
	st.wday = t.Weekday()
	_, st.zoneOff = t.Zone()
	return st
}

func pad2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10%10), byte('0'+v%10))
}

func (st *Stamp) appendField(dst []byte, c byte) []byte {
	switch c {
	case 'a':
		return append(dst, st.wday.String()[:3]...)
	case 'A':
		return append(dst, st.wday.String()...)
	case 'b':
		return append(dst, st.month.String()[:3]...)
	case 'B':
		return append(dst, st.month.String()...)
	case 'c':
		return st.Rounded.AppendFormat(dst, "Mon Jan 2 15:04:05 2006")
	case 'd':
		return pad2(dst, st.day)
	case 'e':
		return strconv.AppendInt(dst, int64(st.day), 10)
	case 'D':
		dst = pad2(dst, int(st.month))
		dst = append(dst, '/')
		dst = pad2(dst, st.day)
		dst = append(dst, '/')
		return pad2(dst, st.year%100)
	case 'H':
		return pad2(dst, st.hour)
	case 'I':
		return pad2(dst, hour12(st.hour))
	case 'j':
		if st.yday < 100 {
			dst = append(dst, '0')
		}
		if st.yday < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(st.yday), 10)
	case 'k':
		return strconv.AppendInt(dst, int64(st.hour), 10)
	case 'l':
		return strconv.AppendInt(dst, int64(hour12(st.hour)), 10)
	case 'm':
		return pad2(dst, int(st.month))
	case 'n':
		return strconv.AppendInt(dst, int64(st.month), 10)
	case 'M':
		return pad2(dst, st.min)
	case 'p':
		if st.hour < 12 {
			return append(dst, "AM"...)
		}
		return append(dst, "PM"...)
	case 's':
		return strconv.AppendInt(dst, st.Rounded.Unix(), 10)
	case 'S':
		return pad2(dst, st.sec)
	case 't':
		return strconv.AppendInt(dst, st.Millis, 10)
	case 'y':
		return pad2(dst, st.year%100)
	case 'Y':
		y := st.year
		for m := 1000; m > 1 && y < m; m /= 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(y), 10)
	case 'z':
		off := st.zoneOff / 60
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		dst = append(dst, sign)
		dst = pad2(dst, off/60)
		return pad2(dst, off%60)
	}
	return dst
}

func hour12(h int) int {
	if h%12 == 0 {
		return 12
	}
	return h % 12
}
