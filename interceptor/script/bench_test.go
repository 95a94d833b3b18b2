package script

import (
	"strconv"
	"testing"

	"github.com/flumego/flumego/channel"
)

// filebeatStyle is a typical Filebeat script: read the message, drop some lines, set a field
// from it, tag the event.
const filebeatStyle = `
source = <<-JS
  function process(event) {
    var m = event.Get("message");
    if (m.indexOf("DEBUG") !== -1) {
      event.Cancel();
      return;
    }
    event.Put("kind", (m.charCodeAt(m.length - 1) & 1) ? "odd" : "even");
    event.Tag("seen");
  }
JS
`

// BenchmarkIntercept reports the script interceptor's events/s on one goroutine, batches of
// 1000 events like seq's, bodies of decimal numbers.
func BenchmarkIntercept(b *testing.B) {
	ic, _ := build(b, filebeatStyle)
	bodies := make([][]byte, 1000)
	for i := range bodies {
		bodies[i] = []byte(strconv.Itoa(1_000_000 + i))
	}
	batch := make([]channel.Event, len(bodies))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i := range batch {
			batch[i] = channel.Event{Body: bodies[i]}
		}
		if got := ic.Intercept(batch); len(got) != len(bodies) {
			b.Fatalf("%d events kept", len(got))
		}
	}
	b.ReportMetric(float64(b.N*len(bodies))/b.Elapsed().Seconds(), "events/s")
}
