package convert

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ParseProperties reads src the way java.util.Properties.load does, which is how Flume reads its
// configuration: comment lines start with '#' or '!'; a key ends at the first unescaped '=', ':'
// or white space, and one '=' or ':' (with white space around it) separates it from the value;
// a line ending in an odd number of backslashes continues on the next one, whose leading white
// space is skipped; \t \n \r \f \uXXXX are escapes and a backslash before any other character
// stands for that character. Unlike Properties, every occurrence is returned in file order
// (Properties keeps the last of a repeated key), so the converter can report repeats.
// The only error is a malformed \uXXXX escape, which Java rejects too.
func ParseProperties(src string) ([]Property, error) {
	var props []Property
	lines := splitLines(src)
	for i := 0; i < len(lines); i++ {
		start := i
		line := trimLeft(lines[i])
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		// Join continuation lines: an odd number of trailing backslashes.
		logical := line
		for endsWithContinuation(logical) && i+1 < len(lines) {
			i++
			logical = logical[:len(logical)-1] + trimLeft(lines[i])
		}
		if endsWithContinuation(logical) { // continuation at end of file: Java drops the backslash
			logical = logical[:len(logical)-1]
		}
		rawKey, rawValue := splitKeyValue(logical)
		key, err := unescape(rawKey)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", start+1, err)
		}
		value, err := unescape(rawValue)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", start+1, err)
		}
		props = append(props, Property{Key: key, Value: value, Line: start + 1})
	}
	return props, nil
}

// splitLines splits on \n, \r\n and \r, as Properties does.
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(s, "\n")
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

func trimLeft(s string) string {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return s[i:]
}

func endsWithContinuation(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitKeyValue splits a logical line into its raw (still escaped) key and value.
func splitKeyValue(s string) (string, string) {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || isSpace(c) {
			break
		}
		i++
	}
	if i > len(s) {
		i = len(s)
	}
	key, rest := s[:i], s[i:]
	rest = trimLeft(rest)
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = trimLeft(rest[1:])
	}
	return key, rest
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, ok := hex4(s, i+1)
			if !ok {
				return "", fmt.Errorf(`malformed \uxxxx escape in %q`, s)
			}
			i += 4
			// A surrogate pair written as two escapes is one character, as in Java.
			if utf16.IsSurrogate(r) && strings.HasPrefix(s[i+1:], `\u`) {
				if r2, ok := hex4(s, i+3); ok {
					if c := utf16.DecodeRune(r, r2); c != utf8.RuneError {
						r = c
						i += 6
					}
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// hex4 reads the four hex digits of a \uXXXX escape starting at s[i].
func hex4(s string, i int) (rune, bool) {
	if len(s)-i < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[i:i+4], 16, 16)
	return rune(n), err == nil
}
