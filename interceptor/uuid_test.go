package interceptor

import (
	"regexp"
	"strings"
	"testing"

	"github.com/flumego/flumego/channel"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestUUID(t *testing.T) {
	tests := []struct {
		name   string
		cfg    string
		in     []channel.Event
		header string
		prefix string
		kept   map[int]string // events whose existing id must stay
	}{
		{"sets id on every event", ``, []channel.Event{ev("a"), ev("b", "x", "y")}, "id", "", nil},
		{"preserves an existing id by default", ``,
			[]channel.Event{ev("a", "id", "upstream"), ev("b")}, "id", "", map[int]string{0: "upstream"}},
		{"preserve_existing = false replaces it", `preserve_existing = false`,
			[]channel.Event{ev("a", "id", "upstream")}, "id", "", nil},
		{"header_name and prefix", `
			header_name = "eventId"
			prefix      = "web-1-"
		`, []channel.Event{ev("a"), ev("b")}, "eventId", "web-1-", nil},
		{"a batch larger than one chunk of randomness", ``, make([]channel.Event, 3*uuidChunk+5), "id", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic := mustCreate(t, NewUUIDFactory(), tt.cfg)
			out := ic.Intercept(tt.in)
			if len(out) != len(tt.in) {
				t.Fatalf("got %d events, want %d", len(out), len(tt.in))
			}
			seen := map[string]bool{}
			for i, e := range out {
				id := e.Headers[tt.header]
				if want, ok := tt.kept[i]; ok {
					if id != want {
						t.Errorf("event %d: id = %q, want the existing %q", i, id, want)
					}
					continue
				}
				if !strings.HasPrefix(id, tt.prefix) || !uuidV4.MatchString(id[len(tt.prefix):]) {
					t.Errorf("event %d: id %q is not %q + a v4 UUID", i, id, tt.prefix)
				}
				if seen[id] {
					t.Errorf("event %d: id %q repeated", i, id)
				}
				seen[id] = true
			}
		})
	}
}

func TestUUIDUniqueAcrossBatches(t *testing.T) {
	ic := mustCreate(t, NewUUIDFactory(), ``)
	seen := map[string]bool{}
	for range 20 {
		for _, e := range ic.Intercept(make([]channel.Event, 500)) {
			if seen[e.Headers["id"]] {
				t.Fatalf("id %s repeated", e.Headers["id"])
			}
			seen[e.Headers["id"]] = true
		}
	}
}

func BenchmarkUUID(b *testing.B) {
	ic := mustCreate(&testing.T{}, NewUUIDFactory(), `preserve_existing = false`)
	events := make([]channel.Event, 1000)
	for i := range events {
		events[i] = ev("body", "a", "b")
	}
	b.ReportAllocs()
	for b.Loop() {
		ic.Intercept(events)
	}
	b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
}
