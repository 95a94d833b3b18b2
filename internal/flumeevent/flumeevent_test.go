package flumeevent

import (
	"bytes"
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestEncodingMatchesAvroBinary(t *testing.T) {
	cases := []struct {
		name    string
		headers map[string]string
		body    string
		want    []byte
	}{
		// count 1 (zigzag 2), "a", "b", end of map, body of 2 bytes (zigzag 4).
		{"one header", map[string]string{"a": "b"}, "hi", []byte{2, 2, 'a', 2, 'b', 0, 4, 'h', 'i'}},
		{"no headers", nil, "x", []byte{0, 2, 'x'}},
		{"empty event", map[string]string{}, "", []byte{0, 0}},
		{"headers in key order", map[string]string{"b": "", "a": ""}, "", []byte{4, 2, 'a', 0, 2, 'b', 0, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Append(nil, c.headers, []byte(c.body))
			if !bytes.Equal(got, c.want) {
				t.Fatalf("Append = %v, want %v", got, c.want)
			}
			if n := Size(c.headers, []byte(c.body)); n != len(c.want) {
				t.Errorf("Size = %d, want %d", n, len(c.want))
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	long := strings.Repeat("v", 300) // lengths beyond one varint byte
	cases := []struct {
		headers map[string]string
		body    []byte
	}{
		{nil, []byte("body only")},
		{map[string]string{"host": "web-1", "timestamp": "1700000000000", "k": long}, []byte(long)},
		{map[string]string{"": ""}, nil},
		{nil, []byte{0, 0xff, '\n'}},
	}
	for _, c := range cases {
		enc := Append([]byte("prefix"), c.headers, c.body)
		h, b, err := Decode(enc[len("prefix"):])
		if err != nil {
			t.Fatalf("Decode(%v): %v", enc, err)
		}
		if !maps.Equal(h, c.headers) || !bytes.Equal(b, c.body) {
			t.Errorf("round trip: got %v %q, want %v %q", h, b, c.headers, c.body)
		}
		if len(c.headers) == 0 && h != nil {
			t.Errorf("headers of an event without any: %v, want nil", h)
		}
	}
}

func TestDecodeBlockWithByteSize(t *testing.T) {
	// A writer may emit a map block as a negative count followed by the block's byte size.
	enc := []byte{1, 8, 2, 'a', 2, 'b', 0, 2, 'x'}
	h, b, err := Decode(enc)
	if err != nil || h["a"] != "b" || len(h) != 1 || string(b) != "x" {
		t.Fatalf("Decode = %v %q %v", h, b, err)
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty":             {},
		"truncated body":    {0, 10, 'a'},
		"truncated header":  {2, 2, 'a'},
		"trailing bytes":    {0, 0, 'z'},
		"negative length":   {0, 1},
		"huge map count":    {0xfe, 0xff, 0xff, 0xff, 0x0f},
		"unterminated long": {0x80},
	} {
		if _, _, err := Decode(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Decode(%v) error = %v, want ErrMalformed", name, in, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Append(nil, map[string]string{"a": "b"}, []byte("hi")))
	f.Add([]byte{1, 8, 2, 'a', 2, 'b', 0, 2, 'x'})
	f.Fuzz(func(t *testing.T, in []byte) {
		h, b, err := Decode(in)
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes to the same event.
		h2, b2, err := Decode(Append(nil, h, b))
		if err != nil || !maps.Equal(h, h2) || !bytes.Equal(b, b2) {
			t.Fatalf("re-encoding %v %q: %v %q %v", h, b, h2, b2, err)
		}
	})
}
