// Package flumeevent encodes and decodes Flume's AvroFlumeEvent record, the value Flume's Kafka
// sink writes with useFlumeEventFormat and its Kafka channel stores with parseAsFlumeEvent:
//
//	{"type": "record", "name": "AvroFlumeEvent", "namespace": "org.apache.flume.source.avro",
//	 "fields": [{"name": "headers", "type": {"type": "map", "values": "string"}},
//	            {"name": "body", "type": "bytes"}]}
//
// in Avro's binary encoding with no container or schema prefix (a bare datum), so Flume agents
// and consumers reading the same topic keep working during a migration.
package flumeevent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrMalformed is returned (wrapped) for bytes that are not an AvroFlumeEvent.
var ErrMalformed = errors.New("malformed AvroFlumeEvent")

// Size returns the encoded size of an event, for sizing buffers and checking limits.
func Size(headers map[string]string, body []byte) int {
	n := 0
	if len(headers) > 0 {
		n += varintLen(int64(len(headers)))
		for k, v := range headers {
			n += varintLen(int64(len(k))) + len(k) + varintLen(int64(len(v))) + len(v)
		}
	}
	n++ // the map's terminating zero count
	return n + varintLen(int64(len(body))) + len(body)
}

// Append appends the binary encoding of the event to dst and returns the extended slice. Headers
// are written in key order, so an event always encodes to the same bytes.
func Append(dst []byte, headers map[string]string, body []byte) []byte {
	if len(headers) > 0 {
		dst = binary.AppendVarint(dst, int64(len(headers)))
		var small [16]string // most events have few headers: no allocation for them
		keys := small[:0]
		for k := range headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			dst = appendString(dst, k)
			dst = appendString(dst, headers[k])
		}
	}
	dst = append(dst, 0) // end of the map's blocks
	dst = binary.AppendVarint(dst, int64(len(body)))
	return append(dst, body...)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendVarint(dst, int64(len(s)))
	return append(dst, s...)
}

// Decode reads one encoded event. Headers is nil when the event has none. Body aliases b, so
// the caller must copy it if b is reused. Trailing bytes after the record are an error.
func Decode(b []byte) (headers map[string]string, body []byte, err error) {
	d := decoder{b: b}
	for {
		count := d.long()
		if d.err != nil || count == 0 {
			break
		}
		if count < 0 { // a block with its byte size, which we do not need
			count = -count
			d.long()
		}
		if count > int64(len(d.b)) { // every entry takes at least two bytes
			d.fail("map block of %d entries in %d bytes", count, len(d.b))
			break
		}
		if headers == nil {
			headers = make(map[string]string, count)
		}
		for range count {
			k := d.bytes()
			v := d.bytes()
			if d.err != nil {
				break
			}
			headers[string(k)] = string(v)
		}
	}
	body = d.bytes()
	if d.err == nil && len(d.b) > 0 {
		d.fail("%d bytes after the record", len(d.b))
	}
	if d.err != nil {
		return nil, nil, d.err
	}
	return headers, body, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) long() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.long()
	if d.err != nil {
		return nil
	}
	if n < 0 || n > int64(len(d.b)) || n > math.MaxInt32 {
		d.fail("length %d with %d bytes left", n, len(d.b))
		return nil
	}
	out := d.b[:n:n]
	d.b = d.b[n:]
	return out
}

func varintLen(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}
