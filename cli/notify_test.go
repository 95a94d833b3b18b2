package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/flumego/flumego/internal/sdtest"
	"github.com/flumego/flumego/internal/testkit"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

func TestWatchdogPingsOnlyWhileHealthy(t *testing.T) {
	sd := sdtest.Listen(t)
	t.Setenv("NOTIFY_SOCKET", sd.Path)
	t.Setenv("WATCHDOG_USEC", "40000") // a ping every 20ms
	t.Setenv("WATCHDOG_PID", fmt.Sprint(os.Getpid()))
	var unhealthy atomic.Bool
	health := func() error {
		if unhealthy.Load() {
			return errors.New("source r1: failed")
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		notifier{log: slog.New(slog.DiscardHandler)}.watchdog(ctx, health)
	}()
	defer func() { cancel(); <-done }()

	testkit.WaitFor(t, 5*time.Second, "pings while healthy", func() bool { return sd.Count("WATCHDOG=1") >= 3 })
	unhealthy.Store(true)
	// Let any ping already decided on arrive, then none may follow for several intervals.
	time.Sleep(50 * time.Millisecond)
	stalled := sd.Count("WATCHDOG=1")
	time.Sleep(200 * time.Millisecond) // ten intervals without a ping: a negative check needs time
	if n := sd.Count("WATCHDOG=1"); n != stalled {
		t.Fatalf("%d pings sent while unhealthy", n-stalled)
	}
	unhealthy.Store(false)
	testkit.WaitFor(t, 5*time.Second, "pings once healthy again", func() bool { return sd.Count("WATCHDOG=1") > stalled })
}

func TestWatchdogIsNotServedForAnotherProcess(t *testing.T) {
	tests := map[string]map[string]string{
		"no WATCHDOG_USEC":      {"WATCHDOG_USEC": ""},
		"WATCHDOG_PID of pid 1": {"WATCHDOG_USEC": "40000", "WATCHDOG_PID": "1"},
		"invalid WATCHDOG_USEC": {"WATCHDOG_USEC": "soon"},
	}
	for name, env := range tests {
		t.Run(name, func(t *testing.T) {
			sd := sdtest.Listen(t)
			t.Setenv("NOTIFY_SOCKET", sd.Path)
			t.Setenv("WATCHDOG_PID", "")
			for k, v := range env {
				t.Setenv(k, v)
			}
			returned := make(chan struct{})
			go func() {
				notifier{log: slog.New(slog.DiscardHandler)}.watchdog(context.Background(), func() error { return nil })
				close(returned)
			}()
			select {
			case <-returned: // it does not serve: it returns at once, having sent nothing
			case <-time.After(5 * time.Second):
				t.Fatal("watchdog serves a watchdog that is not the agent's")
			}
			if n := sd.Count("WATCHDOG=1"); n != 0 {
				t.Errorf("%d pings sent", n)
			}
		})
	}
}
