package serializer

import (
	"bytes"
	"io"

	"github.com/flumego/flumego/channel"
)

// recordFunc encodes one event as a record, as Serializer.AppendRecord.
type recordFunc func(dst []byte, ev *channel.Event) ([]byte, error)

// lineStream writes records one after the other, each followed by a newline when nl is set: the
// stream of text, json and format. A record is encoded into a buffer the serializer shares
// between its streams, then written with one call, so an event that fails to encode writes
// nothing.
type lineStream struct {
	w      io.Writer
	record recordFunc
	nl     bool
	buf    *[]byte // the serializer's scratch, reused for every record
}

func (l *lineStream) Append(ev *channel.Event) error {
	b, err := l.record((*l.buf)[:0], ev)
	if err != nil {
		return err
	}
	if l.nl {
		b = append(b, '\n')
	}
	*l.buf = b
	_, err = l.w.Write(b)
	return err
}

// Flush has nothing to complete: every record was written whole.
func (l *lineStream) Flush() error { return nil }

// linesValidPrefix is ValidPrefix for line streams: with newlines, the prefix up to the last
// one; without, the whole file (records cannot be told apart).
func linesValidPrefix(r io.Reader, nl bool) (int64, bool, error) {
	buf := make([]byte, 256<<10)
	var off, last int64
	for {
		n, err := r.Read(buf)
		if !nl {
			last = off + int64(n)
		} else if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			last = off + int64(i) + 1
		}
		off += int64(n)
		if err == io.EOF {
			return last, last > 0, nil
		}
		if err != nil {
			return 0, false, err
		}
	}
}
