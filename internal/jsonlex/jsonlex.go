// Package jsonlex reads JSON's tokens (RFC 8259): white space, strings, numbers and literals.
// It is the one lexer under the agent's hand-written JSON readers — the serializer's body parser
// (a tree), internal/jsonfields (headers) and taildir's Docker json-file lines (one field) — which
// differ in what they build, not in how they read a token.
//
// Every function takes the text and an index into it, and returns the index where the token
// ends; on a fault, the index where the fault was found. Faults are values, not errors, so a
// reader that only needs to know where JSON stopped pays no allocation. (A reader of a string
// passes a []byte view of it: nothing here writes to the text.)
//
// Strings decode as encoding/json decodes them: escapes are replaced, and a \u escape of a lone
// surrogate and every byte that is not part of valid UTF-8 become U+FFFD; a raw control
// character is a fault.
package jsonlex

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// A Fault says why the text is not JSON where a token was read; None is no fault.
type Fault uint8

// The faults.
const (
	None Fault = iota
	EndInString
	BadEscape
	BadUnicodeEscape
	ControlChar
	BadNumber
	NoFraction
	NoExponent
	BadLiteral
)

var faultText = [...]string{
	None:             "no fault",
	EndInString:      "unexpected end of the document in a string",
	BadEscape:        "invalid escape in a string",
	BadUnicodeEscape: `invalid \u escape`,
	ControlChar:      "control character in a string",
	BadNumber:        "invalid number",
	NoFraction:       "invalid number: want digits after '.'",
	NoExponent:       "invalid number: want digits in the exponent",
	BadLiteral:       "invalid literal: want true, false or null",
}

func (f Fault) String() string { return faultText[f] }

// Space returns the index of the first byte from i on that is not JSON white space.
func Space(s []byte, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// plain marks the bytes a string's text holds as they are: printable ASCII but '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Plain reports whether a string's text holds c as it is, in JSON text read or written:
// printable ASCII other than '"' and '\\'. (Bytes from 0x80 up are UTF-8 to check.)
func Plain(c byte) bool { return plain[c] }

// Plain8 reports whether the 8 bytes of x (little-endian) are all Plain.
// (v-ones)&^v&highs has a high bit in each byte of v that is 0; a borrow can only raise false
// alarms, which a byte-by-byte look then clears.
func Plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, b := x^('"'*ones), x^('\\'*ones)
	return (x|(x-0x20*ones)|(q-ones)&^q|(b-ones)&^b)&highs == 0
}

// plainRun returns the end of the run of Plain bytes from s[i], eight at a time.
func plainRun(s []byte, i int) int {
	for len(s)-i >= 8 && Plain8(binary.LittleEndian.Uint64(s[i:])) {
		i += 8
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// PlainEnd returns the index of the first byte from i on that a string's text cannot hold as
// it is — a quote, a backslash or a control character — or len(s). A string whose closing
// quote is found so has no escapes: its text is s[i:end] (bytes from 0x80 up not checked).
func PlainEnd(s []byte, i int) int {
	for {
		if i = plainRun(s, i); i == len(s) {
			return i
		}
		if c := s[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
		i++
	}
}

// AppendString decodes the text of a string from s[i] — just after its opening quote, or
// anywhere in its text but inside an escape or a UTF-8 sequence — to its closing quote, and
// appends it to dst. end is the index after the closing quote. On a fault, end is where it was
// found (the backslash of a bad escape) and dst holds the text decoded before it.
func AppendString(dst, s []byte, i int) (_ []byte, end int, f Fault) {
	run := i // the start of the text not appended yet
	for {
		if i = plainRun(s, i); i == len(s) {
			return append(dst, s[run:i]...), i, EndInString
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size // valid UTF-8: kept in the run
				continue
			}
			dst = append(append(dst, s[run:i]...), "\uFFFD"...)
			i++
			run = i
			continue
		}
		dst = append(dst, s[run:i]...)
		switch {
		case c == '"':
			return dst, i + 1, None
		case c == '\\':
			var r rune
			if r, i, f = unescape(s, i); f != None {
				return dst, i, f
			}
			if r < utf8.RuneSelf {
				dst = append(dst, byte(r))
			} else {
				dst = utf8.AppendRune(dst, r)
			}
			run = i
		default:
			return dst, i, ControlChar
		}
	}
}

// SkipString checks a string from s[i], as AppendString does, without decoding it: end is the
// index after the closing quote. Bytes that are not valid UTF-8 are not faults (AppendString
// replaces them).
func SkipString(s []byte, i int) (end int, f Fault) {
	for i < len(s) {
		switch c := s[i]; {
		case c == '"':
			return i + 1, None
		case c == '\\':
			if _, i, f = unescape(s, i); f != None {
				return i, f
			}
		case c < 0x20:
			return i, ControlChar
		default:
			i++
		}
	}
	return i, EndInString
}

// unescape reads the escape whose backslash is s[i], a surrogate pair as one: the rune it
// stands for (U+FFFD for a lone surrogate, whose next escape is then read on its own) and the
// index after it.
func unescape(s []byte, i int) (rune, int, Fault) {
	if i+1 == len(s) {
		return 0, len(s), EndInString
	}
	switch e := s[i+1]; e {
	case '"', '\\', '/':
		return rune(e), i + 2, None
	case 'b':
		return '\b', i + 2, None
	case 'f':
		return '\f', i + 2, None
	case 'n':
		return '\n', i + 2, None
	case 'r':
		return '\r', i + 2, None
	case 't':
		return '\t', i + 2, None
	case 'u':
	default:
		return 0, i, BadEscape
	}
	r, ok := hex4(s, i+2)
	if !ok {
		return 0, i, BadUnicodeEscape
	}
	i += 6
	if !utf16.IsSurrogate(r) {
		return r, i, None
	}
	if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
		if lo, ok := hex4(s, i+2); ok {
			if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
				return pair, i + 6, None
			}
		}
	}
	return utf8.RuneError, i, None
}

// hex4 reads the four hex digits at s[i:].
func hex4(s []byte, i int) (rune, bool) {
	if len(s)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// Number reads the number at s[i]: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. A leading
// zero ends it ("01" is the number 0 and then a 1 that the reader refuses).
func Number(s []byte, i int) (end int, f Fault) {
	digits := func(i int) int {
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = digits(i)
	default:
		return i, BadNumber
	}
	if i < len(s) && s[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return j, NoFraction
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return j, NoExponent
		}
		i = j
	}
	return i, None
}

// Literal reads true, false or null at s[i].
func Literal(s []byte, i int) (end int, f Fault) {
	var word string
	if i < len(s) {
		switch s[i] {
		case 't':
			word = "true"
		case 'f':
			word = "false"
		case 'n':
			word = "null"
		}
	}
	if word == "" || len(s)-i < len(word) || string(s[i:i+len(word)]) != word {
		return i, BadLiteral
	}
	return i + len(word), None
}
