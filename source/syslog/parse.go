package syslog

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/flumego/flumego/channel"
)

// Flume's header names (SyslogUtils).
const (
	HeaderFacility = "Facility"
	HeaderSeverity = "Severity"
	HeaderPriority = "priority"
	HeaderVersion  = "version"
	HeaderTime     = "timestamp"
	HeaderHost     = "host"
	HeaderStatus   = "flume.syslog.status"
)

// Values of HeaderStatus.
const (
	StatusInvalid    = "Invalid"    // no "<PRI>" at the start: the whole message is the body
	StatusIncomplete = "Incomplete" // cut at event_size
)

// The two message shapes Flume recognises, tried in this order; their groups are priority,
// version, timestamp, host and the rest of the message.
const (
	rfc5424 = `^(?:<(\d{1,3})>)(?:(\d?)\s?)(?:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[+-]\d{2}:\d{2}|Z)?)|-)\s(?:([\w][\w\d\.@\-]*)|-)\s(.*)$`
	rfc3164 = `^(?:<(\d{1,3})>)(?:(\d)?\s?)([A-Z][a-z][a-z]\s{1,2}\d{1,2}\s\d{2}:\d{2}:\d{2})\s([\w][\w\d\.@-]*)\s(.*)$`
)

// keep is the set of keep_fields: which parsed fields stay in the body.
type keep struct{ all, priority, version, timestamp, hostname bool }

// parseKeep reads keep_fields as Flume does: "none"/"false", "all"/"true", or any of the words
// priority, version, timestamp and hostname.
func parseKeep(s string) (keep, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "", "none", "false":
		return keep{}, true
	case "all", "true":
		return keep{all: true}, true
	}
	var k keep
	for _, w := range strings.Fields(strings.ReplaceAll(s, ",", " ")) {
		switch w {
		case "priority":
			k.priority = true
		case "version":
			k.version = true
		case "timestamp":
			k.timestamp = true
		case "hostname":
			k.hostname = true
		default:
			return k, false
		}
	}
	return k, true
}

// parser turns one syslog message into an event, the way Flume's SyslogUtils does.
type parser struct {
	keep    keep
	formats [2]*regexp.Regexp
	now     func() time.Time
	loc     *time.Location // for RFC 3164 stamps and RFC 5424 stamps without a zone
}

func newParser(k keep) *parser {
	return &parser{keep: k, formats: [2]*regexp.Regexp{regexp.MustCompile(rfc5424), regexp.MustCompile(rfc3164)},
		now: time.Now, loc: time.Local}
}

// event builds the event of msg (one message without its framing). incomplete says msg was cut
// at event_size. The event's body is a new slice; msg may be reused.
func (p *parser) event(msg []byte, incomplete bool) channel.Event {
	e := channel.Event{Headers: make(map[string]string, 6)}
	pri, ok := priority(msg)
	if !ok {
		e.Headers[HeaderFacility], e.Headers[HeaderSeverity] = "0", "0"
		e.Headers[HeaderStatus] = StatusInvalid
		e.Body = append([]byte(nil), msg...)
		return e
	}
	e.Headers[HeaderFacility] = strconv.Itoa(pri / 8)
	e.Headers[HeaderSeverity] = strconv.Itoa(pri % 8)
	if incomplete {
		e.Headers[HeaderStatus] = StatusIncomplete
	}
	s := string(msg)
	for i, re := range p.formats {
		m := re.FindStringSubmatchIndex(s)
		if m == nil {
			continue
		}
		group := func(g int) string {
			if m[2*g] < 0 {
				return ""
			}
			return s[m[2*g]:m[2*g+1]]
		}
		prio, version, stamp, host, rest := group(1), group(2), group(3), group(4), group(5)
		set := func(k, v string) {
			if v != "" {
				e.Headers[k] = v
			}
		}
		set(HeaderPriority, prio)
		set(HeaderVersion, version)
		set(HeaderHost, host)
		if stamp != "" {
			if ms, ok := p.stamp(stamp, i == 1); ok {
				e.Headers[HeaderTime] = strconv.FormatInt(ms, 10)
			}
		}
		switch {
		case p.keep.all:
			e.Body = []byte(s)
		case rest != "":
			e.Body = []byte(p.withKept(rest, prio, version, stamp, host))
		default:
			e.Body = []byte(s)
		}
		return e
	}
	e.Body = []byte(s) // no known shape: the whole message
	return e
}

// withKept prepends the fields keep_fields keeps to the body, in the message's order.
func (p *parser) withKept(body, prio, version, stamp, host string) string {
	k := p.keep
	if k.hostname {
		body = host + " " + body
	}
	if k.timestamp {
		body = stamp + " " + body
	}
	if k.version && version != "" {
		body = version + " " + body
	}
	if k.priority {
		body = "<" + prio + ">" + body
	}
	return body
}

// priority reads "<PRI>" (1 to 3 digits) at the start of msg.
func priority(msg []byte) (int, bool) {
	if len(msg) < 3 || msg[0] != '<' {
		return 0, false
	}
	pri := 0
	for i := 1; i < len(msg) && i <= 4; i++ {
		c := msg[i]
		switch {
		case c == '>':
			return pri, i > 1
		case c >= '0' && c <= '9':
			pri = pri*10 + int(c-'0')
		default:
			return 0, false
		}
	}
	return 0, false
}

// stamp converts a message's time stamp to epoch milliseconds. An RFC 3164 stamp has no year:
// the current one is assumed, then moved so the time falls within one month ahead and eleven
// months behind now, as Flume does.
func (p *parser) stamp(s string, bsd bool) (int64, bool) {
	if !bsd {
		layout := "2006-01-02T15:04:05.999999999Z07:00"
		if !strings.HasSuffix(s, "Z") && !hasZone(s) {
			layout = "2006-01-02T15:04:05.999999999"
		}
		t, err := time.ParseInLocation(layout, s, p.loc)
		if err != nil {
			return 0, false
		}
		return t.UnixMilli(), true
	}
	now := p.now()
	s = strings.Replace(s, "  ", " ", 1)
	t, err := time.ParseInLocation("2006 Jan 2 15:04:05", strconv.Itoa(now.UTC().Year())+" "+s, p.loc)
	if err != nil {
		return 0, false
	}
	switch {
	case t.After(now) && t.AddDate(0, -1, 0).After(now):
		t = t.AddDate(-1, 0, 0)
	case t.Before(now) && t.AddDate(0, 11, 0).Before(now):
		t = t.AddDate(1, 0, 0)
	}
	return t.UnixMilli(), true
}

// hasZone reports whether an RFC 5424 stamp ends with a "+hh:mm" or "-hh:mm" offset.
func hasZone(s string) bool {
	return len(s) > 6 && (s[len(s)-6] == '+' || s[len(s)-6] == '-') && s[len(s)-3] == ':'
}
