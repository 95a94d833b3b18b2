package testkit

import (
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"testing"
)

// portsPicked counts the ports this test process picked, so that it never picks one twice
// while the first may still be waiting for its listener.
var portsPicked atomic.Uint32

// FreePort returns a loopback TCP port that nothing listens on, for a test that must name a
// port before the process listening on it starts. The port is taken below the kernel's
// ephemeral range when there is room: the ports the kernel hands out by itself (to listeners on
// port 0 and to every process's outgoing connections) come from that range, so one picked there
// could be taken by a connection of another test before the agent binds it.
func FreePort(t testing.TB) int {
	t.Helper()
	if lo, hi := portBand(); hi > lo {
		for range 200 {
			// Each process starts at a place of its own (by its pid), so that the test
			// processes of several packages running at once rarely meet.
			p := lo + int((uint32(os.Getpid())*7919+portsPicked.Add(1))%uint32(hi-lo))
			if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
				l.Close()
				return p
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// portBand is the band FreePort picks from: [lo, hi), up to 12,000 ports just below the
// ephemeral range and above 10000; empty when the range leaves no room (or cannot be read).
func portBand() (lo, hi int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0
	}
	var first, last int
	if _, err := fmt.Sscan(string(b), &first, &last); err != nil {
		return 0, 0
	}
	hi = first
	lo = max(10000, hi-12000)
	if hi-lo < 1000 {
		return 0, 0
	}
	return lo, hi
}
