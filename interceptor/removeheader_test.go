package interceptor

import (
	"maps"
	"testing"

	"github.com/flumego/flumego/channel"
)

func TestRemoveHeader(t *testing.T) {
	in := func() channel.Event {
		return ev("a", "host", "h", "timestamp", "1", "X-Trace", "t", "X-Span", "s", "keep", "k")
	}
	tests := []struct {
		name string
		cfg  string
		want []string // headers left
	}{
		{"nothing configured removes nothing", ``, []string{"host", "timestamp", "X-Trace", "X-Span", "keep"}},
		{"with_name", `with_name = "host"`, []string{"timestamp", "X-Trace", "X-Span", "keep"}},
		{"from_list with Flume's separator (spaces around commas)", `from_list = "host ,timestamp,  missing"`,
			[]string{"X-Trace", "X-Span", "keep"}},
		{"from_list_separator", `
			from_list           = "host|timestamp"
			from_list_separator = "\\|"
		`, []string{"X-Trace", "X-Span", "keep"}},
		{"matching must match the whole name", `matching = "X-.*"`, []string{"host", "timestamp", "keep"}},
		{"matching a part of a name removes nothing", `matching = "Trace"`,
			[]string{"host", "timestamp", "X-Trace", "X-Span", "keep"}},
		{"matching with alternatives is anchored as a whole", `matching = "host|X-Span"`,
			[]string{"timestamp", "X-Trace", "keep"}},
		{"all three together", `
			with_name = "host"
			from_list = "timestamp"
			matching  = "X-.*"
		`, []string{"keep"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic := mustCreate(t, NewRemoveHeaderFactory(), tt.cfg)
			e := in()
			before := e.Headers
			out := ic.Intercept([]channel.Event{e, {Body: []byte("no headers")}})
			got := map[string]string{}
			for _, k := range tt.want {
				got[k] = before[k]
			}
			if !maps.Equal(out[0].Headers, got) || len(out[0].Headers) != len(tt.want) {
				t.Errorf("headers = %v, want only %v", out[0].Headers, tt.want)
			}
			if out[1].Headers != nil {
				t.Errorf("an event without headers got %v", out[1].Headers)
			}
		})
	}
}
