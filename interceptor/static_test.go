package interceptor

import (
	"maps"
	"testing"

	"github.com/flumego/flumego/channel"
)

func TestStatic(t *testing.T) {
	tests := []struct {
		name   string
		cfg    string
		in     channel.Event
		header map[string]string
	}{
		{"defaults set key=value", ``, ev("a"), map[string]string{"key": "value"}},
		{"preserves an existing header by default", `
			key   = "dc"
			value = "eu-1"
		`, ev("a", "dc", "us-2"), map[string]string{"dc": "us-2"}},
		{"sets a missing header", `
			key   = "dc"
			value = "eu-1"
		`, ev("a", "x", "y"), map[string]string{"dc": "eu-1", "x": "y"}},
		{"preserve_existing = false overwrites", `
			key               = "dc"
			value             = "eu-1"
			preserve_existing = false
		`, ev("a", "dc", "us-2"), map[string]string{"dc": "eu-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic := mustCreate(t, NewStaticFactory(), tt.cfg)
			before := tt.in.Headers
			out := ic.Intercept([]channel.Event{tt.in})
			if !maps.Equal(out[0].Headers, tt.header) {
				t.Errorf("headers = %v, want %v", out[0].Headers, tt.header)
			}
			if before != nil && !sameMap(before, out[0].Headers) {
				t.Error("the event's headers map was replaced")
			}
		})
	}
}
