package taildir

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// codec frames a file's lines in its character set and decodes them to UTF-8. Offsets stay the
// file's byte offsets: only bodies are decoded.
type codec struct {
	// unit is the size of a code unit: 1, or 2 for UTF-16, whose newline is the code unit
	// U+000A at an even offset (two bytes), never a lone 0x0A byte.
	unit      int
	bigEndian bool
	// dec decodes one line; nil for UTF-8, whose bytes are kept as read.
	dec transform.Transformer
}

// lookupEncoding returns the codec of an encoding name: UTF-8 (the default), ISO-8859-1,
// UTF-16LE and UTF-16BE (a byte order mark at the start of the file is dropped), and every
// other name of the WHATWG Encoding Standard that keeps ASCII bytes as they are (windows-1252,
// shift_jis, gbk, euc-kr, koi8-r, iso-8859-15, ...), whose newline is the byte 0x0A.
func lookupEncoding(name string) (codec, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "utf-8", "utf8":
		return codec{unit: 1}, nil
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		// Strictly ISO-8859-1 (bytes 0x80-0x9F are C1 controls); WHATWG maps the name to
		// windows-1252, which can be asked for by that name.
		return codec{unit: 1, dec: charmap.ISO8859_1.NewDecoder()}, nil
	case "utf-16le":
		return codec{unit: 2, dec: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()}, nil
	case "utf-16be":
		return codec{unit: 2, bigEndian: true, dec: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()}, nil
	case "utf-16":
		return codec{}, errors.New(`say the byte order: "utf-16le" or "utf-16be"`)
	}
	e, err := htmlindex.Get(name)
	if err != nil || e == encoding.Replacement {
		return codec{}, fmt.Errorf("unknown encoding %q: want utf-8, iso-8859-1, utf-16le, utf-16be or another WHATWG name (windows-1252, shift_jis, gbk, ...)", name)
	}
	if canon, _ := htmlindex.Name(e); strings.HasPrefix(canon, "utf-16") {
		return lookupEncoding(canon)
	}
	return codec{unit: 1, dec: e.NewDecoder()}, nil
}

// plain reports whether lines are kept as read (UTF-8).
func (c *codec) plain() bool { return c.dec == nil }

// newline returns the length of the line at the start of b without its newline (and without
// one carriage return before it), and the length with its newline; ok is false when b holds
// no complete line.
func (c *codec) newline(b []byte) (content, full int, ok bool) {
	if c.unit == 1 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return 0, 0, false
		}
		return trimCR(b, 0, i), i + 1, true
	}
	nl, cr := []byte{'\n', 0}, []byte{'\r', 0}
	if c.bigEndian {
		nl, cr = []byte{0, '\n'}, []byte{0, '\r'}
	}
	for from := 0; from+1 < len(b); {
		i := bytes.Index(b[from:], nl)
		if i < 0 {
			return 0, 0, false
		}
		i += from
		if i%2 != 0 { // the second byte of one code unit and the first of the next
			from = i + 1
			continue
		}
		n := i
		if n >= 2 && bytes.Equal(b[n-2:n], cr) {
			n -= 2
		}
		return n, i + 2, true
	}
	return 0, 0, false
}

// cut returns where to cut a line of n bytes that is too long: at a code unit boundary, and
// for UTF-16 not between the two halves of a surrogate pair.
func (c *codec) cut(b []byte, n int) int {
	if c.unit == 1 {
		return n
	}
	n &^= 1
	if n >= 4 {
		hi := b[n-1] // the high byte of the last code unit
		if c.bigEndian {
			hi = b[n-2]
		}
		if hi >= 0xD8 && hi <= 0xDB { // a high surrogate: keep it with its low half
			n -= 2
		}
	}
	return n
}

// bom is the length of a byte order mark at the start of a UTF-16 file's first line.
func (c *codec) bom(b []byte) int {
	if c.unit == 2 && len(b) >= 2 && ((!c.bigEndian && b[0] == 0xFF && b[1] == 0xFE) || (c.bigEndian && b[0] == 0xFE && b[1] == 0xFF)) {
		return 2
	}
	return 0
}

// decode appends the UTF-8 of line to dst. Bytes that are not valid in the encoding become
// U+FFFD.
func (c *codec) decode(dst, line []byte) []byte {
	if c.dec == nil {
		return append(dst, line...)
	}
	c.dec.Reset()
	for {
		if cap(dst)-len(dst) < 2*len(line)+8 {
			dst = append(dst[:cap(dst)], make([]byte, 2*len(line)+8)...)[:len(dst)]
		}
		nDst, nSrc, err := c.dec.Transform(dst[len(dst):cap(dst)], line, true)
		dst = dst[:len(dst)+nDst]
		line = line[nSrc:]
		if err == nil || len(line) == 0 {
			return dst
		}
		if !errors.Is(err, transform.ErrShortDst) {
			// The decoders replace bad input themselves; anything else ends the line here.
			return append(dst, "\uFFFD"...)
		}
	}
}
