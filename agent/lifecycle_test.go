package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/memory"
	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/internal/kafkatest"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/source"
	kafkasource "github.com/flumego/flumego/source/kafka"
	"github.com/flumego/flumego/source/netcat"
)

// verifyNoLeaks checks, once the test and all its cleanups are done, that no goroutine it
// started is still running.
func verifyNoLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// stuckSink never delivers: Write waits until its ctx ends. Close records whether the context
// it was given still had time left, and how many times it ran.
type stuckSink struct {
	mu          sync.Mutex
	closes      int
	closeCtxErr error
}

func (s *stuckSink) Write(ctx context.Context, _ []channel.Event) error {
	<-ctx.Done()
	return ctx.Err()
}

func (s *stuckSink) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closes++
	s.closeCtxErr = ctx.Err()
	return nil
}

type emptyConfig struct{}

// panicInRun is a source whose Run panics.
type panicInRun struct{}

func (panicInRun) Run(context.Context) error   { panic("a bug in a custom source's Run") }
func (panicInRun) Close(context.Context) error { return nil }

// lifecycleComponents are netcat and kafka sources, memory channels, a "stuck" sink type (one
// shared stuckSink), and a "panic" sink type and source type whose constructors panic.
func lifecycleComponents(stuck *stuckSink) config.Components {
	empty := func() *emptyConfig { return &emptyConfig{} }
	return config.Components{
		Sources: []source.Factory{
			netcat.NewFactory(),
			kafkasource.NewFactory(),
			source.NewFactory("panic", empty, func(*emptyConfig, source.Settings) (source.Source, error) {
				panic("a bug in a custom source")
			}),
			source.NewFactory("panic_in_run", empty, func(*emptyConfig, source.Settings) (source.Source, error) {
				return panicInRun{}, nil
			}),
		},
		Channels: []channel.Factory{memory.NewFactory()},
		Sinks: []sink.Factory{
			sink.NewFactory("stuck", empty, func(*emptyConfig, sink.Settings) (sink.Sink, error) { return stuck, nil }),
			sink.NewFactory("panic", empty, func(*emptyConfig, sink.Settings) (sink.Sink, error) {
				panic("a bug in a custom sink")
			}),
		},
	}
}

func loadWith(t *testing.T, comps config.Components, src string) *config.Agent {
	t.Helper()
	cfg, _, diags := config.Load("test.hcl", []byte(src), "", comps)
	if diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	return cfg
}

func TestFailedBuildReleasesWhatWasBuiltBeforeIt(t *testing.T) {
	verifyNoLeaks(t)
	brokers := kafkatest.Start(t, 1).ListenAddrs()
	comps := lifecycleComponents(&stuckSink{})
	cfg := loadWith(t, comps, fmt.Sprintf(`agent "a1" {
  source "kafka" "r1" {
    channels = ["c1"]
    brokers  = [%q]
    topics   = ["logs"]
    group_id = "g1"
    batch_size = 100
  }
  source "panic" "r2" {
    channels = ["c1"]
  }
  channel "memory" "c1" {}
  sink "stuck" "k1" {
    channel = "c1"
  }
}`, brokers[0]))
	_, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "source r2") || !strings.Contains(err.Error(), "a bug in a custom source") {
		t.Fatalf("New = %v, want an error naming source r2 and its panic", err)
	}
	// verifyNoLeaks: the kafka source's client, built before r2 failed, was closed.
}

func TestPanickingConstructorAtReloadKeepsTheRunningFlow(t *testing.T) {
	verifyNoLeaks(t)
	port := testkit.FreePort(t)
	h := newHarness(t, flow(port, "", ""))
	h.comps.Sinks = append(h.comps.Sinks, sink.NewFactory("panic", func() *emptyConfig { return &emptyConfig{} },
		func(*emptyConfig, sink.Settings) (sink.Sink, error) { panic("a bug in a custom sink") }))
	_, err := h.agent.Reload(h.load(flow(port, "", `sink "panic" "k2" {
    channel = "c1"
  }`)))
	if err == nil || !strings.Contains(err.Error(), "sink k2") || !strings.Contains(err.Error(), "panic: a bug in a custom sink") {
		t.Fatalf("Reload = %v, want an error naming sink k2 and its panic", err)
	}
	dial(t, port).send("still flowing")
	waitFor(t, "the event through the running flow", func() bool { return len(h.col.got()) == 1 })
	if err := h.agent.Health(); err != nil {
		t.Errorf("Health after a rejected reload: %v", err)
	}
}

func TestFailedReloadLeaksNothing(t *testing.T) {
	verifyNoLeaks(t)
	brokers := kafkatest.Start(t, 1).ListenAddrs()
	port := testkit.FreePort(t)
	h := newHarness(t, flow(port, "", ""))
	h.comps.Sources = append(h.comps.Sources, kafkasource.NewFactory())
	// The new kafka source is built, then the source on a taken port fails: the reload is
	// rejected and the kafka source's client closed.
	taken := freePortHeld(t)
	_, err := h.agent.Reload(h.load(flow(port, "", fmt.Sprintf(`source "kafka" "r2" {
    channels = ["c1"]
    brokers  = [%q]
    topics   = ["logs"]
    group_id = "g1"
    batch_size = 100
  }
  source "netcat" "r3" {
    bind     = "127.0.0.1"
    port     = %d
    channels = ["c1"]
  }`, brokers[0], taken))))
	if err == nil || !strings.Contains(err.Error(), "source r3") {
		t.Fatalf("Reload = %v, want an error naming source r3", err)
	}
	dial(t, port).send("still flowing")
	waitFor(t, "the event through the running flow", func() bool { return len(h.col.got()) == 1 })
}

// freePortHeld returns a loopback port held open until the test ends.
func freePortHeld(t *testing.T) int {
	t.Helper()
	port := testkit.FreePort(t)
	l, err := netListen(port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return port
}

func TestSlowDrainSharesOneDeadlineAndClosesWithTimeLeft(t *testing.T) {
	verifyNoLeaks(t)
	stuck := &stuckSink{}
	port := testkit.FreePort(t)
	cfg := loadWith(t, lifecycleComponents(stuck), fmt.Sprintf(`agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = %d
    channels = ["c1"]
  }
  channel "memory" "c1" {}
  sink "stuck" "k1" {
    channel = "c1"
  }
}`, port))
	// The drain may take longer than the whole deadline allows: the deadline wins, and the
	// close phase still gets its share.
	a, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler), DrainTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	dial(t, port).send("one", "two", "three") // acknowledged: committed to c1

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	err = a.Stop(ctx)
	took := time.Since(start)
	var ab *AbandonedError
	if !errors.As(err, &ab) || ab.Events != 3 || len(ab.Channels) != 1 || ab.Channels[0] != "c1" {
		t.Fatalf("Stop = %v, want the 3 events of c1 reported abandoned", err)
	}
	if took > 3*time.Second {
		t.Errorf("Stop took %v with a 2s deadline", took)
	}
	stuck.mu.Lock()
	defer stuck.mu.Unlock()
	if stuck.closes != 1 || stuck.closeCtxErr != nil {
		t.Errorf("sink closed %d times, its context's error %v; want once, with time left", stuck.closes, stuck.closeCtxErr)
	}
	if err := a.Stop(ctx); err != nil {
		t.Errorf("second Stop = %v", err)
	}
}

func TestCleanStopReturnsNil(t *testing.T) {
	port := testkit.FreePort(t)
	h := newHarness(t, flow(port, "", ""))
	dial(t, port).send("a", "b")
	waitFor(t, "two events delivered", func() bool { return len(h.col.got()) == 2 })
	if err := h.agent.Stop(t.Context()); err != nil {
		t.Fatalf("Stop after everything was delivered = %v", err)
	}
}

func netListen(port int) (net.Listener, error) {
	return net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
}

func TestPanicInRunStopsThatComponentOnly(t *testing.T) {
	verifyNoLeaks(t)
	port := testkit.FreePort(t)
	stuck := &stuckSink{}
	cfg := loadWith(t, lifecycleComponents(stuck), fmt.Sprintf(`agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = %d
    channels = ["c1"]
  }
  source "panic_in_run" "r2" {
    channels = ["c1"]
  }
  channel "memory" "c1" {}
  sink "stuck" "k1" {
    channel = "c1"
  }
}`, port))
	a, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler), DrainTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "r2 reported as failed", func() bool {
		err := a.Health()
		return err != nil && strings.Contains(err.Error(), "source/r2") && strings.Contains(err.Error(), "panic: a bug in a custom source's Run")
	})
	dial(t, port).send("r1 still serves")
	_ = a.Stop(context.Background())
}
