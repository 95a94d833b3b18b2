package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// accessLog is the 2,000,000-line access log of ../shared/bench/genlog.py (about 150 bytes a
// line), made once and kept in /tmp, as the peers' benchmarks use it.
const accessLog = "/tmp/access.log"

// The scenarios the aims compare.
const (
	memoryNull       = "taildir → memory → null, access log"
	fileNull         = "taildir → file(fsync=commit) → null, access log"
	tunedFileRoll    = "taildir → memory → file_roll(fsync), tuned example"
	defaultsFileRoll = "taildir → memory → file_roll, every setting at its default"
)

// fileSourceScenarios are the taildir flows over the access log, each measured against a copy
// of the same log: cat to /dev/null for the flows that write nothing, to a file for those
// that write it, and dd with an fsync per MiB for the one through the file channel.
func fileSourceScenarios(bin string) []scenario {
	const drained = "flumego_sink_event_drain_success_total"
	return []scenario{
		{memoryNull, catNull, func() result { return taildirFlow(bin, "examples/taildir-null.hcl", drained) }},
		{fileNull, ddSync, func() result { return taildirFlow(bin, "examples/taildir-filechannel-null.hcl", drained) }},
		{tunedFileRoll, catFile, func() result { return taildirFlow(bin, "examples/taildir-fileroll.hcl", drained) }},
		{"taildir → memory → file_roll(no fsync), tuned example", catFile, func() result {
			return taildirFlow(bin, "examples/taildir-fileroll.hcl", drained, "FLUMEGO_FSYNC=false")
		}},
		{defaultsFileRoll, catFile, func() result { return taildirFlow(bin, "examples/taildir-defaults-fileroll.hcl", drained) }},
		{"taildir format=cri → memory → null, access log in CRI records", catNull, func() result {
			return taildirFlowOn(bin, criAccessLog(), "examples/taildir-cri-null.hcl", drained)
		}},
	}
}

// criAccessLog is the access log as a container runtime writes it (containerd's CRI format:
// a time a microsecond apart, the stream, "F", the line), made once beside it.
func criAccessLog() string {
	const path = "/tmp/access-cri.log"
	if _, err := os.Stat(path); err == nil {
		return path
	}
	ensureAccessLog()
	in, err := os.ReadFile(accessLog)
	check(err)
	out := make([]byte, 0, len(in)+len(in)/4)
	t := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for i, line := range bytes.SplitAfter(in, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		out = t.Add(time.Duration(i)*time.Microsecond).AppendFormat(out, time.RFC3339Nano)
		out = append(out, []string{" stdout F ", " stderr F "}[i%10/9]...)
		out = append(out, line...)
	}
	check(os.WriteFile(path, out, 0o644))
	return path
}

// taildirFlow tails a hard link of the access log (a copy where links are impossible) from a
// fresh position file and waits until the sink has drained every line.
func taildirFlow(bin, cfg, doneMetric string, env ...string) result {
	ensureAccessLog()
	return taildirFlowOn(bin, accessLog, cfg, doneMetric, env...)
}

// taildirFlowOn is taildirFlow on another log.
func taildirFlowOn(bin, log, cfg, doneMetric string, env ...string) result {
	lines, size := countLines(log)
	dir, err := os.MkdirTemp("", "flowbench-taildir-")
	check(err)
	defer os.RemoveAll(dir)
	logPath := filepath.Join(dir, "access.log")
	if os.Link(log, logPath) != nil {
		copyFile(log, logPath)
	}
	env = append(env, "FLUMEGO_TAIL_PATH="+filepath.Join(dir, "*.log"),
		"FLUMEGO_POSITION_FILE="+filepath.Join(dir, "pos", "taildir.json"),
		"FLUMEGO_OUT="+filepath.Join(dir, "out"), "FLUMEGO_DIR="+filepath.Join(dir, "channel"))
	t0 := time.Now()
	p := start(bin, cfg, env...)
	end := p.waitMetric(doneMetric, float64(lines))
	r := p.stop()
	r.events, r.bytes, r.seconds = lines, size, end.Sub(t0).Seconds()
	return r
}

func ensureAccessLog() {
	if _, err := os.Stat(accessLog); err == nil {
		return
	}
	gen := filepath.Join("..", "shared", "bench", "genlog.py")
	if _, err := os.Stat(gen); err != nil {
		gen = "/work/shared/bench/genlog.py"
	}
	fmt.Fprintf(os.Stderr, "generating %s with %s ...\n", accessLog, gen)
	cmd := exec.Command("python3", gen, "2000000", accessLog)
	cmd.Stderr = os.Stderr
	check(cmd.Run())
}

func countLines(path string) (lines, size int64) {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		n, err := f.Read(buf)
		lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
		size += int64(n)
		if err == io.EOF {
			return lines, size
		}
		check(err)
	}
}

func copyFile(from, to string) {
	in, err := os.Open(from)
	check(err)
	defer in.Close()
	out, err := os.Create(to)
	check(err)
	_, err = io.Copy(out, in)
	check(err)
	check(out.Close())
}
