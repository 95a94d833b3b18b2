package avro_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/memory"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/sink/avro"
	"github.com/flumego/flumego/sink/null"
	"github.com/flumego/flumego/source"
	avrosource "github.com/flumego/flumego/source/avro"
)

// BenchmarkHop measures one agent-to-agent hop on loopback: avro sink → avro source → memory
// channel → null sink, with 150-byte events. Each op is one Write of a batch; events/s and
// MiB/s (of bodies) are reported, and cpu% is the process's CPU time over wall time (200% is
// two cores busy) for both ends together.
//
//	go test -run '^$' -bench Hop -benchtime 3s ./sink/avro/
func BenchmarkHop(b *testing.B) {
	for _, compression := range []string{"none", "deflate"} {
		for _, batch := range []int{100, 1000} {
			for _, inFlight := range []int{1, 4} {
				b.Run(fmt.Sprintf("compression=%s/batch=%d/max_in_flight=%d", compression, batch, inFlight), func(b *testing.B) {
					benchHop(b, compression, batch, inFlight)
				})
			}
		}
	}
}

func benchHop(b *testing.B, compression string, batch, inFlight int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := memory.New(&memory.Config{Capacity: 200000, TxCapacity: 10000, ByteCapacityBufferPercentage: 20, KeepAlive: 3 * time.Second}, channel.Settings{Name: "c1"})
	if err != nil {
		b.Fatal(err)
	}
	defer ch.Close(context.Background())
	proc := source.NewProcessor(source.ProcessorConfig{Channels: []channel.Channel{ch}, ChannelNames: []string{"c1"}})
	scfg := avrosource.Defaults()
	scfg.Bind, scfg.Port, scfg.CompressionType = "127.0.0.1", 0, compression
	src, err := avrosource.New(scfg, source.Settings{Name: "r1", Processor: proc})
	if err != nil {
		b.Fatal(err)
	}
	srcDone := make(chan error, 1)
	go func() { srcDone <- src.Run(ctx) }()
	nullSink, _ := null.New(nil, sink.Settings{})
	runner := sink.NewRunner(sink.RunnerConfig{Name: "null", Channel: ch, Sink: nullSink, BatchSize: 10000})
	runDone := make(chan error, 1)
	go func() { runDone <- runner.Run(ctx) }()
	defer func() { cancel(); <-srcDone; <-runDone }()

	kcfg := avro.Defaults()
	kcfg.Hostname, kcfg.Port = "127.0.0.1", src.(*avrosource.Source).Addr().(*net.TCPAddr).Port
	kcfg.CompressionType, kcfg.MaxInFlight = compression, inFlight
	k, err := avro.New(kcfg, sink.Settings{Name: "k1", BatchSize: batch})
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close(context.Background())

	evs := make([]channel.Event, batch)
	for i := range evs {
		// 150 bytes of log-like text (compressible as real logs are).
		body := fmt.Appendf(nil, "2024-05-01T12:00:00.%06dZ INFO [worker-%02d] request handled path=/api/v1/items/%08d status=200 ", i, i%16, i)
		body = append(body, bytes.Repeat([]byte("x"), 150-len(body))...)
		evs[i].Body = body[:150]
	}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	b.ResetTimer()
	for range b.N {
		if err := k.Write(ctx, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	wall := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()+ru1.Stime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	n := float64(b.N * batch)
	b.ReportMetric(n/wall.Seconds(), "events/s")
	b.ReportMetric(n*150/wall.Seconds()/(1<<20), "MiB/s")
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu%")
}
