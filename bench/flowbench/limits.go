package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// The limit scenarios: what the machine does with the same input without flumego.
const (
	catNull = "limit: cat access log > /dev/null"
	catFile = "limit: cat access log > file on the same disk"
	ddSync  = "limit: dd access log > file, fsync per MiB (oflag=dsync)"
)

// limitScenarios copy the access log with cat, to /dev/null and to a file beside it (no fsync:
// the file is left to the page cache, as cat leaves it), and with dd to a file synced every
// MiB: what durable writes of the log in 1MiB commits cost on this disk, the floor of a flow
// through a file channel (whose puts are about that size, and pay two fsyncs each).
func limitScenarios() []scenario {
	out := filepath.Join(filepath.Dir(accessLog), "flowbench-limit.out")
	return []scenario{
		{name: catNull, run: func() result { return copyLog(os.DevNull, "cat", accessLog) }},
		{name: catFile, run: func() result {
			defer os.Remove(out)
			return copyLog(out, "cat", accessLog)
		}},
		{name: ddSync, run: func() result {
			defer os.Remove(out)
			return copyLog("", "dd", "if="+accessLog, "of="+out, "bs=1M", "oflag=dsync", "status=none")
		}},
	}
}

// copyLog runs a command copying the access log, its output into path ("" for none).
func copyLog(path, name string, args ...string) result {
	ensureAccessLog()
	lines, size := countLines(accessLog)
	cmd := exec.Command(name, args...)
	if path != "" {
		out, err := os.Create(path)
		check(err)
		defer out.Close()
		cmd.Stdout = out
	}
	t0 := time.Now()
	check(cmd.Run())
	r := usageOf(cmd.ProcessState)
	r.events, r.bytes, r.seconds = lines, size, time.Since(t0).Seconds()
	return r
}

// usageOf is the CPU time of a finished process. (Its peak memory is left out: the kernel's
// figure for a child counts the image of the Go process it was forked from.)
func usageOf(ps *os.ProcessState) result {
	return result{cpu: (ps.UserTime() + ps.SystemTime()).Seconds()}
}
