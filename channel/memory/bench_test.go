package memory

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/metrics"
)

// benchChannel opens a channel for benchmarks, outside the test's cleanup (b.Loop-friendly).
func benchChannel(b *testing.B, capacity, txCap int) channel.Channel {
	b.Helper()
	set := channel.Settings{Name: "c1", Logger: slog.New(slog.DiscardHandler),
		Metrics: metrics.NewRegistry("a1").Channel("c1", "memory")}
	ch, err := New(config(capacity, txCap, 3*time.Second), set)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ch.Close(context.Background()) })
	return ch
}

// benchEvents returns n events shaped like log lines with two headers, built once: the channel
// never copies bodies, so reusing them measures the channel alone.
func benchEvents(n int) []channel.Event {
	evs := make([]channel.Event, n)
	for i := range evs {
		evs[i] = channel.Event{
			Headers: map[string]string{"host": "web-1", "timestamp": "1700000000000"},
			Body:    fmt.Appendf(nil, "2024-01-01T00:00:00Z INFO request %d served in 3ms", i),
		}
	}
	return evs
}

// BenchmarkPutTake puts a batch and takes it back, one goroutine, one op per event: ns/op is
// the cost of one event through the channel and allocs/op the allocations per event (two
// transaction objects per round, so 2/batch).
func BenchmarkPutTake(b *testing.B) {
	ctx := context.Background()
	for _, batch := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ch := benchChannel(b, 10*batch, batch)
			evs := benchEvents(batch)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(batch, b.N-done)
				put := ch.BeginPut()
				if err := put.Put(evs[:n]...); err != nil {
					b.Fatal(err)
				}
				if err := put.Commit(ctx); err != nil {
					b.Fatal(err)
				}
				take := ch.BeginTake()
				got, err := take.Take(n)
				if err != nil || len(got) != n {
					b.Fatalf("took %d of %d: %v", len(got), n, err)
				}
				if err := take.Commit(ctx); err != nil {
					b.Fatal(err)
				}
				done += n
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkPutTakeConcurrent runs putters and takers on their own goroutines against one channel,
// as an agent with several sources and sinks on one channel does; putters retry when the
// channel is full, takers poll when it is empty.
func BenchmarkPutTakeConcurrent(b *testing.B) {
	for _, c := range []struct{ putters, takers, batch int }{
		{1, 1, 1000},
		{4, 4, 100},
		{4, 4, 1000},
	} {
		b.Run(fmt.Sprintf("putters=%d,takers=%d,batch=%d", c.putters, c.takers, c.batch), func(b *testing.B) {
			ctx := context.Background()
			ch := benchChannel(b, 10*c.batch*c.putters, c.batch)
			evs := benchEvents(c.batch)
			var taken atomic.Int64
			total := int64(b.N)
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			for p := range c.putters {
				share := b.N / c.putters
				if p == 0 {
					share += b.N % c.putters
				}
				wg.Go(func() {
					for done := 0; done < share; {
						n := min(c.batch, share-done)
						if err := channel.PutBatch(ctx, ch, evs[:n]); err != nil {
							continue // full: retry, as a source does
						}
						done += n
					}
				})
			}
			for range c.takers {
				wg.Go(func() {
					for taken.Load() < total {
						wake := ch.Ready()
						tx := ch.BeginTake()
						got, err := tx.Take(c.batch)
						if err != nil {
							panic(err)
						}
						if len(got) == 0 {
							tx.Rollback()
							select {
							case <-wake:
							case <-time.After(time.Millisecond):
							}
							continue
						}
						_ = tx.Commit(ctx)
						taken.Add(int64(len(got)))
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
