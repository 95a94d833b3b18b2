package journald

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The journal export format, as journalctl --output=export writes it: an entry is its fields,
// one per line as NAME=value, then an empty line. A value that is not printable text (a
// newline, binary data) is written as NAME, a newline, its length as a little-endian uint64,
// the bytes and a newline.

// maxBinaryField is the largest declared length believed: the journal itself stores no field
// anywhere near it, so a larger one means the stream is not export format.
const maxBinaryField = 1 << 30

// maxFieldName is the longest field name the journal allows.
const maxFieldName = 64

// errNotExport reports bytes that are not the export format (wrapped with what was wrong).
var errNotExport = errors.New("not journal export format")

// field is one field of an entry; value is valid until the next call of next.
type field struct {
	name  string
	value []byte
}

// entry is one journal entry.
type entry struct {
	fields    []field
	truncated int // fields cut at max_field_bytes
}

// exportReader reads entries. Every value is bounded by max bytes; what is beyond it is read
// and discarded, so one huge field costs no more memory than max.
type exportReader struct {
	br    *bufio.Reader
	max   int
	names map[string]string // field names seen, so that each costs one allocation in all
	buf   []byte            // the values of the current entry
	spans []valueSpan       // where each of them is in buf
	long  []byte            // a line longer than br's buffer
	off   int64             // bytes consumed, for error messages
}

// valueSpan is where a field's value is in exportReader.buf.
type valueSpan struct{ off, n int }

func newExportReader(r io.Reader, max int) *exportReader {
	return &exportReader{br: bufio.NewReaderSize(r, 64<<10), max: max, names: map[string]string{}}
}

// next reads the next entry into e. It returns io.EOF at the end of the stream between
// entries, io.ErrUnexpectedEOF inside one, and an error wrapping errNotExport for bytes that
// are not the format; the stream cannot be read further after that.
func (r *exportReader) next(e *entry) error {
	e.fields, e.truncated = e.fields[:0], 0
	r.buf = r.buf[:0]
	spans := r.spans[:0]
	defer func() { r.spans = spans }()
	for {
		line, cut, err := r.line()
		if err != nil {
			if errors.Is(err, io.EOF) && len(spans) > 0 {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if len(line) == 0 && !cut {
			if len(spans) == 0 {
				continue // blank lines between entries
			}
			break
		}
		var value []byte
		var name string
		if i := bytes.IndexByte(line, '='); i >= 0 {
			if name = r.name(line[:i]); name == "" {
				return r.notExport("field name %q", trimmed(line[:i]))
			}
			if value = line[i+1:]; cut || len(value) > r.max {
				value = value[:min(len(value), r.max)]
				e.truncated++
			}
		} else {
			if cut || len(line) > maxFieldName {
				return r.notExport("a line of %d bytes without '='", len(line))
			}
			if name = r.name(line); name == "" {
				return r.notExport("field name %q", trimmed(line))
			}
			var trunc bool
			if value, trunc, err = r.binary(); err != nil {
				return err
			}
			if trunc {
				e.truncated++
			}
		}
		spans = append(spans, valueSpan{len(r.buf), len(value)})
		r.buf = append(r.buf, value...)
		e.fields = append(e.fields, field{name: name})
	}
	for i, s := range spans {
		e.fields[i].value = r.buf[s.off : s.off+s.n : s.off+s.n]
	}
	return nil
}

// line reads one line without its newline, at most a field name, "=" and max bytes of it;
// cut reports that the rest was discarded. The line is valid until the next read.
func (r *exportReader) line() (line []byte, cut bool, err error) {
	b, err := r.br.ReadSlice('\n')
	r.off += int64(len(b))
	switch {
	case err == nil:
		return b[:len(b)-1], false, nil
	case errors.Is(err, io.EOF) && len(b) == 0:
		return nil, false, io.EOF
	case errors.Is(err, io.EOF):
		return nil, false, io.ErrUnexpectedEOF
	case !errors.Is(err, bufio.ErrBufferFull):
		return nil, false, err
	}
	// Longer than the buffer: keep what a value of max bytes needs (and one byte more, to
	// tell), discard the rest.
	limit := maxFieldName + 1 + r.max
	r.long = append(r.long[:0], b...)
	for {
		b, err = r.br.ReadSlice('\n')
		r.off += int64(len(b))
		done := err == nil
		if done {
			b = b[:len(b)-1]
		} else if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, false, io.ErrUnexpectedEOF
		}
		if room := limit + 1 - len(r.long); room > 0 {
			r.long = append(r.long, b[:min(room, len(b))]...)
		}
		if done {
			break
		}
	}
	if len(r.long) > limit {
		return r.long[:limit], true, nil
	}
	return r.long, false, nil
}

// binary reads a binary value: its length, the bytes (at most max kept) and the newline.
func (r *exportReader) binary() (value []byte, truncated bool, err error) {
	var size [8]byte
	if _, err := io.ReadFull(r.br, size[:]); err != nil {
		return nil, false, io.ErrUnexpectedEOF
	}
	r.off += 8
	n := binary.LittleEndian.Uint64(size[:])
	if n > maxBinaryField {
		return nil, false, r.notExport("a binary field of %d bytes", n)
	}
	keep := min(int(n), r.max)
	value = make([]byte, keep)
	if _, err := io.ReadFull(r.br, value); err != nil {
		return nil, false, io.ErrUnexpectedEOF
	}
	if rest := int64(n) - int64(keep); rest > 0 {
		if _, err := r.br.Discard(int(rest)); err != nil {
			return nil, false, io.ErrUnexpectedEOF
		}
	}
	r.off += int64(n)
	nl, err := r.br.ReadByte()
	if err != nil {
		return nil, false, io.ErrUnexpectedEOF
	}
	r.off++
	if nl != '\n' {
		return nil, false, r.notExport("a binary field not followed by a newline")
	}
	return value, keep < int(n), nil
}

// name returns the field name b as a shared string, or "" when b is not a field name.
func (r *exportReader) name(b []byte) string {
	if s, ok := r.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if !validFieldName(s) {
		return ""
	}
	if len(r.names) < 4096 {
		r.names[s] = s
	}
	return s
}

func (r *exportReader) notExport(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", errNotExport, r.off, fmt.Sprintf(format, args...))
}

// trimmed shortens b for an error message.
func trimmed(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}
