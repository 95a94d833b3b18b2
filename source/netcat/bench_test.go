package netcat_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/netcat"
)

// discard is a processor that drops every batch and says when it has seen enough events.
type discard struct {
	n      atomic.Int64
	target int64
	done   chan struct{}
}

func (d *discard) Process(ctx context.Context, events []channel.Event) error {
	if d.n.Add(int64(len(events))) == d.target {
		close(d.done)
	}
	return nil
}

func (d *discard) Deliver(ctx context.Context, events []channel.Event) error {
	return d.Process(ctx, events)
}

// BenchmarkNetcat sends 150-byte lines over loopback, without acknowledgements, into a
// processor that discards them; one op is one event.
func BenchmarkNetcat(b *testing.B) {
	const lineSize = 150
	line := bytes.Repeat([]byte("x"), lineSize)
	line[lineSize-1] = '\n'
	chunk := bytes.Repeat(line, (64<<10)/lineSize)
	for _, conns := range []int{1, 4} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			d := &discard{target: int64(b.N), done: make(chan struct{})}
			cfg := netcat.Defaults()
			cfg.Bind, cfg.AckEveryEvent = "127.0.0.1", false
			src, err := netcat.New(cfg, source.Settings{Name: "r1", Processor: d,
				Metrics: metrics.NewRegistry("a1").Source("r1", "netcat")})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			ran := make(chan error, 1)
			go func() { ran <- src.Run(ctx) }()
			addr := src.(*netcat.Source).Addr().String()
			clients := make([]net.Conn, conns)
			for i := range clients {
				if clients[i], err = net.Dial("tcp", addr); err != nil {
					b.Fatal(err)
				}
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ReportAllocs()
			b.ResetTimer()

			var wg sync.WaitGroup
			for i, c := range clients {
				lines := b.N / conns
				if i == 0 {
					lines += b.N % conns
				}
				wg.Go(func() {
					for lines > 0 {
						k := min(lines, len(chunk)/lineSize)
						if _, err := c.Write(chunk[:k*lineSize]); err != nil {
							b.Error(err)
							return
						}
						lines -= k
					}
				})
			}
			wg.Wait()
			<-d.done

			b.StopTimer()
			runtime.ReadMemStats(&after)
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)*lineSize/sec/(1<<20), "MiB/s")
			b.ReportMetric(float64(b.N)/sec, "events/s")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "allocs/event")
			for _, c := range clients {
				c.Close()
			}
			cancel()
			if err := <-ran; err != nil {
				b.Fatal(err)
			}
		})
	}
}
