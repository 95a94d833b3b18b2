package avrorpc

import (
	"fmt"

	"github.com/flumego/flumego/channel"
)

// The messages of AvroSourceProtocol.
const (
	MessageAppend      = "append"      // append(event: AvroFlumeEvent): Status
	MessageAppendBatch = "appendBatch" // appendBatch(events: array<AvroFlumeEvent>): Status
)

// Status is the answer of append and appendBatch.
type Status int

// Flume's Status enum, in its order.
const (
	StatusOK Status = iota
	StatusFailed
	StatusUnknown
)

func (s Status) String() string {
	switch s {
	case StatusOK:
		return "OK"
	case StatusFailed:
		return "FAILED"
	case StatusUnknown:
		return "UNKNOWN"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Limits bound what one request may hold; the frame itself is bounded by ReadFrame's maxBytes.
type Limits struct {
	// MaxEvents is the most events of one appendBatch.
	MaxEvents int
	// MaxHeaders is the most header entries of all the events of one request together: maps
	// cost several times the bytes of their entries, so they are counted before they are built.
	MaxHeaders int
}

// DefaultMaxHeaders is the default Limits.MaxHeaders: with the frame size it bounds what a
// request's header maps can cost to about a hundred megabytes.
const DefaultMaxHeaders = 1 << 20

// RequestHead is what precedes a call's parameters.
type RequestHead struct {
	// Handshake is set when the request carried one (the caller said to expect it).
	Handshake *HandshakeRequest
	Meta      map[string][]byte
	Message   string
}

// ReadRequestHead reads the head of a request: the handshake when withHandshake (the
// connection's handshake is still pending), the call meta and the message name. The
// parameters follow in d.
func ReadRequestHead(d *Decoder, withHandshake bool) (RequestHead, error) {
	var h RequestHead
	var err error
	if withHandshake {
		if h.Handshake, err = ReadHandshakeRequest(d); err != nil {
			return h, fmt.Errorf("handshake: %w", err)
		}
	}
	if h.Meta, err = readBytesMap(d); err != nil {
		return h, fmt.Errorf("call meta: %w", err)
	}
	if h.Message, err = d.String(); err != nil {
		return h, fmt.Errorf("message name: %w", err)
	}
	return h, nil
}

// eventHeaderMinSize is the fewest bytes one header entry takes (an empty key and value).
const eventHeaderMinSize = 2

// eventMinSize is the fewest bytes one event takes (no headers, an empty body).
const eventMinSize = 2

// readEvent reads one AvroFlumeEvent into e, counting its headers against *headers. Bodies
// and header strings share the message (see Decoder).
func readEvent(d *Decoder, e *channel.Event, headers *int) error {
	for {
		n, err := d.BlockCount(eventHeaderMinSize)
		if err != nil {
			return fmt.Errorf("headers: %w", err)
		}
		if n == 0 {
			break
		}
		if n > *headers {
			return malformed("more header entries than the limit")
		}
		*headers -= n
		if e.Headers == nil {
			e.Headers = make(map[string]string, n)
		}
		for range n {
			k, err := d.String()
			if err != nil {
				return fmt.Errorf("header name: %w", err)
			}
			v, err := d.String()
			if err != nil {
				return fmt.Errorf("header value: %w", err)
			}
			e.Headers[k] = v
		}
	}
	body, err := d.Bytes()
	if err != nil {
		return fmt.Errorf("body: %w", err)
	}
	e.Body = body
	return nil
}

// ReadEvents reads the parameters of a call of message: one event for append, the array for
// appendBatch; the events are appended to dst. Every byte of the message must be used.
func ReadEvents(d *Decoder, message string, lim Limits, dst []channel.Event) ([]channel.Event, error) {
	headers := lim.MaxHeaders
	switch message {
	case MessageAppend:
		var e channel.Event
		if err := readEvent(d, &e, &headers); err != nil {
			return dst, fmt.Errorf("append: %w", err)
		}
		dst = append(dst, e)
	case MessageAppendBatch:
		total := 0
		for {
			n, err := d.BlockCount(eventMinSize)
			if err != nil {
				return dst, fmt.Errorf("appendBatch: %w", err)
			}
			if n == 0 {
				break
			}
			total += n
			if total > lim.MaxEvents {
				return dst, fmt.Errorf("appendBatch: %w", malformed("more than %d events (max_batch_events)", lim.MaxEvents))
			}
			dst = growEvents(dst, n)
			for range n {
				dst = append(dst, channel.Event{})
				if err := readEvent(d, &dst[len(dst)-1], &headers); err != nil {
					return dst[:len(dst)-1], fmt.Errorf("appendBatch: event %d: %w", len(dst)-1, err)
				}
			}
		}
	default:
		return dst, malformed("unknown message %q", message)
	}
	if d.Remaining() != 0 {
		return dst, malformed("%d bytes after the %s parameters", d.Remaining(), message)
	}
	return dst, nil
}

func growEvents(s []channel.Event, n int) []channel.Event {
	if cap(s)-len(s) >= n {
		return s
	}
	ns := make([]channel.Event, len(s), len(s)+n)
	copy(ns, s)
	return ns
}

// AppendEvent appends one AvroFlumeEvent.
func AppendEvent(dst []byte, e *channel.Event) []byte {
	dst = AppendStringMap(dst, e.Headers)
	return AppendBytes(dst, e.Body)
}

// BuildRequest builds the frame of one call of message in fb, split into two buffers as Java
// does: [handshake] + call meta + message name, then the parameters. For MessageAppend events
// must hold one event; for MessageAppendBatch they are written as one array block.
func BuildRequest(fb *FrameBuilder, serial int32, hs *HandshakeRequest, message string, events []channel.Event) {
	fb.Begin(serial)
	fb.StartBuffer()
	if hs != nil {
		fb.Buf = AppendHandshakeRequest(fb.Buf, hs)
	}
	fb.Buf = append(fb.Buf, 0) // call meta: empty map
	fb.Buf = AppendString(fb.Buf, message)
	fb.EndBuffer()
	fb.StartBuffer()
	if message == MessageAppend {
		fb.Buf = AppendEvent(fb.Buf, &events[0])
	} else {
		if len(events) > 0 {
			fb.Buf = AppendLong(fb.Buf, int64(len(events)))
			for i := range events {
				fb.Buf = AppendEvent(fb.Buf, &events[i])
			}
		}
		fb.Buf = append(fb.Buf, 0)
	}
	fb.EndBuffer()
}

// BuildResponse builds the answer to a call in fb, in the three buffers Java writes: the
// handshake response (empty when hs is nil), the response meta, then the error flag and the
// Status.
func BuildResponse(fb *FrameBuilder, serial int32, hs *HandshakeResponse, status Status) {
	buildResponseHead(fb, serial, hs)
	fb.StartBuffer()
	fb.Buf = append(fb.Buf, 0)
	fb.Buf = AppendLong(fb.Buf, int64(status))
	fb.EndBuffer()
}

// BuildErrorResponse builds an error answer: the error flag, then the string branch of the
// error union holding msg.
func BuildErrorResponse(fb *FrameBuilder, serial int32, hs *HandshakeResponse, msg string) {
	buildResponseHead(fb, serial, hs)
	fb.StartBuffer()
	fb.Buf = append(fb.Buf, 1, 0)
	fb.Buf = AppendString(fb.Buf, msg)
	fb.EndBuffer()
}

func buildResponseHead(fb *FrameBuilder, serial int32, hs *HandshakeResponse) {
	fb.Begin(serial)
	fb.StartBuffer()
	if hs != nil {
		fb.Buf = AppendHandshakeResponse(fb.Buf, hs)
	}
	fb.EndBuffer()
	fb.Buffer([]byte{0}) // response meta: empty map
}

// BuildHandshakeOnly builds the answer to a call whose handshake failed (NONE): the handshake
// response alone, no call response follows.
func BuildHandshakeOnly(fb *FrameBuilder, serial int32, hs *HandshakeResponse) {
	fb.Begin(serial)
	fb.StartBuffer()
	fb.Buf = AppendHandshakeResponse(fb.Buf, hs)
	fb.EndBuffer()
}

// Response is a decoded answer to a call.
type Response struct {
	Handshake *HandshakeResponse // when one was expected
	Meta      map[string][]byte
	// IsError marks an error answer; Error is its message. Otherwise Status is the answer.
	IsError bool
	Error   string
	Status  Status
}

// ReadResponse reads an answer. withHandshake says the call carried a handshake; when the
// handshake's match is NONE nothing follows it and the call was not executed.
func ReadResponse(payload []byte, withHandshake bool) (*Response, error) {
	d := NewDecoder(payload)
	r := &Response{}
	var err error
	if withHandshake {
		if r.Handshake, err = ReadHandshakeResponse(d); err != nil {
			return nil, fmt.Errorf("handshake: %w", err)
		}
		if r.Handshake.Match == MatchNone {
			return r, nil
		}
	}
	if r.Meta, err = readBytesMap(d); err != nil {
		return nil, fmt.Errorf("response meta: %w", err)
	}
	if r.IsError, err = d.Bool(); err != nil {
		return nil, err
	}
	if r.IsError {
		// The error union of an undeclared error is ["string"]: branch 0 only.
		if _, err := d.Union(1); err != nil {
			return nil, err
		}
		if r.Error, err = d.String(); err != nil {
			return nil, err
		}
	} else {
		s, err := d.Enum(3)
		if err != nil {
			return nil, err
		}
		r.Status = Status(s)
	}
	if d.Remaining() != 0 {
		return nil, malformed("%d bytes after the response", d.Remaining())
	}
	return r, nil
}
