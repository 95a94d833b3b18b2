package syslog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testParser(keepFields string, now time.Time) *parser {
	k, ok := parseKeep(keepFields)
	if !ok {
		panic(keepFields)
	}
	p := newParser(k)
	p.now, p.loc = func() time.Time { return now }, time.UTC
	return p
}

func TestParse(t *testing.T) {
	now := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	const r5424 = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8"
	tests := []struct {
		name       string
		keep       string
		msg        string
		incomplete bool
		headers    map[string]string
		body       string
	}{
		{"rfc5424", "none", r5424, false,
			map[string]string{"Facility": "4", "Severity": "2", "priority": "34", "version": "1", "timestamp": "1065910455003", "host": "mymachine.example.com"},
			"su - ID47 - 'su root' failed for lonvick on /dev/pts/8"},
		{"rfc5424 with offset and microseconds", "none", "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.", false,
			map[string]string{"Facility": "20", "Severity": "5", "priority": "165", "version": "1", "timestamp": "1061727255000", "host": "192.0.2.1"},
			"myproc 8710 - - %% It's time to make the do-nuts."},
		{"rfc5424 nil stamp and host", "none", "<14>1 - - app - - - hello", false,
			map[string]string{"Facility": "1", "Severity": "6", "priority": "14", "version": "1"}, "app - - - hello"},
		{"rfc3164", "none", "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!", false,
			map[string]string{"Facility": "1", "Severity": "5", "priority": "13", "timestamp": "1707154338000", "host": "10.0.0.99"}, "Use the BFG!"},
		{"rfc3164 of last december", "none", "<13>Dec 31 23:00:00 host1 old", false,
			map[string]string{"Facility": "1", "Severity": "5", "priority": "13", "timestamp": "1704063600000", "host": "host1"}, "old"},
		{"keep all", "all", r5424, false,
			map[string]string{"Facility": "4", "Severity": "2", "priority": "34", "version": "1", "timestamp": "1065910455003", "host": "mymachine.example.com"}, r5424},
		{"keep timestamp and hostname", "timestamp hostname", r5424, false,
			map[string]string{"Facility": "4", "Severity": "2", "priority": "34", "version": "1", "timestamp": "1065910455003", "host": "mymachine.example.com"},
			"2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8"},
		{"keep priority and version", "priority version", r5424, false,
			map[string]string{"Facility": "4", "Severity": "2", "priority": "34", "version": "1", "timestamp": "1065910455003", "host": "mymachine.example.com"},
			"<34>1 su - ID47 - 'su root' failed for lonvick on /dev/pts/8"},
		{"no priority", "none", "just some text", false,
			map[string]string{"Facility": "0", "Severity": "0", "flume.syslog.status": "Invalid"}, "just some text"},
		{"bad priority", "none", "<1234>x", false,
			map[string]string{"Facility": "0", "Severity": "0", "flume.syslog.status": "Invalid"}, "<1234>x"},
		{"priority but no known shape", "none", "<11>free text", false,
			map[string]string{"Facility": "1", "Severity": "3"}, "<11>free text"},
		{"cut at event_size", "none", "<11>Feb  5 17:32:18 h1 cut he", true,
			map[string]string{"Facility": "1", "Severity": "3", "priority": "11", "timestamp": "1707154338000", "host": "h1", "flume.syslog.status": "Incomplete"}, "cut he"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testParser(tt.keep, now).event([]byte(tt.msg), tt.incomplete)
			if !reflect.DeepEqual(e.Headers, tt.headers) {
				t.Errorf("headers %v\nwant    %v", e.Headers, tt.headers)
			}
			if string(e.Body) != tt.body {
				t.Errorf("body %q\nwant %q", e.Body, tt.body)
			}
		})
	}
}

func TestFramer(t *testing.T) {
	type msg struct {
		body       string
		incomplete bool
	}
	tests := []struct {
		name  string
		input string
		max   int
		want  []msg
		err   bool
	}{
		{"newlines", "<1>a\n<2>b\r\n\n\n<3>c", 100, []msg{{"<1>a", false}, {"<2>b", false}, {"<3>c", false}}, false},
		{"octet counting", "5 <1>ab6 <2>a\nb", 100, []msg{{"<1>ab", false}, {"<2>a\nb", false}}, false},
		{"mixed", "5 <1>ab<2>line\n4 <3>x", 100, []msg{{"<1>ab", false}, {"<2>line", false}, {"<3>x", false}}, false},
		{"long line cut, its rest skipped", "<1>abcdefghijklmnopqrstuvwxyz0123456789\n<2>k\n", 5, []msg{{"<1>ab", true}, {"<2>k", false}}, false},
		{"long line ending in one buffer", "<1>abcdef\n<2>k\n", 5, []msg{{"<1>ab", true}, {"<2>k", false}}, false},
		{"line one byte too long", "<1>abc\n<2>k\n", 5, []msg{{"<1>ab", true}, {"<2>k", false}}, false},
		{"line of exactly max", "<1>ab\n<2>c\n", 5, []msg{{"<1>ab", false}, {"<2>c", false}}, false},
		{"line of exactly max with CRLF", "<1>ab\r\n<2>c\r\n", 5, []msg{{"<1>ab", false}, {"<2>c", false}}, false},
		{"long last line without newline", "<1>abcdefghijklmnopqrstuvwxyz", 5, []msg{{"<1>ab", true}}, false},
		{"long octet-counted message", "12 <1>abcdefghi<2>k\n", 5, []msg{{"<1>ab", true}, {"<2>k", false}}, false},
		{"truncated octet-counted message", "12 <1>ab", 100, nil, true},
		{"absurd length", "99999999999 x", 100, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &framer{br: bufio.NewReaderSize(strings.NewReader(tt.input), 16), max: tt.max}
			var got []msg
			var err error
			for {
				var b []byte
				var inc bool
				b, inc, err = f.next()
				if b != nil {
					got = append(got, msg{string(b), inc})
				}
				if err != nil {
					break
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("messages %+v\nwant     %+v", got, tt.want)
			}
			if tt.err == errors.Is(err, io.EOF) {
				t.Errorf("err = %v, want an error other than EOF: %v", err, tt.err)
			}
		})
	}
}

// A line that never ends is one message of max bytes; the rest is read and dropped, never held.
func TestFramerBoundsALineThatNeverEnds(t *testing.T) {
	r := io.MultiReader(strings.NewReader("<1>"), bytes.NewReader(bytes.Repeat([]byte("x"), 10<<20)),
		strings.NewReader("\n<2>next\n"))
	f := &framer{br: bufio.NewReaderSize(r, 4096), max: 2500}
	var got []string
	for {
		b, cut, err := f.next()
		if b != nil {
			got = append(got, fmt.Sprintf("%d %v", len(b), cut))
		}
		if err != nil {
			break
		}
	}
	if want := []string{"2500 true", "7 false"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("messages %v, want %v", got, want)
	}
}

func FuzzFramerAndParser(f *testing.F) {
	f.Add([]byte("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - msg\n5 <1>ab<13>Feb  5 17:32:18 h x\n"))
	f.Add([]byte("12 <1>abc\r\n\n<999>x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := testParser("priority version", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
		fr := &framer{br: bufio.NewReaderSize(bytes.NewReader(data), 16), max: 20}
		for range 10000 {
			b, inc, err := fr.next()
			if b != nil {
				if len(b) > 20 {
					t.Fatalf("message of %d bytes above max", len(b))
				}
				e := p.event(b, inc)
				if e.Headers["Facility"] == "" || e.Headers["Severity"] == "" {
					t.Fatalf("no Facility/Severity: %v", e.Headers)
				}
			}
			if err != nil {
				return
			}
		}
		t.Fatal("the framer did not reach the end of its input")
	})
}
