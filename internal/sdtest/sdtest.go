// Package sdtest listens where systemd would for a Type=notify service, so tests can check the
// sd_notify states an agent sends.
package sdtest

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Socket is what systemd listens on for a Type=notify service: a unixgram socket. It
// keeps every state line it receives, in order.
type Socket struct {
	Path string
	conn *net.UnixConn
	mu   sync.Mutex
	msgs []string
}

// Listen opens the socket; set NOTIFY_SOCKET to its Path.
func Listen(t *testing.T) *Socket {
	t.Helper()
	// Unix socket paths are limited to 108 bytes: t.TempDir() can be longer.
	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Socket{Path: filepath.Join(dir, "notify")}
	s.conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.Path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { s.conn.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := s.conn.Read(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, strings.Split(strings.TrimSpace(string(buf[:n])), "\n")...)
			s.mu.Unlock()
		}
	}()
	return s
}

// States returns every line received so far.
func (s *Socket) States() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

// Count returns how many lines equal state.
func (s *Socket) Count(state string) int {
	n := 0
	for _, m := range s.States() {
		if m == state {
			n++
		}
	}
	return n
}

// After returns the lines received after the n-th occurrence of state.
func (s *Socket) After(state string, n int) []string {
	all := s.States()
	for i, m := range all {
		if m == state {
			if n--; n == 0 {
				return all[i+1:]
			}
		}
	}
	return nil
}
