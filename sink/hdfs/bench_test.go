package hdfs

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkWrite measures Write of 1000-event batches of access-log lines into one hourly
// file:// bucket, per codec, fsync included. MiB/s counts the bodies in.
func BenchmarkWrite(b *testing.B) {
	evs := logLines(1, 1000)
	for i := range evs {
		evs[i].Body = evs[i].Body[:min(len(evs[i].Body), 200)]
		evs[i].Headers = map[string]string{"timestamp": fmt.Sprint(hour)}
	}
	size := 0
	for _, e := range evs {
		size += len(e.Body)
	}
	for _, f := range []struct{ name, src string }{
		{"codec=none", ""}, {"codec=zstd", `codec = "zstd"`}, {"codec=gzip", `codec = "gzip"`},
		{"codec=snappy", `codec = "snappy"`}, {"codec=lz4", `codec = "lz4"`}, {"serializer=avro_event", `serializer "avro_event" {}`}, {"serializer=json", `serializer "json" { preset = "flume" }`},
	} {
		b.Run(f.name+"/batch=1000", func(b *testing.B) {
			s, _ := newTestSink(b, b.TempDir(), "%Y%m%d%H", f.src+"\ntime_zone = \"UTC\"\nroll_size = \"1GiB\"", nil)
			defer s.Close(context.Background())
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := s.Write(context.Background(), evs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
		})
	}
}
