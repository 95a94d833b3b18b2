package taildir_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/taildir"
)

// counter is a processor that only counts, so the benchmark measures the source's read path.
type counter struct{ n atomic.Int64 }

func (c *counter) Process(_ context.Context, evs []channel.Event) error {
	c.n.Add(int64(len(evs)))
	return nil
}

func (c *counter) Deliver(ctx context.Context, evs []channel.Event) error { return c.Process(ctx, evs) }

// BenchmarkTaildirRead reads a file of 150-byte lines from its start, from a fresh position
// file each time: bytes/s is the read path's throughput.
func BenchmarkTaildirRead(b *testing.B) {
	const lines = 200_000
	dir := b.TempDir()
	line := append(bytes.Repeat([]byte("x"), 149), '\n')
	data := bytes.Repeat(line, lines)
	if err := os.WriteFile(filepath.Join(dir, "access.log"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, batch := range []int{100, 1000} {
		for _, headers := range []bool{false, true} {
			b.Run(fmt.Sprintf("batch=%d/headers=%v", batch, headers), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					c := taildir.Defaults()
					c.FileGroups = []taildir.FileGroup{{Name: "g", Path: filepath.Join(dir, "*.log")}}
					c.PositionFile = filepath.Join(dir, fmt.Sprintf("pos-%d-%d-%v.json", i, batch, headers))
					c.Batch = batch
					c.FileHeader = headers
					c.ByteOffsetHeader = headers
					proc := &counter{}
					src, err := taildir.New(c, source.Settings{Name: "b", Processor: proc, Logger: slog.New(slog.DiscardHandler)})
					if err != nil {
						b.Fatal(err)
					}
					ctx, cancel := context.WithCancel(context.Background())
					done := make(chan error)
					go func() { done <- src.Run(ctx) }()
					for proc.n.Load() < lines {
						time.Sleep(100 * time.Microsecond)
					}
					cancel()
					<-done
				}
			})
		}
	}
}
