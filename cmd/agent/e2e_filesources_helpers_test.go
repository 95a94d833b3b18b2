package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// logWriter appends numbered lines to a log file the way a busy application does (about 100
// lines per millisecond, in one write per millisecond), and rotates it between two writes when
// asked. Its file is opened with O_APPEND, as logrotate's copytruncate requires.
type logWriter struct {
	t      *testing.T
	path   string
	prefix string
	f      *os.File
	next   int
	// encode, when set, appends line i (without its "\n") as the records a container runtime
	// writes for it, and returns where its last record starts. With holdLast, each write keeps
	// back the last record (the end of a line written in parts) for the next one, so the file
	// often ends inside a partial line, across rotations too; finish writes it.
	encode   func(b []byte, i int, line []byte) (out []byte, last int)
	holdLast bool
	held     []byte
}

func newLogWriter(t *testing.T, path, prefix string) *logWriter {
	t.Helper()
	w := &logWriter{t: t, path: path, prefix: prefix}
	w.reopen()
	t.Cleanup(w.close)
	return w
}

// reopen switches to a new file at the path (after a rotation), as the application does.
func (w *logWriter) reopen() {
	w.t.Helper()
	w.close()
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	w.f = f
}

func (w *logWriter) close() {
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}

// write appends n lines in one write.
func (w *logWriter) write(n int) {
	w.t.Helper()
	b := make([]byte, 0, n*(len(w.prefix)+8))
	b = append(b, w.held...)
	var line []byte
	last := 0
	for range n {
		line = appendPadded(append(line[:0], w.prefix...), w.next, 7)
		if w.encode != nil {
			b, last = w.encode(b, w.next, line)
		} else {
			b = append(append(b, line...), '\n')
		}
		w.next++
	}
	w.held = nil
	if w.holdLast && w.encode != nil {
		w.held = append([]byte(nil), b[last:]...)
		b = b[:last]
	}
	if _, err := w.f.Write(b); err != nil {
		w.t.Fatal(err)
	}
}

// finish writes what write held back and closes the file.
func (w *logWriter) finish() {
	w.t.Helper()
	if len(w.held) > 0 {
		if _, err := w.f.Write(w.held); err != nil {
			w.t.Fatal(err)
		}
		w.held = nil
	}
	w.close()
}

// appendPadded appends v in decimal, left-padded with zeros to width digits.
func appendPadded(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// runFor writes at rate lines per millisecond for d.
func (w *logWriter) runFor(d time.Duration, rate int) {
	start := time.Now()
	done := 0
	for time.Since(start) < d {
		due := int(time.Since(start)/time.Millisecond+1) * rate
		if due > done {
			w.write(due - done)
			done = due
		}
		time.Sleep(time.Millisecond)
	}
}

// lines are every line written so far.
func (w *logWriter) lines() []string {
	out := make([]string, w.next)
	for i := range out {
		out[i] = fmt.Sprintf("%s%07d", w.prefix, i)
	}
	return out
}

// countLines counts the lines of every file in dir (a file_roll directory).
func countLines(t *testing.T, dir string) int {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil {
			n += strings.Count(string(b), "\n")
		}
	}
	return n
}

// openFilesUnder counts the descriptors of process pid open on files under dir, and all of
// its descriptors.
func openFilesUnder(pid int, dir string) (under, all int) {
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(fdDir)
	if err != nil {
		return -1, -1
	}
	for _, e := range entries {
		all++
		if target, err := os.Readlink(filepath.Join(fdDir, e.Name())); err == nil && strings.HasPrefix(target, dir+"/") {
			under++
		}
	}
	return under, all
}

// createWithInode creates an empty file at path, trying to have it take inode ino, as ext4
// does for the next file created after one is deleted; it reports whether it did.
func createWithInode(t *testing.T, path string, ino uint64) bool {
	t.Helper()
	for i := 0; i < 50; i++ {
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if inodeOf(t, path) == ino {
			return true
		}
		hold := fmt.Sprintf("%s.hold%d", path, i)
		os.Rename(path, hold)
		defer os.Remove(hold)
	}
	os.WriteFile(path, nil, 0o644)
	return false
}

func inodeOf(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// duplicates counts the lines of got that appear more than once, and fails on a missing line
// or on a line that is not in want.
func duplicates(t *testing.T, want, got []string) int {
	t.Helper()
	count := make(map[string]int, len(want))
	for _, g := range got {
		count[g]++
	}
	dups := 0
	for _, w := range want {
		c := count[w]
		if c == 0 {
			t.Fatalf("line %q is missing (of %d lines, got %d)", w, len(want), len(got))
		}
		dups += c - 1
		delete(count, w)
	}
	if len(count) > 0 {
		for g := range count {
			t.Fatalf("%d unexpected lines, such as %q", len(count), g)
		}
	}
	return dups
}
