// Package avrorpc is Apache Flume's agent-to-agent wire protocol, written directly so flumego
// and Flume agents can send to each other: Avro IPC's Netty framing (a serial, then a list of
// length-prefixed buffers), the Avro binary encoding of the AvroSourceProtocol messages
// (append, appendBatch) and of the IPC handshake, the per-connection zlib stream Flume uses for
// compression_type "deflate", and a pipelining client. The avro source and sink are built on it.
//
// Every decoder here faces the network: counts and lengths are checked against what is left of
// the input and against the configured limits before anything is allocated, and a frame's
// memory grows only as its bytes actually arrive, so a peer that claims a huge frame and
// stalls costs nothing.
package avrorpc

import (
	"errors"
	"fmt"
	"math"
)

// ErrMalformed is wrapped by every decoding error caused by the peer's bytes.
var ErrMalformed = errors.New("malformed avro data")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// AppendLong appends v in Avro's zig-zag varint encoding (int and long alike).
func AppendLong(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

// AppendBytes appends an Avro bytes value: its length, then the bytes.
func AppendBytes(dst, b []byte) []byte {
	dst = AppendLong(dst, int64(len(b)))
	return append(dst, b...)
}

// AppendString appends an Avro string value (UTF-8 as given).
func AppendString(dst []byte, s string) []byte {
	dst = AppendLong(dst, int64(len(s)))
	return append(dst, s...)
}

// AppendBool appends an Avro boolean.
func AppendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// AppendStringMap appends an Avro map<string> as Java writes it: one block holding every
// entry, then the terminating zero count; an empty map is the zero count alone. Entries are
// written in Go's map order, so the bytes of a map with several entries are not deterministic.
func AppendStringMap(dst []byte, m map[string]string) []byte {
	if len(m) > 0 {
		dst = AppendLong(dst, int64(len(m)))
		for k, v := range m {
			dst = AppendString(dst, k)
			dst = AppendString(dst, v)
		}
	}
	return append(dst, 0)
}

// Decoder reads Avro binary values from one complete message. Strings it returns share one
// copy of the message (made on first use), and bytes values are sub-slices of the message
// itself, so decoding a batch costs a handful of allocations; the caller must not reuse the
// message while they are in use.
type Decoder struct {
	buf []byte
	off int
	str string // string(buf), made by the first String call
}

// NewDecoder returns a decoder over msg.
func NewDecoder(msg []byte) *Decoder { return &Decoder{buf: msg} }

// Reset makes d read msg from its start.
func (d *Decoder) Reset(msg []byte) { *d = Decoder{buf: msg} }

// Remaining is the number of bytes not yet read.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Offset is the number of bytes read so far.
func (d *Decoder) Offset() int { return d.off }

// Long reads a zig-zag varint of at most 10 bytes.
func (d *Decoder) Long() (int64, error) {
	var u uint64
	for shift := uint(0); shift < 70; shift += 7 {
		if d.off >= len(d.buf) {
			return 0, malformed("truncated varint at offset %d", d.off)
		}
		b := d.buf[d.off]
		d.off++
		if shift == 63 && b > 1 {
			return 0, malformed("varint overflows 64 bits at offset %d", d.off-1)
		}
		u |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int64(u>>1) ^ -int64(u&1), nil
		}
	}
	return 0, malformed("varint longer than 10 bytes at offset %d", d.off)
}

// Int reads an Avro int: a long that must fit 32 bits.
func (d *Decoder) Int() (int32, error) {
	v, err := d.Long()
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, malformed("int %d out of range", v)
	}
	return int32(v), nil
}

// length reads a length prefix and checks that that many bytes are left.
func (d *Decoder) length(what string) (int, error) {
	n, err := d.Long()
	if err != nil {
		return 0, err
	}
	if n < 0 || n > int64(d.Remaining()) {
		return 0, malformed("%s length %d with %d bytes left", what, n, d.Remaining())
	}
	return int(n), nil
}

// Bytes reads an Avro bytes value as a sub-slice of the message, capped so that appending to
// it cannot overwrite what follows.
func (d *Decoder) Bytes() ([]byte, error) {
	n, err := d.length("bytes")
	if err != nil {
		return nil, err
	}
	b := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	return b, nil
}

// String reads an Avro string. Its bytes are not checked for valid UTF-8 (Flume does not
// either); they travel as sent.
func (d *Decoder) String() (string, error) {
	n, err := d.length("string")
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", nil
	}
	if d.str == "" {
		d.str = string(d.buf)
	}
	s := d.str[d.off : d.off+n]
	d.off += n
	return s, nil
}

// Bool reads an Avro boolean.
func (d *Decoder) Bool() (bool, error) {
	if d.off >= len(d.buf) {
		return false, malformed("truncated boolean")
	}
	b := d.buf[d.off]
	d.off++
	switch b {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, malformed("boolean byte %#x", b)
}

// Fixed reads n raw bytes.
func (d *Decoder) Fixed(n int) ([]byte, error) {
	if n > d.Remaining() {
		return nil, malformed("truncated fixed(%d)", n)
	}
	b := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	return b, nil
}

// Enum reads an enum index and checks it against the number of symbols.
func (d *Decoder) Enum(symbols int) (int, error) {
	v, err := d.Int()
	if err != nil {
		return 0, err
	}
	if v < 0 || int(v) >= symbols {
		return 0, malformed("enum index %d of %d symbols", v, symbols)
	}
	return int(v), nil
}

// Union reads a union branch index and checks it against the number of branches.
func (d *Decoder) Union(branches int) (int, error) {
	v, err := d.Long()
	if err != nil {
		return 0, err
	}
	if v < 0 || v >= int64(branches) {
		return 0, malformed("union branch %d of %d", v, branches)
	}
	return int(v), nil
}

// BlockCount reads the item count of the next block of an array or map: 0 ends it, and a
// negative count is followed by the block's size in bytes, which is read and ignored. Each item
// takes at least minItemSize bytes, so a count that cannot fit in what is left is refused
// before the caller allocates for it.
func (d *Decoder) BlockCount(minItemSize int) (int, error) {
	n, err := d.Long()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		if n == math.MinInt64 {
			return 0, malformed("block count out of range")
		}
		n = -n
		size, err := d.Long()
		if err != nil {
			return 0, err
		}
		if size < 0 || size > int64(d.Remaining()) {
			return 0, malformed("block size %d with %d bytes left", size, d.Remaining())
		}
	}
	if n > int64(d.Remaining()/max(minItemSize, 1)) {
		return 0, malformed("block of %d items with %d bytes left", n, d.Remaining())
	}
	return int(n), nil
}
