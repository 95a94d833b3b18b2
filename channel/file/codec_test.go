package file

import (
	"bytes"
	"maps"
	"strings"
	"testing"

	"github.com/flumego/flumego/channel"
)

// encodeRecords encodes events with a fresh encoder.
func encodeRecords(events []channel.Event) (recs [][]byte, counts []int) {
	var e encoder
	e.encode(events)
	return e.recs, e.counts
}

// TestEncoderReusesItsBuffers encodes a large put, then a small one, into one encoder: the
// second records are right and the buffer was not reallocated.
func TestEncoderReusesItsBuffers(t *testing.T) {
	var e encoder
	big := make([]channel.Event, 1000)
	for i := range big {
		big[i] = channel.Event{Body: bytes.Repeat([]byte{'a'}, 150)}
	}
	e.encode(big)
	before := cap(e.buf)
	small := []channel.Event{{Body: []byte("one")}, {Headers: map[string]string{"h": "v"}, Body: []byte("two")}}
	e.encode(small)
	if cap(e.buf) != before {
		t.Errorf("the buffer was reallocated: cap %d, then %d", before, cap(e.buf))
	}
	if len(e.recs) != 1 || e.counts[0] != 2 {
		t.Fatalf("records %d, counts %v; want one record of 2 events", len(e.recs), e.counts)
	}
	r, err := openRecord(e.recs[0])
	if err != nil {
		t.Fatal(err)
	}
	var a arena
	for _, want := range small {
		p, err := r.next()
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeEvent(p, &a)
		if err != nil || !bytes.Equal(got.Body, want.Body) || !maps.Equal(got.Headers, want.Headers) {
			t.Fatalf("decoded %+v, %v; want %+v", got, err, want)
		}
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	evs := []channel.Event{
		{Body: []byte("plain")},
		{Headers: map[string]string{"a": "1", "timestamp": "1700000000000", "": "empty key"}, Body: []byte("with headers")},
		{Headers: map[string]string{"k": ""}},
		{Body: bytes.Repeat([]byte("big"), recordBytes)}, // alone in its record
		{Body: []byte(strings.Repeat("é", 300))},
	}
	for range 400 {
		evs = append(evs, channel.Event{Body: bytes.Repeat([]byte{'z'}, 200)})
	}
	recs, counts := encodeRecords(evs)
	if len(recs) < 3 {
		t.Fatalf("%d events of %d bytes and more in %d records; want them cut", len(evs), 200, len(recs))
	}
	var a arena
	i := 0
	for r, v := range recs {
		if len(v) > recordBytes+16 && counts[r] > 1 {
			t.Errorf("record %d: %d bytes holding %d events, over the %d budget", r, len(v), counts[r], recordBytes)
		}
		n, err := checkRecord(v)
		if err != nil || n != counts[r] {
			t.Fatalf("record %d: checkRecord = %d, %v; want %d events", r, n, err, counts[r])
		}
		rr, err := openRecord(v)
		if err != nil {
			t.Fatal(err)
		}
		for rr.left > 0 {
			p, err := rr.next()
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeEvent(p, &a)
			if err != nil {
				t.Fatal(err)
			}
			want := evs[i]
			if !bytes.Equal(got.Body, want.Body) || !maps.Equal(got.Headers, want.Headers) {
				t.Fatalf("event %d: got %.40q %v, want %.40q %v", i, got.Body, got.Headers, want.Body, want.Headers)
			}
			if len(want.Headers) == 0 && got.Headers != nil || len(want.Body) == 0 && got.Body != nil {
				t.Errorf("event %d: empty headers or body should come back nil", i)
			}
			i++
		}
	}
	if i != len(evs) {
		t.Fatalf("decoded %d events, want %d", i, len(evs))
	}
}

func TestDecodedBodiesDoNotShareCapacity(t *testing.T) {
	recs, _ := encodeRecords([]channel.Event{{Body: []byte("one")}, {Body: []byte("two")}})
	var a arena
	rr, _ := openRecord(recs[0])
	p1, _ := rr.next()
	p2, _ := rr.next()
	e1, _ := decodeEvent(p1, &a)
	e2, _ := decodeEvent(p2, &a)
	_ = append(e1.Body, "XXX"...)
	if string(e2.Body) != "two" {
		t.Fatalf("appending to one body changed the next: %q", e2.Body)
	}
}

func TestAcksRoundTrip(t *testing.T) {
	acked := []span{{100, 103}, {110, 150}}
	got, err := decodeAcks(100, 50, encodeAcks(100, acked))
	if err != nil || len(got) != 2 || got[0] != acked[0] || got[1] != acked[1] {
		t.Fatalf("decodeAcks = %v, %v; want %v", got, err, acked)
	}
	for _, bad := range [][]byte{{0x80}, {1}, {60, 1}, {5, 0}, {10, 5, 3, 1}} {
		if _, err := decodeAcks(100, 50, bad); err == nil {
			t.Errorf("decodeAcks(%x) accepted a bad value", bad)
		}
	}
}

// FuzzRecord feeds arbitrary bytes to the record decoders, which read what a damaged disk may
// hold: they must return errors, never panic or read out of bounds.
func FuzzRecord(f *testing.F) {
	recs, _ := encodeRecords([]channel.Event{{Headers: map[string]string{"h": "v"}, Body: []byte("body")}, {}})
	f.Add(recs[0])
	f.Add([]byte{codecVersion, 1, 3, 0, 'a', 'b'})
	f.Add([]byte{codecVersion, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, v []byte) {
		n, err := checkRecord(v)
		rr, err2 := openRecord(v)
		if err2 != nil {
			if err == nil {
				t.Fatalf("checkRecord accepted what openRecord refused: %v", err2)
			}
			return
		}
		var a arena
		decoded := 0
		for rr.left > 0 {
			p, err := rr.next()
			if err != nil {
				break
			}
			if _, err := decodeEvent(p, &a); err == nil {
				decoded++
			}
		}
		if err == nil && n != rr.left+decoded && rr.left != 0 {
			t.Fatalf("checkRecord counted %d events", n)
		}
		_, _ = decodeAcks(0, 100, v)
	})
}
