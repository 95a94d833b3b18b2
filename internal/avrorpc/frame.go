package avrorpc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A frame is Avro's Netty "pack", the unit of both directions:
//
//	serial int32 | n int32 | n × (len int32 | len bytes)     (big-endian)
//
// The n buffers concatenated form one Avro message; where they are split means nothing.

// ErrFrameTooLarge is returned for a frame whose buffers add up to more than the limit.
var ErrFrameTooLarge = errors.New("frame too large")

// FrameHeaderSize is the size of a frame's serial and buffer count.
const FrameHeaderSize = 8

// growStep is how much a frame's payload may grow ahead of the bytes actually received, so a
// peer that announces a large buffer and then stalls costs at most this much.
const growStep = 1 << 20

// ReadFrame reads one frame from r and appends its payload (the buffers concatenated) to
// dst[:0]. maxBytes bounds the payload plus the 4-byte length of each buffer, so neither huge
// buffers nor floods of empty ones get past it. It returns io.EOF when r ends cleanly before a
// frame, io.ErrUnexpectedEOF when it ends inside one, ErrFrameTooLarge (wrapped) beyond
// maxBytes, and r's errors otherwise. Memory grows with the bytes received: the payload is never
// more than twice what arrived plus growStep.
func ReadFrame(r *bufio.Reader, dst []byte, maxBytes int) (serial int32, payload []byte, err error) {
	return ReadFrameReserving(r, dst, maxBytes, nil)
}

// ReadFrameReserving is ReadFrame that calls reserve(n) before the payload's buffer grows by n
// bytes, so a server can bound the memory of all its connections' frames together (a budget
// that makes the call wait for room). An error from reserve ends the read and is returned.
func ReadFrameReserving(r *bufio.Reader, dst []byte, maxBytes int, reserve func(n int) error) (serial int32, payload []byte, err error) {
	var hdr [FrameHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	serial = int32(binary.BigEndian.Uint32(hdr[0:4]))
	n := int64(int32(binary.BigEndian.Uint32(hdr[4:8])))
	if n < 0 || n > int64(maxBytes/4) {
		return serial, nil, fmt.Errorf("%w: %d buffers (limit %d bytes)", ErrFrameTooLarge, n, maxBytes)
	}
	payload = dst[:0]
	budget := int64(maxBytes)
	for i := int64(0); i < n; i++ {
		var lb [4]byte
		if _, err := io.ReadFull(r, lb[:]); err != nil {
			return serial, nil, unexpected(err)
		}
		l := int64(int32(binary.BigEndian.Uint32(lb[:])))
		budget -= 4
		if l < 0 || l > budget {
			return serial, nil, fmt.Errorf("%w: buffer of %d bytes (limit %d bytes)", ErrFrameTooLarge, l, maxBytes)
		}
		budget -= l
		if payload, err = readN(r, payload, int(l), reserve); err != nil {
			return serial, nil, unexpected(err)
		}
	}
	return serial, payload, nil
}

// readN appends exactly n bytes from r to dst, growing dst at most growStep ahead of the
// bytes received, each growth reserved first when reserve is set.
func readN(r *bufio.Reader, dst []byte, n int, reserve func(int) error) ([]byte, error) {
	for n > 0 {
		if cap(dst)-len(dst) < min(n, growStep) {
			extra := min(n, max(growStep, len(dst)))
			if reserve != nil {
				if err := reserve(len(dst) + extra - cap(dst)); err != nil {
					return dst, err
				}
			}
			dst = grow(dst, extra)
		}
		k := min(n, cap(dst)-len(dst))
		m, err := io.ReadFull(r, dst[len(dst):len(dst)+k])
		dst = dst[:len(dst)+m]
		n -= m
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// grow returns b with room for at least extra more bytes.
func grow(b []byte, extra int) []byte {
	nb := make([]byte, len(b), len(b)+extra)
	copy(nb, b)
	return nb
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// FrameBuilder builds one outgoing frame in a reusable buffer: Begin, then for each buffer
// StartBuffer, append its bytes to Buf, EndBuffer; then Bytes is the frame to write in one
// call (one write per frame, as the deflate layer flushes once per write).
type FrameBuilder struct {
	Buf   []byte
	count int // buffers so far
	start int // offset of the current buffer's length field, or -1
}

// Begin starts a frame with serial, discarding the previous one.
func (f *FrameBuilder) Begin(serial int32) {
	f.Buf = binary.BigEndian.AppendUint32(f.Buf[:0], uint32(serial))
	f.Buf = append(f.Buf, 0, 0, 0, 0)
	f.count, f.start = 0, -1
}

// StartBuffer opens a buffer; its bytes are what is appended to Buf until EndBuffer.
func (f *FrameBuilder) StartBuffer() {
	f.start = len(f.Buf)
	f.Buf = append(f.Buf, 0, 0, 0, 0)
}

// EndBuffer closes the open buffer.
func (f *FrameBuilder) EndBuffer() {
	binary.BigEndian.PutUint32(f.Buf[f.start:], uint32(len(f.Buf)-f.start-4))
	f.count++
	f.start = -1
}

// Buffer adds a whole buffer.
func (f *FrameBuilder) Buffer(b []byte) {
	f.StartBuffer()
	f.Buf = append(f.Buf, b...)
	f.EndBuffer()
}

// Bytes returns the finished frame.
func (f *FrameBuilder) Bytes() []byte {
	binary.BigEndian.PutUint32(f.Buf[4:], uint32(f.count))
	return f.Buf
}
