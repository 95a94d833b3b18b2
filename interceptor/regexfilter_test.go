package interceptor

import (
	"slices"
	"testing"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/testkit"
)

func TestRegexFilter(t *testing.T) {
	in := []string{"INFO start", "ERROR disk", "DEBUG x", "ERROR net", "INFO stop"}
	tests := []struct {
		name string
		cfg  string
		want []string
	}{
		{"the default keeps everything", ``, in},
		{"keeps matching events, in order", `regex = "^ERROR"`, []string{"ERROR disk", "ERROR net"}},
		{"matches anywhere in the body", `regex = "net|disk"`, []string{"ERROR disk", "ERROR net"}},
		{"exclude_events drops matching events", `
			regex          = "^(DEBUG|INFO)"
			exclude_events = true
		`, []string{"ERROR disk", "ERROR net"}},
		{"may drop everything", `regex = "^FATAL"`, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic := mustCreate(t, NewRegexFilterFactory(), tt.cfg)
			events := make([]channel.Event, len(in))
			for i, b := range in {
				events[i] = ev(b)
			}
			out := ic.Intercept(events)
			if got := testkit.Bodies(out); !slices.Equal(got, tt.want) {
				t.Errorf("kept %q, want %q", got, tt.want)
			}
			if len(out) > 0 && &out[0] != &events[0] {
				t.Error("the filter did not compact the batch in place")
			}
			for i := len(out); i < len(events); i++ {
				if events[i].Body != nil {
					t.Errorf("dropped slot %d still holds a body", i)
				}
			}
		})
	}
}

func TestRegexFilterOnAHeader(t *testing.T) {
	in := func() []channel.Event {
		return []channel.Event{
			ev("a", "level", "debug"), ev("b", "level", "error"), ev("debug in the body"), ev("d", "level", ""), ev("e", "level", "info"),
		}
	}
	tests := []struct {
		name string
		cfg  string
		want []string
	}{
		{"keeps events whose header matches; one without it does not match", `
			header = "level"
			regex  = "^(error|info)$"
		`, []string{"b", "e"}},
		{"exclude_events drops matches and keeps events without the header", `
			header         = "level"
			regex          = "^debug$"
			exclude_events = true
		`, []string{"b", "debug in the body", "d", "e"}},
		{"an empty value is a value", `
			header = "level"
			regex  = "^$"
		`, []string{"d"}},
		{"the body is not looked at", `
			header = "level"
			regex  = "body"
		`, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustCreate(t, NewRegexFilterFactory(), tt.cfg).Intercept(in())
			if got := testkit.Bodies(out); !slices.Equal(got, tt.want) {
				t.Errorf("kept %q, want %q", got, tt.want)
			}
		})
	}
}
