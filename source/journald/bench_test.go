package journald

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/journaltest"
)

// BenchmarkFollowRealJournal reads a real journal file of 100,000 entries (150-byte messages
// and the usual fields) through journalctl and the source, as the agent does, and reports
// entries/s and MiB/s of MESSAGE bodies.
//
//	go test -run '^$' -bench FollowRealJournal -benchtime 3x ./source/journald
func BenchmarkFollowRealJournal(b *testing.B) {
	const n = 100_000
	j := journaltest.New(b)
	msg := strings.Repeat("x", 140)
	for done := 0; done < n; done += 10_000 {
		entries := make([]journaltest.Entry, 10_000)
		for i := range entries {
			entries[i] = journaltest.Entry{"MESSAGE": fmt.Sprintf("%09d %s", done+i, msg), "_SYSTEMD_UNIT": "app.service",
				"PRIORITY": "6", "_HOSTNAME": "host-1", "SYSLOG_IDENTIFIER": "app", "_PID": "4242", "_UID": "1000"}
		}
		j.Append(b, entries...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var bytes int64
	start := time.Now()
	for range b.N {
		src, proc := newSource(b, b.TempDir(), func(c *Config) { c.Directory = j.Dir })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- src.Run(ctx) }()
		for proc.Count() < n {
			time.Sleep(time.Millisecond)
		}
		cancel()
		<-done
		for _, e := range proc.Events() {
			bytes += int64(len(e.Body))
		}
	}
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(n*b.N)/secs, "entries/s")
	b.ReportMetric(float64(bytes)/secs/(1<<20), "MiB/s")
}
