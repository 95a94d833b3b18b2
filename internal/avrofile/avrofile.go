// Package avrofile writes and reads Avro object container files of Flume events, the format of
// Flume's avro_event serializer: the record {headers: map<string>, body: bytes}, in blocks
// each followed by the file's sync marker, optionally compressed (null, deflate or snappy).
//
// It is deliberately minimal (one fixed schema, no schema resolution) and separate from the
// agent-to-agent Avro RPC codec; the two could share the binary primitives later.
package avrofile

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/snappy"
)

// Schema is Flume's event schema (FlumeEventAvroEventSerializer).
const Schema = `{"type":"record","name":"Event","fields":[{"name":"headers","type":{"type":"map","values":"string"}},{"name":"body","type":"bytes"}]}`

var magic = []byte{'O', 'b', 'j', 1}

// Codecs are the block codecs supported, by their Avro names.
var Codecs = []string{"null", "deflate", "snappy"}

// Event is one Flume event.
type Event struct {
	Headers map[string]string
	Body    []byte
}

// Writer appends events to a container file. A block ends when it reaches the sync interval
// and at every Flush, so what was flushed is a complete, readable file. Not safe for
// concurrent use.
type Writer struct {
	w            io.Writer
	codec        string
	sync         [16]byte
	syncInterval int

	block []byte // encoded records of the open block
	count int
	out   []byte // scratch for the framed block
	zbuf  bytes.Buffer
	fw    *flate.Writer
}

// NewWriter writes a container header to w and returns a writer for its blocks. codec is
// "null", "deflate" or "snappy"; syncInterval is the uncompressed size at which a block ends
// (Flume's syncIntervalBytes, 2048000).
func NewWriter(w io.Writer, codec string, syncInterval int) (*Writer, error) {
	aw := &Writer{w: w, codec: codec, syncInterval: syncInterval}
	switch codec {
	case "null", "snappy":
	case "deflate":
		fw, err := flate.NewWriter(&aw.zbuf, flate.DefaultCompression)
		if err != nil {
			return nil, err
		}
		aw.fw = fw
	default:
		return nil, fmt.Errorf("avro: unknown codec %q", codec)
	}
	if _, err := rand.Read(aw.sync[:]); err != nil {
		return nil, err
	}
	h := append([]byte(nil), magic...)
	h = binary.AppendVarint(h, 2) // metadata map: two entries
	h = appendString(h, "avro.schema")
	h = appendString(h, Schema)
	h = appendString(h, "avro.codec")
	h = appendString(h, codec)
	h = binary.AppendVarint(h, 0)
	h = append(h, aw.sync[:]...)
	if _, err := w.Write(h); err != nil {
		return nil, err
	}
	return aw, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendVarint(b, int64(len(s)))
	return append(b, s...)
}

// Append adds one event to the open block, ending it when it reached the sync interval.
func (w *Writer) Append(headers map[string]string, body []byte) error {
	if len(headers) > 0 {
		w.block = binary.AppendVarint(w.block, int64(len(headers)))
		for k, v := range headers {
			w.block = appendString(w.block, k)
			w.block = appendString(w.block, v)
		}
	}
	w.block = binary.AppendVarint(w.block, 0)
	w.block = binary.AppendVarint(w.block, int64(len(body)))
	w.block = append(w.block, body...)
	w.count++
	if len(w.block) >= w.syncInterval {
		return w.Flush()
	}
	return nil
}

// Flush writes the open block, if it holds any event, with its sync marker.
func (w *Writer) Flush() error {
	if w.count == 0 {
		return nil
	}
	data := w.block
	switch w.codec {
	case "deflate":
		w.zbuf.Reset()
		w.fw.Reset(&w.zbuf)
		if _, err := w.fw.Write(data); err != nil {
			return err
		}
		if err := w.fw.Close(); err != nil {
			return err
		}
		data = w.zbuf.Bytes()
	case "snappy":
		enc := snappy.Encode(w.zbuf.AvailableBuffer()[:0], data)
		data = binary.BigEndian.AppendUint32(enc, crc32.ChecksumIEEE(w.block))
	}
	out := binary.AppendVarint(w.out[:0], int64(w.count))
	out = binary.AppendVarint(out, int64(len(data)))
	out = append(out, data...)
	out = append(out, w.sync[:]...)
	w.out = out
	w.block, w.count = w.block[:0], 0
	_, err := w.w.Write(out)
	return err
}

// ErrTruncated reports a container that ends inside its header or a block.
var ErrTruncated = errors.New("avro: truncated container")

// Reader reads a container file block by block.
type Reader struct {
	r     *countingReader
	codec string
	sync  [16]byte
	valid int64 // offset just past the last complete block (or the header)
}

type countingReader struct {
	r io.ByteReader
	n int64
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

func (c *countingReader) full(n int64) ([]byte, error) {
	if n < 0 || n > 1<<30 {
		return nil, fmt.Errorf("avro: implausible length %d", n)
	}
	// Grow as bytes arrive: a corrupt length must not allocate a gigabyte up front.
	buf := make([]byte, 0, min(n, 64<<10))
	for range n {
		b, err := c.ReadByte()
		if err != nil {
			return nil, ErrTruncated
		}
		buf = append(buf, b)
	}
	return buf, nil
}

func (c *countingReader) long() (int64, error) {
	v, err := binary.ReadVarint(c)
	if err != nil {
		return 0, ErrTruncated
	}
	return v, nil
}

// NewReader reads the container header from r. It returns ErrTruncated when r ends inside the
// header.
func NewReader(r io.Reader) (*Reader, error) {
	br, ok := r.(io.ByteReader)
	if !ok {
		br = bufioReader(r)
	}
	cr := &countingReader{r: br}
	m, err := cr.full(4)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(m, magic) {
		return nil, errors.New("avro: not an object container file")
	}
	meta := map[string]string{}
	for {
		n, err := cr.long()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		if n < 0 {
			if _, err := cr.long(); err != nil { // the block's size in bytes
				return nil, err
			}
			n = -n
		}
		for range n {
			kl, err := cr.long()
			if err != nil {
				return nil, err
			}
			k, err := cr.full(kl)
			if err != nil {
				return nil, err
			}
			vl, err := cr.long()
			if err != nil {
				return nil, err
			}
			v, err := cr.full(vl)
			if err != nil {
				return nil, err
			}
			meta[string(k)] = string(v)
		}
	}
	s, err := cr.full(16)
	if err != nil {
		return nil, err
	}
	rd := &Reader{r: cr, codec: meta["avro.codec"]}
	if rd.codec == "" {
		rd.codec = "null"
	}
	copy(rd.sync[:], s)
	rd.valid = cr.n
	return rd, nil
}

// Valid is the length of the prefix read so far that ends with a complete block (or the
// header): a torn container cut there is whole again.
func (r *Reader) Valid() int64 { return r.valid }

// Next reads the next block and returns its events; io.EOF at a clean end, ErrTruncated when
// the file ends inside a block, another error when the block is corrupt.
func (r *Reader) Next() ([]Event, error) {
	count, err := binary.ReadVarint(r.r)
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, ErrTruncated
	}
	size, err := r.r.long()
	if err != nil {
		return nil, err
	}
	data, err := r.r.full(size)
	if err != nil {
		return nil, err
	}
	s, err := r.r.full(16)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(s, r.sync[:]) {
		return nil, errors.New("avro: sync marker mismatch")
	}
	switch r.codec {
	case "null":
	case "deflate":
		data, err = io.ReadAll(flate.NewReader(bytes.NewReader(data)))
		if err != nil {
			return nil, fmt.Errorf("avro: deflate block: %w", err)
		}
	case "snappy":
		if len(data) < 4 {
			return nil, errors.New("avro: short snappy block")
		}
		sum := binary.BigEndian.Uint32(data[len(data)-4:])
		data, err = snappy.Decode(nil, data[:len(data)-4])
		if err != nil {
			return nil, fmt.Errorf("avro: snappy block: %w", err)
		}
		if crc32.ChecksumIEEE(data) != sum {
			return nil, errors.New("avro: snappy block checksum mismatch")
		}
	default:
		return nil, fmt.Errorf("avro: unknown codec %q", r.codec)
	}
	evs, err := decodeEvents(data, count)
	if err != nil {
		return nil, err
	}
	r.valid = r.r.n
	return evs, nil
}

func decodeEvents(data []byte, count int64) ([]Event, error) {
	cr := &countingReader{r: bytes.NewReader(data)}
	bad := errors.New("avro: malformed event record")
	if count < 0 || count > int64(len(data)) { // every record takes at least two bytes
		return nil, bad
	}
	evs := make([]Event, 0, count)
	for range count {
		var ev Event
		for {
			n, err := cr.long()
			if err != nil {
				return nil, bad
			}
			if n == 0 {
				break
			}
			if n < 0 {
				if _, err := cr.long(); err != nil {
					return nil, bad
				}
				n = -n
			}
			if ev.Headers == nil {
				ev.Headers = map[string]string{}
			}
			for range n {
				var kv [2][]byte
				for i := range kv {
					l, err := cr.long()
					if err != nil {
						return nil, bad
					}
					if kv[i], err = cr.full(l); err != nil {
						return nil, bad
					}
				}
				ev.Headers[string(kv[0])] = string(kv[1])
			}
		}
		l, err := cr.long()
		if err != nil {
			return nil, bad
		}
		if ev.Body, err = cr.full(l); err != nil {
			return nil, bad
		}
		evs = append(evs, ev)
	}
	if cr.n != int64(len(data)) {
		return nil, bad
	}
	return evs, nil
}

// ReadAll reads every event of a container.
func ReadAll(r io.Reader) ([]Event, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	var out []Event
	for {
		evs, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, evs...)
	}
}

// ValidPrefix returns the length of the longest prefix of r that is a whole container (its
// header and complete blocks) and the events in it; 0 when even the header is incomplete.
// Recovery cuts a torn file to that length.
func ValidPrefix(r io.Reader) (int64, int, error) {
	rd, err := NewReader(r)
	if errors.Is(err, ErrTruncated) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	events := 0
	for {
		evs, err := rd.Next()
		if err != nil {
			// The end, a torn block or a corrupt one: what precedes it is whole.
			return rd.Valid(), events, nil
		}
		events += len(evs)
	}
}
