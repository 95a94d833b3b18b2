// Package testkit holds the helpers every package's tests share, so none keeps its own copy.
// It is imported only by tests.
package testkit

import (
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/metrics"
)

// WaitFor polls cond every few milliseconds until it holds, and fails the test with what when
// it still does not hold after within. Tests wait for conditions, never for fixed times.
func WaitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Counter returns the value of a component's counter or gauge by name, or -1 when it has none
// of that name, so a test cannot mistake a misspelt name for a zero (metrics.Component.Counter
// would create it).
func Counter(c *metrics.Component, name string) int64 {
	for _, v := range c.Values() {
		if v.Name() == name {
			return v.Load()
		}
	}
	return -1
}

// Bodies returns the events' bodies as strings, in order.
func Bodies(events []channel.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = string(e.Body)
	}
	return out
}
