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
)

// limitScenarios copy the access log with cat, to /dev/null and to a file beside it (no fsync:
// the file is left to the page cache, as cat leaves it).
func limitScenarios() []scenario {
	return []scenario{
		{name: catNull, run: func() result { return catTo(os.DevNull) }},
		{name: catFile, run: func() result {
			out := filepath.Join(filepath.Dir(accessLog), "flowbench-cat.out")
			defer os.Remove(out)
			return catTo(out)
		}},
	}
}

func catTo(path string) result {
	ensureAccessLog()
	lines, size := countLines(accessLog)
	out, err := os.Create(path)
	check(err)
	defer out.Close()
	cmd := exec.Command("cat", accessLog)
	cmd.Stdout = out
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
