package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/memory"
	"github.com/flumego/flumego/metrics"
)

// bodySize is the size of a benchmark event: a typical log line, no headers.
const bodySize = 200

// BenchmarkPutTake measures put+take throughput: putters commit batches while one taker (a sink
// runner) takes and commits batches of the same size. One op is one event through the channel.
// The memory channel runs the same workload for the ratio.
func BenchmarkPutTake(b *testing.B) {
	for _, fsync := range []Fsync{FsyncCommit, FsyncInterval} {
		for _, batch := range []int{100, 1000} {
			for _, putters := range []int{1, 4} {
				b.Run(fmt.Sprintf("file/fsync=%s/batch=%d/putters=%d", fsync, batch, putters), func(b *testing.B) {
					cfg := benchConfig(b.TempDir(), batch)
					cfg.Fsync = fsync
					ch := openBench(b, cfg)
					benchPutTake(b, ch, batch, putters)
					reportGroups(b, ch)
				})
			}
		}
	}
	for _, batch := range []int{100, 1000} {
		b.Run(fmt.Sprintf("file/fsync=commit/cache=off/batch=%d/putters=1", batch), func(b *testing.B) {
			cfg := benchConfig(b.TempDir(), batch)
			cfg.tune.cacheBytes = -1
			ch := openBench(b, cfg)
			benchPutTake(b, ch, batch, 1)
			reportGroups(b, ch)
		})
	}
	for _, batch := range []int{100, 1000} {
		for _, putters := range []int{1, 4} {
			b.Run(fmt.Sprintf("memory/batch=%d/putters=%d", batch, putters), func(b *testing.B) {
				ch, err := memory.New(&memory.Config{Capacity: 100_000, TxCapacity: batch, KeepAlive: 3 * time.Second},
					channel.Settings{Name: "m1", Type: "memory", Metrics: metrics.NewRegistry("a1").Channel("m1", "memory")})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = ch.Close(context.Background()) })
				benchPutTake(b, ch, batch, putters)
			})
		}
	}
}

// reportGroups closes a file channel and reports how many commits its bbolt transactions held:
// 2 means each fsync served a put and a take commit.
func reportGroups(b *testing.B, ch channel.Channel) {
	if err := ch.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	k := &ch.(*fileChannel).committer
	b.ReportMetric(float64(k.grouped)/float64(max(k.groups, 1)), "commits/tx")
}

func benchConfig(dir string, batch int) *Config {
	cfg := testConfig(dir)
	cfg.Capacity = 100_000
	cfg.TxCapacity = batch
	return cfg
}

func openBench(b *testing.B, cfg *Config) channel.Channel {
	b.Helper()
	ch, err := New(cfg, channel.Settings{Name: "c1", Type: "file", Metrics: metrics.NewRegistry("a1").Channel("c1", "file")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ch.Close(context.Background()) })
	return ch
}

func benchPutTake(b *testing.B, ch channel.Channel, batch, putters int) {
	body := make([]byte, bodySize)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	total := int64(b.N)
	var claimed, taken atomic.Int64
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, putters+1)
	b.ReportAllocs()
	b.ResetTimer()
	start, before := time.Now(), readUsage()
	for range putters {
		wg.Go(func() {
			events := make([]channel.Event, batch)
			for {
				n := min(int64(batch), total-claimed.Add(int64(batch))+int64(batch))
				if n <= 0 {
					return
				}
				for i := range events[:n] {
					events[i] = channel.Event{Body: body}
				}
				for {
					err := channel.PutBatch(ctx, ch, events[:n])
					if err == nil {
						break
					}
					if !errors.Is(err, channel.ErrFull) {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		for taken.Load() < total {
			wake := ch.Ready()
			tx := ch.BeginTake()
			got, err := tx.Take(batch)
			if err != nil {
				tx.Rollback()
				errs <- err
				return
			}
			if len(got) == 0 {
				tx.Rollback()
				select {
				case <-wake:
				case <-time.After(time.Millisecond):
				}
				continue
			}
			if err := tx.Commit(ctx); err != nil {
				errs <- err
				return
			}
			taken.Add(int64(len(got)))
		}
	})
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "events/s")
	reportUsage(b, before, total)
}

// reportUsage reports the CPU time and the bytes written per event since before: figures that
// stay put when other work on the machine makes the wall time vary.
func reportUsage(b *testing.B, before usage, events int64) {
	after := readUsage()
	b.ReportMetric(float64(after.cpu-before.cpu)/float64(events), "cpu-ns/event")
	if before.written >= 0 && after.written >= 0 {
		b.ReportMetric(float64(after.written-before.written)/float64(events*bodySize), "written/payload")
	}
}

// BenchmarkDiskUse fills a channel with b.N events of 200 bytes (at least 10000) and reports
// the file's bytes per event held (and those of the pages in use, short of what bbolt
// preallocates), then drains and refills it ten times and reports the file size relative to
// the first fill: 1.00 means freed pages were all reused.
func BenchmarkDiskUse(b *testing.B) {
	n := max(b.N, 10_000)
	dir := b.TempDir()
	cfg := benchConfig(dir, 1000)
	cfg.Capacity = n
	ch := openBench(b, cfg)
	b.ResetTimer()
	var first, size int64
	for cycle := range 10 {
		fillBench(b, ch, n)
		size = fileSize(b, filepath.Join(dir, DBFile))
		if cycle == 0 {
			first = size
			b.ReportMetric(float64(size)/float64(n), "file-B/event")
			b.ReportMetric(float64(usedBytes(b, ch))/float64(n), "pages-B/event")
		}
		drainBench(b, ch)
	}
	b.ReportMetric(float64(size)/float64(first), "size-after-10-cycles/first")
}

// fillBench puts n events of bodySize bytes in batches of up to 1000.
func fillBench(tb testing.TB, ch channel.Channel, n int) {
	tb.Helper()
	body := make([]byte, bodySize)
	events := make([]channel.Event, 1000)
	if f, ok := ch.(*fileChannel); ok {
		events = events[:min(len(events), f.cfg.TxCapacity)]
	}
	for i := 0; i < n; i += len(events) {
		for j := range events {
			events[j] = channel.Event{Body: body}
		}
		if err := channel.PutBatch(context.Background(), ch, events[:min(len(events), n-i)]); err != nil {
			tb.Fatal(err)
		}
	}
}

// drainBench takes everything, in batches of up to 1000, and returns how many it took.
func drainBench(tb testing.TB, ch channel.Channel) int {
	tb.Helper()
	batch := 1000
	if f, ok := ch.(*fileChannel); ok {
		batch = min(batch, f.cfg.TxCapacity)
	}
	total := 0
	for {
		tx := ch.BeginTake()
		got, err := tx.Take(batch)
		if err != nil {
			tb.Fatal(err)
		}
		if err := tx.Commit(context.Background()); err != nil {
			tb.Fatal(err)
		}
		if len(got) == 0 {
			return total
		}
		total += len(got)
	}
}

// usedBytes is the size of the pages the database uses, short of what bbolt preallocates.
func usedBytes(tb testing.TB, ch channel.Channel) int64 {
	c := ch.(*fileChannel)
	c.dbMu.RLock()
	defer c.dbMu.RUnlock()
	var used int64
	if err := c.db.View(func(tx *bolt.Tx) error {
		used = tx.Size()
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return used
}

func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// BenchmarkGroupCommit measures what group commit gains: putters commit batches of 100 events
// (no taker, fsync = "commit") with the committer grouping concurrent commits into one bbolt
// transaction ("committer"), with every commit in its own transaction ("none"), and with
// bbolt's own DB.Batch grouping them ("bolt-batch", outside the channel: the same records
// written straight to bbolt). It reports commits per bbolt transaction where it knows them.
func BenchmarkGroupCommit(b *testing.B) {
	const batch = 100
	for _, putters := range []int{1, 4, 16} {
		for _, mode := range []string{"committer", "none", "bolt-batch"} {
			b.Run(fmt.Sprintf("%s/putters=%d", mode, putters), func(b *testing.B) {
				if mode == "bolt-batch" {
					benchBoltBatch(b, batch, putters)
					return
				}
				cfg := benchConfig(b.TempDir(), batch)
				cfg.Capacity = b.N + batch*putters
				cfg.tune.noGroupCommit = mode == "none"
				ch, err := New(cfg, channel.Settings{Name: "c1", Metrics: metrics.NewRegistry("a1").Channel("c1", "file")})
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				runPutters(b, putters, batch, func(events []channel.Event) error {
					return channel.PutBatch(context.Background(), ch, events)
				})
				elapsed := time.Since(start)
				if err := ch.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
				k := &ch.(*fileChannel).committer
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
				b.ReportMetric(float64(k.grouped)/float64(max(k.groups, 1)), "commits/tx")
			})
		}
	}
}

// runPutters runs putters goroutines that together put b.N events of bodySize bytes in batches.
func runPutters(b *testing.B, putters, batch int, put func([]channel.Event) error) {
	b.Helper()
	body := make([]byte, bodySize)
	var claimed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, putters)
	b.ReportAllocs()
	b.ResetTimer()
	for range putters {
		wg.Go(func() {
			events := make([]channel.Event, batch)
			for {
				n := min(int64(batch), int64(b.N)-claimed.Add(int64(batch))+int64(batch))
				if n <= 0 {
					return
				}
				for i := range events[:n] {
					events[i] = channel.Event{Body: body}
				}
				if err := put(events[:n]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

func benchBoltBatch(b *testing.B, batch, putters int) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), DBFile), 0o600,
		&bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(eventsBucket); return err }); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Uint64
	start := time.Now()
	runPutters(b, putters, batch, func(events []channel.Event) error {
		recs, counts := encodeRecords(events)
		keys := make([]byte, 8*len(recs))
		for i, n := range counts {
			putKey(keys[8*i:], seq.Add(uint64(n))-uint64(n))
		}
		return db.Batch(func(tx *bolt.Tx) error {
			bk := tx.Bucket(eventsBucket)
			bk.FillPercent = 1
			for i, r := range recs {
				if err := bk.Put(keys[8*i:8*i+8], r); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
