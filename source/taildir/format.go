package taildir

import (
	"bytes"
	"encoding/json"

	"github.com/flumego/flumego/internal/jsonlex"
)

// entry is one record of a container log with the runtime's envelope parsed away.
type entry struct {
	stream  string // "stdout" or "stderr"; "" when unknown
	ts      int64  // the runtime's time in epoch milliseconds; -1 when unknown
	partial bool   // the line goes on in the stream's next record
	msg     []byte // the log line (a part of it when partial)
}

// The stream names, so that events share them instead of allocating.
const (
	streamStdout = "stdout"
	streamStderr = "stderr"
)

func internStream(b []byte) string {
	switch string(b) {
	case streamStdout:
		return streamStdout
	case streamStderr:
		return streamStderr
	}
	return ""
}

// parseCRI parses "2026-12-01T10:00:00.123456789Z stdout F message": the time (RFC 3339), the
// stream, the tags ("P" partial, "F" full; further ":"-separated tags are ignored) and the
// message, which may be empty. ok is false for a record that is not in the format.
func parseCRI(rec []byte) (e entry, ok bool) {
	sp := bytes.IndexByte(rec, ' ')
	if sp < 0 {
		return entry{}, false
	}
	ts, ok := parseTime(rec[:sp])
	if !ok {
		return entry{}, false
	}
	rest := rec[sp+1:]
	sp = bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return entry{}, false
	}
	stream := internStream(rest[:sp])
	if stream == "" {
		return entry{}, false
	}
	rest = rest[sp+1:]
	tags := rest
	var msg []byte
	if sp = bytes.IndexByte(rest, ' '); sp >= 0 {
		tags, msg = rest[:sp], rest[sp+1:]
	}
	if i := bytes.IndexByte(tags, ':'); i >= 0 {
		tags = tags[:i]
	}
	if len(tags) != 1 || (tags[0] != 'P' && tags[0] != 'F') {
		return entry{}, false
	}
	return entry{stream: stream, ts: ts, partial: tags[0] == 'P', msg: msg}, true
}

// parseDocker parses a line of Docker's json-file driver,
// {"log":"message\n","stream":"stdout","time":"2026-12-01T10:00:00.123456789Z"}: a log that
// does not end with "\n" is partial (Docker splits lines longer than 16 KiB). The message is
// unescaped into scratch, which is returned grown. ok is false for a line that is not such an
// object.
func parseDocker(rec, scratch []byte) (e entry, _ []byte, ok bool) {
	e, scratch, ok = parseDockerFast(rec, scratch)
	if !ok {
		// Another key order, other fields ("attrs"), spaces: the general decoder.
		var v struct {
			Log    *string `json:"log"`
			Stream string  `json:"stream"`
			Time   string  `json:"time"`
		}
		if json.Unmarshal(rec, &v) != nil || v.Log == nil {
			return entry{}, scratch, false
		}
		e = entry{stream: internStream([]byte(v.Stream)), ts: -1}
		if t, ok := parseTime([]byte(v.Time)); ok {
			e.ts = t
		}
		scratch = append(scratch[:0], *v.Log...)
		e.msg = scratch
	}
	if n := len(e.msg); n > 0 && e.msg[n-1] == '\n' {
		e.msg = e.msg[:n-1]
	} else {
		e.partial = true
	}
	return e, scratch, true
}

// parseDockerFast parses the driver's own output: the three keys in its order, no spaces.
func parseDockerFast(rec, scratch []byte) (entry, []byte, bool) {
	rest, ok := bytes.CutPrefix(rec, []byte(`{"log":"`))
	if !ok {
		return entry{}, scratch, false
	}
	scratch, n, f := jsonlex.AppendString(scratch[:0], rest, 0)
	if f != jsonlex.None {
		return entry{}, scratch, false
	}
	e := entry{msg: scratch, ts: -1}
	if rest, ok = bytes.CutPrefix(rest[n:], []byte(`,"stream":"`)); !ok {
		return entry{}, scratch, false
	}
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		return entry{}, scratch, false
	}
	e.stream = internStream(rest[:q])
	if rest, ok = bytes.CutPrefix(rest[q+1:], []byte(`,"time":"`)); !ok {
		return entry{}, scratch, false
	}
	if q = bytes.IndexByte(rest, '"'); q < 0 || !bytes.Equal(rest[q+1:], []byte("}")) {
		return entry{}, scratch, false
	}
	if e.ts, ok = parseTime(rest[:q]); !ok || e.stream == "" {
		return entry{}, scratch, false
	}
	return e, scratch, true
}

// parseTime reads an RFC 3339 time ("2026-12-01T10:00:00.123456789Z", "...+01:00") as epoch
// milliseconds, without the allocations of time.Parse.
func parseTime(b []byte) (int64, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	num := func(s []byte) (int64, bool) {
		var v int64
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		}
		return v, true
	}
	y, ok1 := num(b[0:4])
	mo, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	h, ok4 := num(b[11:13])
	mi, ok5 := num(b[14:16])
	s, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return 0, false
	}
	rest := b[19:]
	var ms int64
	if rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			if i <= 3 {
				ms = ms*10 + int64(rest[i]-'0')
			}
			i++
		}
		if i == 1 {
			return 0, false
		}
		for k := i; k <= 3; k++ {
			ms *= 10
		}
		rest = rest[i:]
	}
	var off int64
	switch {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := num(rest[1:3])
		om, ok2 := num(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		off = (oh*60 + om) * 60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return 0, false
	}
	// Days from the civil date (proleptic Gregorian), as in Howard Hinnant's algorithm.
	if mo <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (mo + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := era*146097 + doe - 719468
	return ((days*86400+h*3600+mi*60+s)-off)*1000 + ms, true
}
