package seq_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/source/seq"
)

// discard is a processor that drops every batch.
type discard struct{}

func (discard) Process(context.Context, []channel.Event) error { return nil }
func (discard) Deliver(context.Context, []channel.Event) error { return nil }

// BenchmarkSeq generates events into a processor that discards them; one op is one event.
func BenchmarkSeq(b *testing.B) {
	for _, batch := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			src, err := seq.New(&seq.Config{Total: int64(b.N), Batch: batch}, sourceSettings(discard{}))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if err := src.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
