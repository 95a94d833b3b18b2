package avrorpc

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/avrorpc/avrotest"
)

// fuzzLimits are small, so the fuzzer reaches them.
var fuzzLimits = Limits{MaxEvents: 64, MaxHeaders: 128}

const fuzzMaxFrame = 64 << 10

func addCaptureSeeds(f *testing.F) {
	for _, name := range []string{"01-appendBatch-2events-handshake-BOTH.log", "02-handshake-NONE-then-resend.log",
		"03-two-appends-same-connection.log", "04-server-system-error.log", "05-flume-sdk-client-batch-size-3.log"} {
		for _, c := range readCaptureF(f, name) {
			f.Add(c.Bytes)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0})
}

func readCaptureF(f *testing.F, name string) []avrotest.Chunk {
	return readCapture(f, name)
}

// FuzzFrame feeds arbitrary bytes to everything that reads the network: the frame reader, then
// the request decoder (with and without a handshake) and the response decoder. Nothing may
// panic, the limits must hold, and a request that decodes must re-encode to one that decodes
// to the same events.
func FuzzFrame(f *testing.F) {
	addCaptureSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReader(bytes.NewReader(data))
		_, payload, err := ReadFrame(br, nil, fuzzMaxFrame)
		if err != nil {
			if len(payload) != 0 {
				t.Fatal("payload returned with an error")
			}
			return
		}
		if len(payload) > fuzzMaxFrame {
			t.Fatalf("payload of %d bytes beyond the limit", len(payload))
		}
		for _, hs := range []bool{true, false} {
			checkRequest(t, payload, hs)
			_, _ = ReadResponse(payload, hs)
		}
	})
}

// FuzzMessage skips the framing and decodes arbitrary messages directly.
func FuzzMessage(f *testing.F) {
	for _, name := range []string{"01-appendBatch-2events-handshake-BOTH.log", "05-flume-sdk-client-batch-size-3.log"} {
		for _, c := range readCaptureF(f, name) {
			if len(c.Bytes) > 8 {
				_, payload, err := ReadFrame(bufio.NewReader(bytes.NewReader(c.Bytes)), nil, 1<<20)
				if err == nil {
					f.Add(payload)
				}
			}
		}
	}
	// A negative block count (|count| items preceded by the block's byte size), as Java may read.
	f.Add([]byte{0, 0x16, 'a', 'p', 'p', 'e', 'n', 'd', 'B', 'a', 't', 'c', 'h', 3, 4, 0, 2, 'x', 0})
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, hs := range []bool{true, false} {
			checkRequest(t, payload, hs)
			_, _ = ReadResponse(payload, hs)
		}
	})
}

func checkRequest(t *testing.T, payload []byte, withHandshake bool) {
	d := NewDecoder(payload)
	head, err := ReadRequestHead(d, withHandshake)
	if err != nil {
		return
	}
	events, err := ReadEvents(d, head.Message, fuzzLimits, nil)
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("decoding error that is not ErrMalformed: %v", err)
		}
		return
	}
	if len(events) > fuzzLimits.MaxEvents {
		t.Fatalf("%d events beyond the limit", len(events))
	}
	n := 0
	for _, e := range events {
		n += len(e.Headers)
	}
	if n > fuzzLimits.MaxHeaders {
		t.Fatalf("%d headers beyond the limit", n)
	}
	var fb FrameBuilder
	BuildRequest(&fb, 7, head.Handshake, head.Message, events)
	_, again, err := ReadFrame(bufio.NewReader(bytes.NewReader(fb.Bytes())), nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	d2 := NewDecoder(again)
	head2, err := ReadRequestHead(d2, withHandshake)
	if err != nil {
		t.Fatalf("re-encoded request: %v", err)
	}
	events2, err := ReadEvents(d2, head2.Message, fuzzLimits, nil)
	if err != nil {
		t.Fatalf("re-encoded request: %v", err)
	}
	if !reflect.DeepEqual(normalize(events), normalize(events2)) || !reflect.DeepEqual(head.Handshake, head2.Handshake) {
		t.Fatalf("round trip changed the request:\n%+v\n%+v", events, events2)
	}
}

// normalize makes empty bodies comparable (nil and empty decode alike).
func normalize(events []channel.Event) []channel.Event {
	out := make([]channel.Event, len(events))
	for i, e := range events {
		out[i] = channel.Event{Headers: e.Headers, Body: append([]byte{}, e.Body...)}
	}
	return out
}

func FuzzLong(f *testing.F) {
	for _, v := range []int64{0, -1, 1, 63, -64, 64, 1 << 62, -1 << 63, 1<<63 - 1} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v int64) {
		b := AppendLong(nil, v)
		if len(b) > 10 {
			t.Fatalf("%d encoded in %d bytes", v, len(b))
		}
		d := NewDecoder(b)
		got, err := d.Long()
		if err != nil || got != v || d.Remaining() != 0 {
			t.Fatalf("%d encoded as %x decoded as %d, %v", v, b, got, err)
		}
	})
}

// TestReadFrameAllocatesOnlyWhatArrives: a peer announcing a huge buffer and sending little
// costs little memory, whatever the limit.
func TestReadFrameAllocatesOnlyWhatArrives(t *testing.T) {
	frame := []byte{0, 0, 0, 1, 0, 0, 0, 1, 0x40, 0, 0, 0} // one buffer of 1 GiB ...
	frame = append(frame, make([]byte, 100)...)            // ... of which 100 bytes arrive
	allocs := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			_, _, err := ReadFrame(bufio.NewReader(bytes.NewReader(frame)), nil, 2<<30)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				b.Fatalf("err = %v", err)
			}
		}
	})
	if per := allocs.AllocedBytesPerOp(); per > 2*growStep {
		t.Fatalf("a truncated 1 GiB frame allocated %d bytes", per)
	}
}

// TestReadFrameReservingReservesEveryGrowthFirst: what the payload's buffer holds was reserved
// before it was allocated, and a refusal ends the read.
func TestReadFrameReservingReservesEveryGrowthFirst(t *testing.T) {
	var fb FrameBuilder
	fb.Begin(7)
	for i := range 40 { // 40 buffers of 100KiB: the payload grows several times
		fb.Buffer(bytes.Repeat([]byte{byte(i)}, 100<<10))
	}
	frame := append([]byte(nil), fb.Bytes()...)
	reserved := 0
	_, payload, err := ReadFrameReserving(bufio.NewReader(bytes.NewReader(frame)), nil, 64<<20, func(n int) error {
		reserved += n
		return nil
	})
	if err != nil || len(payload) != 40*100<<10 {
		t.Fatalf("payload of %d bytes, %v", len(payload), err)
	}
	if reserved != cap(payload) {
		t.Fatalf("reserved %d bytes for a buffer of %d", reserved, cap(payload))
	}
	refused := errors.New("no room")
	_, _, err = ReadFrameReserving(bufio.NewReader(bytes.NewReader(frame)), nil, 64<<20, func(int) error { return refused })
	if !errors.Is(err, refused) {
		t.Fatalf("err = %v, want the reservation's refusal", err)
	}
}

func TestReadFrameLimits(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"empty stream", nil, io.EOF},
		{"truncated header", []byte{0, 0, 0}, io.ErrUnexpectedEOF},
		{"negative buffer count", []byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}, ErrFrameTooLarge},
		{"absurd buffer count", []byte{0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff}, ErrFrameTooLarge},
		{"negative length", []byte{0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe}, ErrFrameTooLarge},
		{"buffer beyond the limit", []byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 4, 0}, ErrFrameTooLarge},
		{"empty buffers add up", append([]byte{0, 0, 0, 1, 0, 0, 1, 0}, make([]byte, 4*256)...), ErrFrameTooLarge},
		{"truncated buffer", []byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 1, 2}, io.ErrUnexpectedEOF},
		{"a frame", []byte{0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 'a', 0, 0, 0, 0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadFrame(bufio.NewReader(bytes.NewReader(tt.frame)), nil, 1000)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReadEventsLimitsAndEncodings(t *testing.T) {
	head := AppendString([]byte{0}, MessageAppendBatch)
	batch := func(parts ...[]byte) []byte { return append(append([]byte{}, head...), bytes.Join(parts, nil)...) }
	event := AppendEvent(nil, &channel.Event{Headers: map[string]string{"k": "v"}, Body: []byte("body")})
	tests := []struct {
		name    string
		payload []byte
		lim     Limits
		events  int
		wantErr bool
	}{
		{"one block", batch(AppendLong(nil, 2), event, event, []byte{0}), Limits{10, 10}, 2, false},
		{"negative count with a byte size", batch(AppendLong(nil, -2), AppendLong(nil, int64(2*len(event))), event, event, []byte{0}), Limits{10, 10}, 2, false},
		{"two blocks", batch([]byte{2}, event, []byte{2}, event, []byte{0}), Limits{10, 10}, 2, false},
		{"too many events", batch(AppendLong(nil, 3), event, event, event, []byte{0}), Limits{2, 10}, 0, true},
		{"too many headers", batch(AppendLong(nil, 3), event, event, event, []byte{0}), Limits{10, 2}, 0, true},
		{"count beyond the bytes left", batch(AppendLong(nil, 1<<40)), Limits{1 << 50, 10}, 0, true},
		{"truncated body", batch([]byte{2, 0, 20, 'x'}), Limits{10, 10}, 0, true},
		{"missing end of array", batch([]byte{2}, event), Limits{10, 10}, 0, true},
		{"bytes after the parameters", batch([]byte{0, 0}), Limits{10, 10}, 0, true},
		{"unknown message", append(AppendString([]byte{0}, "drop"), 0), Limits{10, 10}, 0, true},
		{"overlong varint", batch(bytes.Repeat([]byte{0xff}, 11)), Limits{10, 10}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(tt.payload)
			h, err := ReadRequestHead(d, false)
			if err == nil {
				var evs []channel.Event
				evs, err = ReadEvents(d, h.Message, tt.lim, nil)
				if err == nil && len(evs) != tt.events {
					t.Fatalf("%d events, want %d", len(evs), tt.events)
				}
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("err %v is not ErrMalformed", err)
			}
		})
	}
}
