package agent_test

// This file uses the agent the way a distribution builder does, from outside the module's
// internals: only public packages are imported, the built-in component list plus one custom
// factory of each of two kinds.

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flumego/flumego/agent"
	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/components"
	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/interceptor"
	"github.com/flumego/flumego/sink"
)

// parity is a custom interceptor: it sets header "parity" to "even" or "odd" from the last
// digit of the body.
type parity struct{}

func (parity) Intercept(events []channel.Event) []channel.Event {
	for i := range events {
		b := events[i].Body
		if len(b) > 0 && (b[len(b)-1]-'0')%2 == 0 {
			events[i].SetHeader("parity", "even")
		} else {
			events[i].SetHeader("parity", "odd")
		}
	}
	return events
}

// memorySink is a custom sink that keeps what it is given, as "parity:body".
type memorySink struct {
	mu  sync.Mutex
	got []string
}

func (s *memorySink) Write(_ context.Context, events []channel.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		s.got = append(s.got, e.Headers["parity"]+":"+string(e.Body))
	}
	return nil
}

func (s *memorySink) Close(context.Context) error { return nil }

func (s *memorySink) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

type noSettings struct{}

func TestCustomAgentFromBuiltinPlusOwnFactories(t *testing.T) {
	mem := &memorySink{}
	comps := components.Builtin()
	comps.Interceptors = append(comps.Interceptors, interceptor.NewFactory("parity",
		func() *noSettings { return &noSettings{} },
		func(*noSettings, interceptor.Settings) (interceptor.Interceptor, error) { return parity{}, nil }))
	comps.Sinks = append(comps.Sinks, sink.NewFactory("memory_list",
		func() *noSettings { return &noSettings{} },
		func(*noSettings, sink.Settings) (sink.Sink, error) { return mem, nil }))

	cfg, _, diags := config.Load("custom.hcl", []byte(`agent "a1" {
  source "seq" "r1" {
    channels = ["c1"]
    total    = 4
    interceptor "parity" {}
  }
  channel "memory" "c1" {}
  sink "memory_list" "k1" {
    channel = "c1"
  }
}`), "", comps)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	a, err := agent.New(cfg, agent.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(mem.lines()) < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), agent.StopTimeout(time.Second))
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Errorf("Stop = %v", err)
	}
	if got, want := strings.Join(mem.lines(), " "), "even:0 odd:1 even:2 odd:3"; got != want {
		t.Errorf("delivered %q, want %q", got, want)
	}
}

func TestComponentTypeListedTwiceIsRefusedAtLoad(t *testing.T) {
	comps := components.Builtin()
	comps.Sinks = append(comps.Sinks, comps.Sinks[0])
	_, _, diags := config.Load("custom.hcl", []byte(`agent "a1" {}`), "", comps)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "two sink factories of type") {
		t.Fatalf("diagnostics = %v, want the duplicate sink type named", diags)
	}
}
