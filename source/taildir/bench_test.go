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
// file each time: bytes/s is the read path's throughput. format=cri reads the same lines in
// CRI records, format=docker in Docker json-file lines.
func BenchmarkTaildirRead(b *testing.B) {
	const lines = 200_000
	dir := b.TempDir()
	line := append(bytes.Repeat([]byte("x"), 149), '\n')
	data := bytes.Repeat(line, lines)
	if err := os.WriteFile(filepath.Join(dir, "access.log"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	var cri []byte
	for i := range lines {
		cri = fmt.Appendf(cri, "2026-11-21T10:00:%02d.%06d000Z stdout F %s", i/100000, i%100000, line)
	}
	if err := os.WriteFile(filepath.Join(dir, "cri.clog"), cri, 0o644); err != nil {
		b.Fatal(err)
	}
	var docker []byte
	msg := string(line[:130]) + ` \"quoted\" caf\u00e9 \t`
	for i := range lines {
		docker = fmt.Appendf(docker, `{"log":"%s\n","stream":"stdout","time":"2026-11-21T10:00:%02d.%06d000Z"}`+"\n", msg, i/100000, i%100000)
	}
	if err := os.WriteFile(filepath.Join(dir, "docker.jlog"), docker, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		batch   int
		headers bool
		format  taildir.Format
	}{
		{"batch=100/headers=false", 100, false, ""},
		{"batch=100/headers=true", 100, true, ""},
		{"batch=1000/headers=false", 1000, false, ""},
		{"batch=1000/headers=true", 1000, true, ""},
		{"batch=1000/format=cri", 1000, false, taildir.FormatCRI},
		{"batch=1000/format=docker", 1000, false, taildir.FormatDocker},
	} {
		b.Run(tc.name, func(b *testing.B) {
			glob, size := "*.log", len(data)
			switch tc.format {
			case taildir.FormatCRI:
				glob, size = "*.clog", len(cri)
			case taildir.FormatDocker:
				glob, size = "*.jlog", len(docker)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				c := taildir.Defaults()
				c.FileGroups = []taildir.FileGroup{{Name: "g", Path: filepath.Join(dir, glob), Format: tc.format}}
				c.PositionFile = filepath.Join(b.TempDir(), "positions.json") // fresh: read from the start
				c.Batch = tc.batch
				c.FileHeader = tc.headers
				c.ByteOffsetHeader = tc.headers
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
