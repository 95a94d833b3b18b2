package avrofile

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

func sample(n int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		evs[i].Body = []byte(fmt.Sprintf("line %d", i))
		if i%3 == 0 {
			evs[i].Headers = map[string]string{"timestamp": fmt.Sprint(1700000000000 + i), "host": "web1"}
		}
	}
	return evs
}

func write(t *testing.T, codec string, interval int, evs []Event, flushEvery int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, codec, interval)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range evs {
		if err := w.Append(ev.Headers, ev.Body); err != nil {
			t.Fatal(err)
		}
		if (i+1)%flushEvery == 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, codec := range Codecs {
		for _, interval := range []int{1, 100, 2048000} {
			t.Run(fmt.Sprintf("%s/sync=%d", codec, interval), func(t *testing.T) {
				want := sample(250)
				got, err := ReadAll(bytes.NewReader(write(t, codec, interval, want, 7)))
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("read %d events, want the %d written", len(got), len(want))
				}
			})
		}
	}
}

// TestValidPrefixOfATornFile cuts a file at every length and checks that ValidPrefix finds
// exactly the blocks that are whole.
func TestValidPrefixOfATornFile(t *testing.T) {
	for _, codec := range Codecs {
		t.Run(codec, func(t *testing.T) {
			evs := sample(40)
			full := write(t, codec, 1<<20, evs, 10) // four blocks of ten
			var ends []int64                        // where each block ends
			rd, err := NewReader(bytes.NewReader(full))
			if err != nil {
				t.Fatal(err)
			}
			header := rd.Valid()
			for {
				if _, err := rd.Next(); err != nil {
					break
				}
				ends = append(ends, rd.Valid())
			}
			if len(ends) != 4 || ends[3] != int64(len(full)) {
				t.Fatalf("block ends %v for a %d-byte file", ends, len(full))
			}
			for cut := 0; cut <= len(full); cut++ {
				n, events, err := ValidPrefix(bytes.NewReader(full[:cut]))
				if err != nil {
					t.Fatalf("cut %d: %v", cut, err)
				}
				want, wantEvents := int64(0), 0
				if int64(cut) >= header {
					want = header
				}
				for i, e := range ends {
					if int64(cut) >= e {
						want, wantEvents = e, 10*(i+1)
					}
				}
				if n != want || events != wantEvents {
					t.Fatalf("cut %d: ValidPrefix = %d, %d events; want %d, %d", cut, n, events, want, wantEvents)
				}
			}
		})
	}
}

func TestNotAContainer(t *testing.T) {
	if _, _, err := ValidPrefix(bytes.NewReader([]byte("plain text\n"))); err == nil {
		t.Error("ValidPrefix accepted a text file")
	}
	if _, err := NewWriter(&bytes.Buffer{}, "bzip2", 1); err == nil {
		t.Error("NewWriter accepted an unknown codec")
	}
}

func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, "null", 10)
	w.Append(map[string]string{"a": "b"}, []byte("body"))
	w.Flush()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReadAll(bytes.NewReader(b))
		_, _, _ = ValidPrefix(bytes.NewReader(b))
	})
}
