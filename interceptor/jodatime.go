package interceptor

import (
	"fmt"
	"strings"
	"time"
)

// jodaLayout converts a Joda-Time pattern (what Flume's RegexExtractorInterceptorMillisSerializer
// reads, "yyyy-MM-dd HH:mm:ss") into a Go time layout. It supports the letters logs use:
//
//	y yy yyyy  year          M MM MMM MMMM  month       d dd  day of month
//	D DDD      day of year   E..EEE EEEE    weekday     a     AM/PM
//	H HH       hour 0-23     h hh           hour 1-12
//	m mm       minute        s ss           second      S...  fraction, after "." or ","
//	Z ZZ       offset (+0100, +01:00, or Z)             z     zone abbreviation
//
// and text in single quotes ('T'; two quotes in a row are one quote). Other letters (era,
// week year, hour 1-24, zone ids) and literal digits have no Go equivalent and are rejected.
func jodaLayout(pattern string) (string, error) {
	if pattern == "" {
		return "", fmt.Errorf("empty pattern")
	}
	var out strings.Builder
	literal := func(s string) error {
		for _, bad := range []string{"Jan", "Mon", "MST", "PM", "pm"} {
			if strings.Contains(s, bad) {
				return fmt.Errorf("literal text %q cannot be expressed in a Go layout", s)
			}
		}
		if i := strings.IndexAny(s, "0123456789_"); i >= 0 {
			return fmt.Errorf("literal %q cannot be expressed in a Go layout", s[i])
		}
		out.WriteString(s)
		return nil
	}
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			// Quoted text up to the next lone quote; '' is one quote, inside or outside.
			j := i + 1
			var text strings.Builder
			for {
				if j >= len(pattern) {
					return "", fmt.Errorf("unterminated quote in %q", pattern)
				}
				if pattern[j] == '\'' {
					if j+1 < len(pattern) && pattern[j+1] == '\'' {
						text.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				text.WriteByte(pattern[j])
				j++
			}
			if j == i+1 {
				text.WriteByte('\'') // '' outside quotes
			}
			if err := literal(text.String()); err != nil {
				return "", err
			}
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			n := 1
			for i+n < len(pattern) && pattern[i+n] == c {
				n++
			}
			tok, err := jodaField(c, n, out.String())
			if err != nil {
				return "", err
			}
			out.WriteString(tok)
			i += n
		default:
			if err := literal(string(c)); err != nil {
				return "", err
			}
			i++
		}
	}
	layout := out.String()
	// A layout whose own output it cannot read back has fields run together in a way Go's
	// parser cannot tell apart.
	ref := time.Date(2023, time.November, 24, 21, 45, 56, 789_000_000, time.UTC)
	if _, err := time.Parse(layout, ref.Format(layout)); err != nil {
		return "", fmt.Errorf("pattern %q cannot be parsed by Go's time package: %v", pattern, err)
	}
	return layout, nil
}

// jodaField converts a run of n pattern letters c; before is the layout so far.
func jodaField(c byte, n int, before string) (string, error) {
	unsupported := func() (string, error) {
		return "", fmt.Errorf("%q is not supported (supported: y M d D E a H h m s S Z z and quoted text)", strings.Repeat(string(c), n))
	}
	switch c {
	case 'y', 'Y':
		if n == 2 {
			return "06", nil
		}
		return "2006", nil
	case 'M':
		return pick(c, n, "1", "01", "Jan", "January")
	case 'd':
		return pick(c, n, "2", "02")
	case 'D':
		switch n {
		case 1:
			return "__2", nil
		case 3:
			return "002", nil
		}
		return unsupported()
	case 'E':
		if n >= 4 {
			return "Monday", nil
		}
		return "Mon", nil
	case 'a':
		return pick(c, n, "PM")
	case 'H':
		return pick(c, n, "15", "15")
	case 'h':
		return pick(c, n, "3", "03")
	case 'm':
		return pick(c, n, "4", "04")
	case 's':
		return pick(c, n, "5", "05")
	case 'S':
		if n > 9 || !(strings.HasSuffix(before, ".") || strings.HasSuffix(before, ",")) {
			return "", fmt.Errorf("%q: fractions of a second are supported only right after \".\" or \",\" and up to 9 digits", strings.Repeat("S", n))
		}
		return strings.Repeat("0", n), nil
	case 'Z':
		if n <= 2 {
			return pick(c, n, "Z0700", "Z07:00")
		}
	case 'z':
		if n <= 3 {
			return "MST", nil
		}
	}
	return unsupported()
}

// pick returns the layout for a run of n letters from the choices for 1, 2, ... letters. A
// longer run takes the last choice for text fields (three choices or more, like Joda's MMMM)
// and is an error for numeric ones.
func pick(c byte, n int, choices ...string) (string, error) {
	if n <= len(choices) {
		return choices[n-1], nil
	}
	if len(choices) >= 3 {
		return choices[len(choices)-1], nil
	}
	return "", fmt.Errorf("%q: at most %d letters for this field", strings.Repeat(string(c), n), len(choices))
}
