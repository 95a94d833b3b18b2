package spooldir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/flumego/flumego/channel"
)

const (
	// minReadBuffer is the smallest read buffer of the line deserializer.
	minReadBuffer = 256 << 10
	// maxBlobBatchBytes bounds the bytes of one batch of blobs.
	maxBlobBatchBytes = 64 << 20
)

// fileReader reads one spooled file from its committed offset.
type fileReader struct {
	s      *Source
	f      *os.File
	path   string
	key    fileKey
	offset int64 // up to here, the file's events committed
	events int
	spans  []span
}

// span is one line of the batch being built: the file's bytes [off, off+n).
type span struct {
	off int64
	n   int
}

// lines delivers the file's lines, a batch at a time. The read buffer is reused; each batch's
// bodies are decoded into one new slab.
func (r *fileReader) lines(ctx context.Context) error {
	s := r.s
	if s.buf == nil {
		s.buf = make([]byte, max(minReadBuffer, 2*(s.cfg.MaxLineLength+4)))
	}
	buf := s.buf
	// buf[0:w] holds the file's bytes from base; buf[lo:] is not delivered, buf[c:] not split.
	base := r.offset
	lo, c, w := 0, 0, 0
	spans := r.spans[:0]
	eof := false
	flush := func() error {
		err := r.flush(ctx, buf, base, spans, c)
		spans, lo = spans[:0], c
		return err
	}
	for {
		for len(spans) < s.cfg.Batch && c < w {
			next, ok := r.line(buf, base, c, w, eof, &spans)
			if !ok {
				break
			}
			c = next
		}
		if len(spans) >= s.cfg.Batch || eof {
			if err := flush(); err != nil {
				return err
			}
			if eof && c == w {
				return nil
			}
			continue
		}
		if lo > 0 {
			copy(buf, buf[lo:w])
			base += int64(lo)
			c, w, lo = c-lo, w-lo, 0
		}
		if w == len(buf) {
			// Full of split lines waiting for a full batch: deliver them to make room.
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		n, err := r.f.ReadAt(buf[w:], base+int64(w))
		w += n
		switch {
		case errors.Is(err, io.EOF) || n == 0 && err == nil:
			eof = true
		case err != nil:
			return &badFile{fmt.Sprintf("cannot read it: %v", err)}
		}
	}
}

// line splits the line at c; ok is false when it is not complete yet.
func (r *fileReader) line(buf []byte, base int64, c, w int, eof bool, spans *[]span) (next int, ok bool) {
	maxLine := r.s.cfg.MaxLineLength
	lim := min(w, c+maxLine+2)
	i := bytes.IndexByte(buf[c:lim], '\n')
	if i < 0 {
		if lim-c >= maxLine+2 {
			k := r.cut(buf, c)
			*spans = append(*spans, span{base + int64(c), k})
			return c + k, true
		}
		if eof && w > c {
			*spans = append(*spans, span{base + int64(c), trimCR(buf, c, w-c)})
			return w, true
		}
		return c, false
	}
	n := trimCR(buf, c, i)
	if n > maxLine {
		k := r.cut(buf, c)
		*spans = append(*spans, span{base + int64(c), k})
		return c + k, true
	}
	*spans = append(*spans, span{base + int64(c), n})
	return c + i + 1, true
}

// cut is where a line longer than max_line_length at c is split: at max_line_length bytes, or
// just before, at the start of a UTF-8 character.
func (r *fileReader) cut(buf []byte, c int) int {
	r.s.longLines.Inc()
	k := r.s.cfg.MaxLineLength
	if r.s.charset == "utf-8" {
		for j := 0; j < 3 && k > 1 && !utf8.RuneStart(buf[c+k]); j++ {
			k--
		}
		if !utf8.RuneStart(buf[c+k]) {
			k = r.s.cfg.MaxLineLength
		}
	}
	return k
}

func trimCR(buf []byte, c, i int) int {
	if i > 0 && buf[c+i-1] == '\r' {
		return i - 1
	}
	return i
}

// flush checks that the file is unchanged, decodes the batch and delivers it; a line that
// cannot be decoded (decode_error_policy "fail") ends the file after the lines before it.
func (r *fileReader) flush(ctx context.Context, buf []byte, base int64, spans []span, c int) error {
	if err := r.unchanged(); err != nil {
		return err
	}
	events, bad := r.build(buf, base, spans)
	if bad >= 0 {
		if err := r.deliver(ctx, events, spans[bad].off); err != nil {
			return err
		}
		return &badFile{fmt.Sprintf("line at offset %d is not valid %s (decode_error_policy is \"fail\")", spans[bad].off, r.s.cfg.InputCharset)}
	}
	return r.deliver(ctx, events, base+int64(c))
}

// build decodes the batch's lines into one slab; bad is the index of a line that could not be
// decoded under the "fail" policy (the events before it are returned), or -1.
func (r *fileReader) build(buf []byte, base int64, spans []span) (events []channel.Event, bad int) {
	total := 0
	for _, sp := range spans {
		total += sp.n
	}
	slab := make([]byte, 0, total)
	events = make([]channel.Event, 0, len(spans))
	for i, sp := range spans {
		k := int(sp.off - base)
		start := len(slab)
		var invalid bool
		slab, invalid = r.s.decode(slab, buf[k:k+sp.n])
		if invalid {
			r.s.decodeErrors.Inc()
			if r.s.cfg.DecodeErrorPolicy == DecodeFail {
				return events, i
			}
		}
		// Capped, so that an interceptor appending to one body cannot write into the next.
		events = append(events, channel.Event{Headers: r.s.headers(r.path), Body: slab[start:len(slab):len(slab)]})
	}
	return events, -1
}

// decode appends line, decoded from input_charset to UTF-8, to dst; invalid reports bytes
// that were not valid (replaced or dropped per the policy; nothing is appended with "fail").
func (s *Source) decode(dst, line []byte) (_ []byte, invalid bool) {
	switch s.charset {
	case "iso-8859-1":
		if ascii(line) {
			return append(dst, line...), false
		}
		for _, b := range line {
			dst = utf8.AppendRune(dst, rune(b))
		}
		return dst, false
	case "us-ascii":
		if ascii(line) {
			return append(dst, line...), false
		}
		if s.cfg.DecodeErrorPolicy == DecodeFail {
			return dst, true
		}
		for _, b := range line {
			switch {
			case b < utf8.RuneSelf:
				dst = append(dst, b)
			case s.cfg.DecodeErrorPolicy == DecodeReplace:
				dst = utf8.AppendRune(dst, utf8.RuneError)
			}
		}
		return dst, true
	default:
		if utf8.Valid(line) {
			return append(dst, line...), false
		}
		if s.cfg.DecodeErrorPolicy == DecodeFail {
			return dst, true
		}
		rep := ""
		if s.cfg.DecodeErrorPolicy == DecodeReplace {
			rep = "\uFFFD"
		}
		return append(dst, bytes.ToValidUTF8(line, []byte(rep))...), true
	}
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// blobs delivers the file as one event, or as events of max_blob_length bytes.
func (r *fileReader) blobs(ctx context.Context) error {
	s := r.s
	size := r.key.Size
	off := r.offset
	var events []channel.Event
	batchBytes := 0
	for off < size {
		n := min(int64(s.cfg.MaxBlobLength), size-off)
		b := make([]byte, n) // owned by its event
		if k, err := r.f.ReadAt(b, off); int64(k) < n {
			return &badFile{fmt.Sprintf("cannot read it: %v", err)}
		}
		if off+n < size {
			s.longLines.Inc()
		}
		events = append(events, channel.Event{Headers: s.headers(r.path), Body: b})
		off += n
		batchBytes += int(n)
		if len(events) >= s.cfg.Batch || batchBytes >= maxBlobBatchBytes {
			if err := r.unchanged(); err != nil {
				return err
			}
			if err := r.deliver(ctx, events, off); err != nil {
				return err
			}
			events, batchBytes = nil, 0
		}
	}
	if err := r.unchanged(); err != nil {
		return err
	}
	return r.deliver(ctx, events, off)
}
