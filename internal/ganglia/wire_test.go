package ganglia

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// xdrReader reads the fields of a message back, independently of the encoder.
type xdrReader struct {
	t   *testing.T
	b   []byte
	off int
}

func (r *xdrReader) uint() uint32 {
	r.t.Helper()
	if r.off+4 > len(r.b) {
		r.t.Fatalf("message ends at %d, want an int at %d", len(r.b), r.off)
	}
	v := binary.BigEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *xdrReader) string() string {
	r.t.Helper()
	n := int(r.uint())
	if r.off+n > len(r.b) {
		r.t.Fatalf("string of %d bytes at %d overruns the %d-byte message", n, r.off, len(r.b))
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	for r.off%4 != 0 {
		if r.b[r.off] != 0 {
			r.t.Fatalf("padding byte at %d is %d, want 0", r.off, r.b[r.off])
		}
		r.off++
	}
	return s
}

func (r *xdrReader) end() {
	r.t.Helper()
	if r.off != len(r.b) {
		r.t.Fatalf("%d bytes left after the last field", len(r.b)-r.off)
	}
}

// decoded is every field of a message, named as in gmond's lib/protocol.x.
type decoded struct {
	id                uint32
	host, name        string
	spoof             uint32
	typ, name2, units string
	slope, tmax, dmax uint32
	extra             map[string]string
	format, value     string
}

func decode31(t *testing.T, p []byte) decoded {
	t.Helper()
	r := &xdrReader{t: t, b: p}
	var d decoded
	d.id = r.uint()
	d.host, d.name, d.spoof = r.string(), r.string(), r.uint()
	switch d.id {
	case idMetadataFull:
		d.typ, d.name2, d.units = r.string(), r.string(), r.string()
		d.slope, d.tmax, d.dmax = r.uint(), r.uint(), r.uint()
		d.extra = map[string]string{}
		for n := r.uint(); n > 0; n-- {
			k := r.string()
			d.extra[k] = r.string()
		}
	case idValueString:
		d.format, d.value = r.string(), r.string()
	default:
		t.Fatalf("message id %d, want 128 or 133", d.id)
	}
	r.end()
	return d
}

func decode30(t *testing.T, p []byte) decoded {
	t.Helper()
	r := &xdrReader{t: t, b: p}
	var d decoded
	d.id = r.uint()
	d.typ, d.name, d.value, d.units = r.string(), r.string(), r.string(), r.string()
	d.slope, d.tmax, d.dmax = r.uint(), r.uint(), r.uint()
	r.end()
	return d
}

// words builds the expected bytes of a message from XDR words: an int is 4 bytes big-endian,
// a string its length, its bytes and zero padding, written out by hand in the test.
func words(parts ...any) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		switch v := p.(type) {
		case int:
			fmt.Fprintf(&b, "%08x", v)
		case string: // already hex
			b.WriteString(strings.ReplaceAll(v, " ", ""))
		}
	}
	out, err := hex.DecodeString(b.String())
	if err != nil {
		panic(err)
	}
	return out
}

// The expected bytes below follow gmond's protocol.x field by field, so an encoder change that
// gmond would not read fails here even where no gmond is installed.
func TestWireFormatsByteForByte(t *testing.T) {
	m := metric{name: "flume.SINK.k1.X", value: "42", typ: "double"}
	name := "0000000f 666c756d652e53494e4b2e6b312e58 00" // 15 bytes + 1 pad
	host := "00000002 6831 0000"                         // "h1" + 2 pad
	tests := []struct {
		what string
		got  []byte
		want []byte
	}{
		{"3.1 metadata (gmetadata_full)", appendMetadata31(nil, "h1", m, 60), words(
			128, host, name, 0, // metric_id: host, name, spoof = false
			"00000006 646f75626c65 0000", // type "double"
			name,                         // name again
			0,                            // units ""
			3, 60, 0,                     // slope both, tmax, dmax
			1, "00000005 47524f5550 000000", "00000005 666c756d65 000000", // 1 extra: GROUP = flume
		)},
		{"3.1 value (gmetric_string)", appendValue31(nil, "h1", m), words(
			133, host, name, 0,
			"00000002 2573 0000", // format "%s"
			"00000002 3432 0000", // value "42"
		)},
		{"3.0 gmetric", appendMessage30(nil, "h1", m, 60), words(
			0,
			"00000006 646f75626c65 0000", // type
			"00000012 68312e666c756d652e53494e4b2e6b312e58 0000", // "h1." + name, 18 bytes + 2 pad
			"00000002 3432 0000", // value
			0,                    // units ""
			3, 60, 0,
		)},
	}
	for _, tt := range tests {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("%s:\n got  %x\n want %x", tt.what, tt.got, tt.want)
		}
	}
}

func TestXDRStringPadding(t *testing.T) {
	for n := 0; n <= 9; n++ {
		s := strings.Repeat("a", n)
		b := xdrString(nil, s)
		if len(b)%4 != 0 || len(b) != 4+(n+3)/4*4 {
			t.Errorf("xdrString(%d bytes) is %d bytes, want %d", n, len(b), 4+(n+3)/4*4)
		}
		r := &xdrReader{t: t, b: b}
		if got := r.string(); got != s {
			t.Errorf("xdrString(%q) reads back %q", s, got)
		}
		r.end()
	}
}

func TestTypeOf(t *testing.T) {
	tests := []struct{ value, want string }{
		{"42", "double"},
		{"0", "double"},
		{"12.5", "double"},
		{"1.0E7", "double"},
		{"-3", "double"},
		{"CHANNEL", "string"},
		{"", "string"},
		{"12 events", "string"},
	}
	for _, tt := range tests {
		if got := typeOf(tt.value); got != tt.want {
			t.Errorf("typeOf(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}
