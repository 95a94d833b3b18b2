package interceptor

import (
	"maps"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
)

func TestTimestamp(t *testing.T) {
	clock := time.UnixMilli(1700000000123)
	tests := []struct {
		name   string
		cfg    string
		in     channel.Event
		header map[string]string
	}{
		{"sets epoch millis on an event without headers", ``, ev("a"),
			map[string]string{"timestamp": "1700000000123"}},
		{"overwrites by default", ``, ev("a", "timestamp", "1"),
			map[string]string{"timestamp": "1700000000123"}},
		{"preserve_existing keeps the upstream value", `preserve_existing = true`, ev("a", "timestamp", "1"),
			map[string]string{"timestamp": "1"}},
		{"preserve_existing still sets a missing header", `preserve_existing = true`, ev("a", "host", "h"),
			map[string]string{"timestamp": "1700000000123", "host": "h"}},
		{"header_name", `header_name = "ts"`, ev("a", "timestamp", "1"),
			map[string]string{"timestamp": "1", "ts": "1700000000123"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic := mustCreate(t, NewTimestampFactory(), tt.cfg)
			ic.(*timestamp).now = func() time.Time { return clock }
			before := tt.in.Headers
			out := ic.Intercept([]channel.Event{tt.in})
			if len(out) != 1 {
				t.Fatalf("got %d events, want 1", len(out))
			}
			if !maps.Equal(out[0].Headers, tt.header) {
				t.Errorf("headers = %v, want %v", out[0].Headers, tt.header)
			}
			if before != nil && !sameMap(before, out[0].Headers) {
				t.Error("the event's headers map was replaced")
			}
		})
	}
}

func TestTimestampUsesTheClock(t *testing.T) {
	ic := mustCreate(t, NewTimestampFactory(), ``)
	lo := time.Now().UnixMilli()
	out := ic.Intercept([]channel.Event{ev("a"), ev("b")})
	hi := time.Now().UnixMilli()
	for _, e := range out {
		var ms int64
		for _, c := range e.Headers["timestamp"] {
			ms = ms*10 + int64(c-'0')
		}
		if ms < lo || ms > hi {
			t.Errorf("timestamp %s not within [%d, %d]", e.Headers["timestamp"], lo, hi)
		}
	}
}
