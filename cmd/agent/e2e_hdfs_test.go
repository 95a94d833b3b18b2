package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/sink/hdfs/webhdfs/webhdfstest"
)

// The hdfs sink end to end: examples/hdfs-file.hcl (netcat → file channel → hdfs file://)
// and examples/hdfs-webhdfs.hcl, driven through the real binary. Output files are decoded here
// independently of the sink's code: gzip with the standard library, zstd with klauspost's
// decoder (and the zstd and gzip tools when installed), snappy and lz4 by parsing Hadoop's block
// format and decoding each block with klauspost/compress/snappy and pierrec/lz4.

// hdfsEnv is the environment of examples/hdfs-file.hcl under dir.
func hdfsEnv(t *testing.T, dir string, extra map[string]string) (map[string]string, string) {
	t.Helper()
	port := testkit.FreePort(t)
	env := map[string]string{
		"TZ":                  "UTC", // the regex_extractor parses line times in local time
		"FLUMEGO_PORT":        fmt.Sprint(port),
		"FLUMEGO_CHANNEL_DIR": filepath.Join(dir, "channel"),
		"FLUMEGO_HDFS_PATH":   "file://" + filepath.Join(dir, "out", "flume2", "%Y%m%d%H"),
		"FLUMEGO_MIN_SPACE":   "1MiB",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env, fmt.Sprintf("127.0.0.1:%d", port)
}

// hdfsFile is one output file, decoded.
type hdfsFile struct {
	rel   string // relative to the output root
	lines []string
}

// readHDFSOut decodes every file under root by its extension (ignoring a trailing .tmp).
func readHDFSOut(t *testing.T, root string) []hdfsFile {
	t.Helper()
	var out []hdfsFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		data := decodeByExt(t, strings.TrimSuffix(p, ".tmp"), raw)
		f := hdfsFile{rel: rel}
		if len(data) > 0 {
			f.lines = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		}
		out = append(out, f)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out
}

func decodeByExt(t *testing.T, name string, raw []byte) []byte {
	t.Helper()
	fail := func(err error) []byte { t.Fatalf("%s: %v", name, err); return nil }
	switch filepath.Ext(name) {
	case ".gz":
		z, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return fail(err)
		}
		data, err := io.ReadAll(z)
		if err != nil {
			return fail(err)
		}
		return data
	case ".zst":
		d, err := zstd.NewReader(nil)
		if err != nil {
			return fail(err)
		}
		defer d.Close()
		data, err := d.DecodeAll(raw, nil)
		if err != nil {
			return fail(err)
		}
		return data
	case ".snappy", ".lz4":
		data, err := hadoopBlocks(filepath.Ext(name), raw)
		if err != nil {
			return fail(err)
		}
		return data
	}
	return raw
}

// hadoopBlocks decodes Hadoop's BlockCompressorStream format: per block a 4-byte big-endian
// uncompressed length, then chunks of a 4-byte compressed length and the compressed bytes.
func hadoopBlocks(ext string, raw []byte) ([]byte, error) {
	var out []byte
	for len(raw) > 0 {
		if len(raw) < 4 {
			return nil, fmt.Errorf("torn block header")
		}
		want := int(binary.BigEndian.Uint32(raw))
		raw = raw[4:]
		for got := 0; got < want; {
			if len(raw) < 4 {
				return nil, fmt.Errorf("torn chunk header")
			}
			n := int(binary.BigEndian.Uint32(raw))
			if len(raw) < 4+n {
				return nil, fmt.Errorf("torn chunk")
			}
			chunk := raw[4 : 4+n]
			raw = raw[4+n:]
			var dec []byte
			var err error
			if ext == ".snappy" {
				dec, err = snappy.Decode(nil, chunk)
			} else {
				dec = make([]byte, want-got)
				var m int
				m, err = lz4.UncompressBlock(chunk, dec)
				dec = dec[:m]
			}
			if err != nil {
				return nil, err
			}
			out = append(out, dec...)
			got += len(dec)
		}
	}
	return out, nil
}

func allHDFSLines(files []hdfsFile) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.lines...)
	}
	return out
}

func assertNoInUse(t *testing.T, files []hdfsFile) {
	t.Helper()
	for _, f := range files {
		if strings.HasSuffix(f.rel, ".tmp") {
			t.Errorf("in-use file left behind: %s", f.rel)
		}
	}
}

// timedLines are n lines per hour for the given hours of 2024-03-05, interleaved, each
// starting with its time as the example's regex_extractor expects.
func timedLines(hours []int, n int) (all []string, byHour map[string][]string) {
	byHour = map[string][]string{}
	for i := range n {
		for _, h := range hours {
			l := fmt.Sprintf("2024-03-05 %02d:%02d:%02d GET /item/%d-%d", h, i%60, i%60, h, i)
			all = append(all, l)
			dir := fmt.Sprintf("2024030%d%02d", 5, h)
			byHour[dir] = append(byHour[dir], l)
		}
	}
	return all, byHour
}

func TestHDFSSinkHourlyLayoutWithRoundAndRollByCount(t *testing.T) {
	dir := t.TempDir()
	env, addr := hdfsEnv(t, dir, map[string]string{"FLUMEGO_ROLL_COUNT": "100", "FLUMEGO_SINK_BATCH": "30"})
	p := startAgent(t, example("hdfs-file.hcl"), env)
	lines, byHour := timedLines([]int{7, 8, 9}, 250)
	sendLines(t, addr, lines, true)
	sendLines(t, addr, []string{"a line without a time"}, true)
	waitFor(t, 20*time.Second, "every event drained", func() bool {
		return p.metric(t, `flumego_sink_event_drain_success_total{agent="a1",component="k1",type="hdfs"}`) == 751
	})
	if n := p.metric(t, `flumego_sink_event_timestamp_missing_total{agent="a1",component="k1",type="hdfs"}`); n != 1 {
		t.Errorf("EventTimestampMissingCount = %v, want 1", n)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	files := readHDFSOut(t, filepath.Join(dir, "out", "flume2"))
	assertNoInUse(t, files)
	got := map[string][]string{}
	perFile := map[string][]int{}
	for _, f := range files {
		hourDir, name := filepath.Split(f.rel)
		hourDir = strings.TrimSuffix(hourDir, "/")
		if !strings.HasPrefix(name, "flume2-.") {
			t.Errorf("file %s: want the prefix flume2- and a counter", f.rel)
		}
		got[hourDir] = append(got[hourDir], f.lines...)
		perFile[hourDir] = append(perFile[hourDir], len(f.lines))
	}
	for hourDir, want := range byHour {
		if strings.Join(got[hourDir], "\n") != strings.Join(want, "\n") {
			t.Errorf("%s holds %d lines, want its %d in order", hourDir, len(got[hourDir]), len(want))
		}
		if fmt.Sprint(perFile[hourDir]) != "[100 100 50]" {
			t.Errorf("%s: lines per file %v, want [100 100 50] (roll_count = 100)", hourDir, perFile[hourDir])
		}
	}
	// The line without a time went to the agent's current hour (missing_timestamp = local_time).
	if len(got) != 4 {
		t.Errorf("hour directories %v, want 2024030507..09 and the current hour", perFile)
	}
}

func TestHDFSSinkRollsBySizeAndByInterval(t *testing.T) {
	t.Run("size", func(t *testing.T) {
		dir := t.TempDir()
		env, addr := hdfsEnv(t, dir, map[string]string{"FLUMEGO_ROLL_SIZE": "2000", "FLUMEGO_SINK_BATCH": "7"})
		p := startAgent(t, example("hdfs-file.hcl"), env)
		lines, _ := timedLines([]int{7}, 300) // 38 or 39 bytes each
		sendLines(t, addr, lines, true)
		waitFor(t, 20*time.Second, "every event drained", func() bool {
			return p.metric(t, `flumego_sink_event_drain_success_total{agent="a1",component="k1",type="hdfs"}`) == 300
		})
		p.stop(t, syscall.SIGTERM)
		files := readHDFSOut(t, filepath.Join(dir, "out"))
		assertNoInUse(t, files)
		assertExactlyOnce(t, lines, allHDFSLines(files))
		for i, f := range files {
			size := 0
			for _, l := range f.lines {
				size += len(l)
			}
			last := i == len(files)-1
			if !last && (size < 2000 || size-len(f.lines[len(f.lines)-1]) >= 2000) || last && size >= 2000 {
				t.Errorf("%s holds %d bytes of bodies: a file rolls with the event that reaches roll_size (2000)", f.rel, size)
			}
		}
	})
	t.Run("interval", func(t *testing.T) {
		dir := t.TempDir()
		env, addr := hdfsEnv(t, dir, map[string]string{"FLUMEGO_ROLL_INTERVAL": "1s", "FLUMEGO_SINK_BATCH": "10"})
		p := startAgent(t, example("hdfs-file.hcl"), env)
		var all []string
		for wave := range 3 {
			lines, _ := timedLines([]int{10 + wave}, 20)
			lines = append(lines, fmt.Sprintf("2024-03-05 07:00:00 wave %d", wave)) // all waves share hour 07
			all = append(all, lines...)
			sendLines(t, addr, lines, true)
			finished := func() int {
				n := 0
				for _, f := range readHDFSOut(t, filepath.Join(dir, "out", "flume2", "2024030507")) {
					if !strings.HasSuffix(f.rel, ".tmp") {
						n++
					}
				}
				return n
			}
			waitFor(t, 10*time.Second, "the hour's file to roll by time", func() bool { return finished() == wave+1 })
		}
		p.stop(t, syscall.SIGTERM)
		files := readHDFSOut(t, filepath.Join(dir, "out"))
		assertNoInUse(t, files)
		assertExactlyOnce(t, all, allHDFSLines(files))
	})
}

func TestHDFSSinkEveryCodecDecompressesToTheLinesSent(t *testing.T) {
	for _, codec := range []string{"", "gzip", "zstd", "snappy", "lz4"} {
		t.Run("codec="+codec, func(t *testing.T) {
			dir := t.TempDir()
			env, addr := hdfsEnv(t, dir, map[string]string{"FLUMEGO_CODEC": codec, "FLUMEGO_SINK_BATCH": "500", "FLUMEGO_ROLL_COUNT": "1500"})
			p := startAgent(t, example("hdfs-file.hcl"), env)
			lines, _ := timedLines([]int{7, 8}, 2000)
			sendLines(t, addr, lines, false)
			waitFor(t, 30*time.Second, "every event drained", func() bool {
				return p.metric(t, `flumego_sink_event_drain_success_total{agent="a1",component="k1",type="hdfs"}`) == float64(len(lines))
			})
			if code := p.stop(t, syscall.SIGTERM); code != 0 {
				t.Fatalf("exit code %d", code)
			}
			root := filepath.Join(dir, "out")
			files := readHDFSOut(t, root)
			assertNoInUse(t, files)
			assertExactlyOnce(t, lines, allHDFSLines(files))
			ext := map[string]string{"gzip": ".gz", "zstd": ".zst", "snappy": ".snappy", "lz4": ".lz4"}[codec]
			for _, f := range files {
				if filepath.Ext(f.rel) != ext && ext != "" {
					t.Errorf("%s lacks the extension %s", f.rel, ext)
				}
				// The standard tools agree where they read the format.
				tool := map[string]string{".gz": "gzip", ".zst": "zstd"}[ext]
				if tool == "" {
					continue
				}
				if _, err := exec.LookPath(tool); err != nil {
					t.Logf("%s not installed: checked with the Go decoder only", tool)
					continue
				}
				out, err := exec.Command(tool, "-dc", filepath.Join(root, f.rel)).Output()
				if err != nil || strings.Count(string(out), "\n") != len(f.lines) {
					t.Errorf("%s -dc %s: %v, %d lines, want %d", tool, f.rel, err, strings.Count(string(out), "\n"), len(f.lines))
				}
			}
		})
	}
}

// TestHDFSSinkKill9MidWriteThenRestart kills the agent at random moments while acknowledged
// lines stream in, restarts it, and checks that recovery finishes every in-use file, that
// every acknowledged line is delivered, and that duplicates stay within the batches in flight.
func TestHDFSSinkKill9MidWriteThenRestart(t *testing.T) {
	for _, codec := range []string{"", "gzip"} {
		t.Run("codec="+codec, func(t *testing.T) {
			const kills, sinkBatch = 5, 50
			dir := t.TempDir()
			env, addr := hdfsEnv(t, dir, map[string]string{
				"FLUMEGO_CODEC": codec, "FLUMEGO_SINK_BATCH": fmt.Sprint(sinkBatch),
				"FLUMEGO_HDFS_PATH":  "file://" + filepath.Join(dir, "out", "flume2"), // the seq lines carry no time
				"FLUMEGO_ROLL_COUNT": "700",
			})
			client := &ackingClient{}
			recovered := 0.0
			for k := range kills {
				p := startAgent(t, example("hdfs-file.hcl"), env)
				done := make(chan struct{})
				go func() { client.run(addr, 1<<30); close(done) }()
				time.Sleep(time.Duration(150+rand.IntN(300)) * time.Millisecond)
				if k > 0 {
					recovered += p.metric(t, `flumego_sink_file_recovered_total{agent="a1",component="k1",type="hdfs"}`)
				}
				_ = p.cmd.Process.Signal(syscall.SIGKILL)
				<-p.done
				<-done
			}
			p := startAgent(t, example("hdfs-file.hcl"), env)
			final := client.acked.Load() + 1000
			client.run(addr, final)
			if got := client.acked.Load(); got != final {
				t.Fatalf("only %d of %d lines acknowledged on the last run", got, final)
			}
			root := filepath.Join(dir, "out")
			waitFor(t, 60*time.Second, "every acknowledged line delivered", func() bool {
				seen := map[string]bool{}
				for _, l := range allHDFSLines(readHDFSOut(t, root)) {
					seen[l] = true
				}
				for i := int64(0); i < final; i++ {
					if !seen[fmt.Sprintf("seq-%08d", i)] {
						return false
					}
				}
				return true
			})
			recovered += p.metric(t, `flumego_sink_file_recovered_total{agent="a1",component="k1",type="hdfs"}`)
			// Recovery of the last kill's files is done: only this run's files are in use.
			for _, f := range readHDFSOut(t, root) {
				if strings.HasSuffix(f.rel, ".tmp") && p.metric(t, `flumego_sink_open_file{agent="a1",component="k1",type="hdfs"}`) < 1 {
					t.Errorf("%s in use while the sink has no file open", f.rel)
				}
			}
			if code := p.stop(t, syscall.SIGTERM); code != 0 {
				t.Errorf("exit code %d", code)
			}
			files := readHDFSOut(t, root)
			assertNoInUse(t, files)
			counts := map[int64]int{}
			for _, l := range allHDFSLines(files) {
				m := seqLine.FindStringSubmatch(l)
				if m == nil {
					t.Fatalf("unexpected line %q: a torn line survived recovery", l)
				}
				n, _ := strconv.ParseInt(m[1], 10, 64)
				counts[n]++
			}
			dups := 0
			for i := int64(0); i < final; i++ {
				if counts[i] == 0 {
					t.Fatalf("line %d was acknowledged and never delivered", i)
				}
				dups += counts[i] - 1
			}
			// A duplicate comes from the sink batch in flight at a kill, or from a put that
			// committed but whose OK the kill cut off (one netcat batch, sent again).
			if bound := kills * (sinkBatch + 100); dups > bound {
				t.Errorf("%d duplicates after %d kills, more than the in-flight bound %d", dups, kills, bound)
			}
			if recovered == 0 {
				t.Errorf("no in-use file was recovered after %d kills", kills)
			}
			t.Logf("%d kills: %d lines acknowledged, %d files, %d in-use files recovered, %d duplicates", kills, final, len(files), int(recovered), dups)
		})
	}
}

// TestHDFSSinkOverWebHDFS runs examples/hdfs-webhdfs.hcl against an in-test server that
// implements the documented WebHDFS protocol (not a live cluster).
func TestHDFSSinkOverWebHDFS(t *testing.T) {
	srv := webhdfstest.New()
	defer srv.Close()
	port := testkit.FreePort(t)
	p := startAgent(t, example("hdfs-webhdfs.hcl"), map[string]string{
		"FLUMEGO_PORT":      fmt.Sprint(port),
		"FLUMEGO_HDFS_PATH": "webhdfs://" + srv.Addr() + "/flume/%Y%m%d%H",
	})
	lines := numbered("web-", 5000)
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), lines, true)
	waitFor(t, 20*time.Second, "every event drained", func() bool {
		return p.metric(t, `flumego_sink_event_drain_success_total{agent="a1",component="k1",type="hdfs"}`) == 5000
	})
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	var got []string
	for name, data := range srv.Files() {
		if !strings.HasPrefix(name, "/flume/") || !strings.HasSuffix(name, ".gz") {
			t.Errorf("file %s: want /flume/<hour>/FlumeData.<n>.gz", name)
			continue
		}
		got = append(got, strings.Split(strings.TrimSuffix(string(decodeByExt(t, name, data)), "\n"), "\n")...)
	}
	assertExactlyOnce(t, lines, got)
	if m := srv.Misuse(); len(m) > 0 {
		t.Errorf("WebHDFS protocol misuse: %v", m)
	}
}

// TestHDFSSinkUnreachableNamenodeKeepsOtherFlowsRunning: one flow writes to an hdfs:// namenode
// nobody listens on, another to file_roll. The agent starts, the hdfs sink counts its failures
// with a clear error, and the other flow delivers.
func TestHDFSSinkUnreachableNamenodeKeepsOtherFlowsRunning(t *testing.T) {
	dir := t.TempDir()
	p1, p2, dead := testkit.FreePort(t), testkit.FreePort(t), testkit.FreePort(t)
	cfg := filepath.Join(dir, "agent.hcl")
	out := filepath.Join(dir, "out")
	src := fmt.Sprintf(`agent "a1" {
  source "netcat" "to_hdfs" {
    bind     = "127.0.0.1"
    port     = %d
    channels = ["c1"]
  }
  source "netcat" "to_files" {
    bind     = "127.0.0.1"
    port     = %d
    channels = ["c2"]
  }
  channel "memory" "c1" {}
  channel "memory" "c2" {}
  sink "hdfs" "k1" {
    channel             = "c1"
    path                = "hdfs://127.0.0.1:%d/flume/%%Y%%m%%d"
    use_local_timestamp = true
    call_timeout        = "2s"
  }
  sink "file_roll" "k2" {
    channel       = "c2"
    directory     = %q
    roll_interval = 0
  }
  metrics { listen = env("FLUMEGO_METRICS", "127.0.0.1:41414") }
}
`, p1, p2, dead, out)
	if err := os.WriteFile(cfg, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startAgent(t, cfg, nil)
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", p1), numbered("h-", 10), false)
	other := numbered("f-", 200)
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", p2), other, true)
	waitFor(t, 20*time.Second, "the other flow to deliver", func() bool { return len(dirLines(t, out)) == len(other) })
	waitFor(t, 20*time.Second, "the hdfs sink to count its failures", func() bool {
		return p.metric(t, `flumego_sink_connection_failed_total{agent="a1",component="k1",type="hdfs"}`) >= 2 &&
			p.metric(t, `flumego_sink_event_write_fail_total{agent="a1",component="k1",type="hdfs"}`) >= 10
	})
	if !strings.Contains(p.out.String(), fmt.Sprintf("connect to namenode [127.0.0.1:%d]", dead)) {
		t.Errorf("the log does not name the unreachable namenode:\n%s", p.out.String())
	}
	p.stop(t, syscall.SIGTERM)
	assertExactlyOnce(t, other, dirLines(t, out))
}
