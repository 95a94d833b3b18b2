package journald

import (
	"bytes"
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

// BenchmarkEvents parses journalctl's export output of 1000 entries (the usual fields, a
// journal-sized cursor) and turns each into an event, without journalctl: the per-entry cost of
// the source's own work. One op is 1000 entries.
func BenchmarkEvents(b *testing.B) {
	entries := make([]journaltest.Entry, 1000)
	for i := range entries {
		entries[i] = journaltest.Entry{"MESSAGE": fmt.Sprintf("%09d %s", i, strings.Repeat("x", 140)),
			"__CURSOR":      fmt.Sprintf("s=5f4dcc3b5aa765d61d8327deb882cf99;i=%x;b=%s;m=%x;t=%x;x=8f14e45fceea167a", 1000+i, journaltest.BootID, 5000+i, 1764626400000000+i),
			"_SYSTEMD_UNIT": "app.service", "PRIORITY": "6", "_HOSTNAME": "host-1", "SYSLOG_IDENTIFIER": "app",
			"_PID": "4242", "_UID": "1000", "_BOOT_ID": journaltest.BootID, "_TRANSPORT": "journal"}
	}
	data := journaltest.Export(entries...)
	src, _ := newSource(b, b.TempDir(), func(*Config) {})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var e entry
	for b.Loop() {
		er := newExportReader(bytes.NewReader(data), int(src.cfg.MaxFieldBytes))
		for er.next(&e) == nil {
			src.event(&e)
		}
	}
}
