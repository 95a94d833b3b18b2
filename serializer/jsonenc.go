package serializer

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/flumego/flumego/internal/jsonlex"
)

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control characters escaped
// (\n, \r, \t, \b, \f short, the others as \u00XX), valid UTF-8 as it is, and every byte that is
// not part of valid UTF-8 as \ufffd, so the result is always valid JSON (as Filebeat writes).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	b := stringBytes(s)
	for i := 0; i < len(s); {
		// Eight plain bytes at a time; a block that is not plain is taken byte by byte.
		end := i + 8
		if end <= len(b) {
			if jsonlex.Plain8(binary.LittleEndian.Uint64(b[i:])) {
				i = end
				continue
			}
		} else {
			if len(b) >= 8 && jsonlex.Plain8(binary.LittleEndian.Uint64(b[len(b)-8:])) {
				break // the rest is plain: the last 8 bytes, read again from before i
			}
			end = len(b)
		}
		for i < end {
			c := s[i]
			if jsonlex.Plain(c) {
				i++
				continue
			}
			if c >= utf8.RuneSelf {
				r, size := utf8.DecodeRuneInString(s[i:])
				if r != utf8.RuneError || size != 1 {
					i += size
					continue
				}
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				start = i
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// isNumber reports whether s is a JSON number (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?).
func isNumber(s string) bool {
	end, f := jsonlex.Number(stringBytes(s), 0)
	return f == jsonlex.None && end == len(s)
}

// clock formats epoch milliseconds as Elasticsearch's date ("2006-01-02T15:04:05.000Z", UTC),
// remembering the last second it broke down since consecutive events mostly share one.
type clock struct {
	sec    int64
	prefix [20]byte // "2006-01-02T15:04:05."
	valid  bool
}

func (c *clock) appendTime(dst []byte, ms int64) []byte {
	sec, frac := ms/1000, ms%1000
	if frac < 0 {
		sec, frac = sec-1, frac+1000
	}
	if !c.valid || sec != c.sec {
		b := time.Unix(sec, 0).UTC().AppendFormat(c.prefix[:0], "2006-01-02T15:04:05.")
		if len(b) != len(c.prefix) { // a year outside 0000-9999: not cached
			c.valid = false
			b = append(b, byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10), 'Z')
			return append(dst, b...)
		}
		c.sec, c.valid = sec, true
	}
	dst = append(dst, c.prefix[:]...)
	return append(dst, byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10), 'Z')
}

// bytesString views b as a string without copying. The caller must not change b while the
// string is in use: the serializers only read event bodies, which the sink does not change
// during a Write, and arena bytes, which are only appended to while a document is built.
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// stringBytes views s as bytes without copying, for reading only.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// fieldType is how a header's value is written (the types setting).
type fieldType uint8

const (
	tString fieldType = iota
	tNumber
	tBoolean
	tList
	tJSON
)

var fieldTypeOf = map[string]fieldType{TypeString: tString, TypeNumber: tNumber, TypeBoolean: tBoolean, TypeList: tList, TypeJSON: tJSON}

// appendValue writes a header's value as its type says (json excepted: it is parsed into the
// document). fell reports a value that is not of its type, written as a string.
func appendValue(dst []byte, v string, typ fieldType) (out []byte, fell bool) {
	switch typ {
	case tNumber:
		if t := strings.TrimSpace(v); isNumber(t) {
			return append(dst, t...), false
		}
	case tBoolean:
		if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
			return strconv.AppendBool(dst, b), false
		}
	case tList:
		dst = append(dst, '[')
		first := true
		for rest := v; rest != ""; {
			var item string
			item, rest, _ = strings.Cut(rest, ",")
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendString(dst, item)
		}
		return append(dst, ']'), false
	default:
		return appendString(dst, v), false
	}
	return appendString(dst, v), true
}
