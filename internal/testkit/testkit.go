// Package testkit holds the helpers every package's tests share, so none keeps its own copy.
// It is imported only by tests.
package testkit

import (
	"testing"
	"time"
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
