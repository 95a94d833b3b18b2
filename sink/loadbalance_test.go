package sink

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestLoadBalanceConfigDecodes(t *testing.T) {
	cfg, diags := decodeProcessor(t, NewLoadBalanceFactory(), "selector = \"random\"\nbackoff = true\nmax_timeout = \"10s\"")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got, want := *cfg.(*LoadBalanceConfig), (LoadBalanceConfig{Selector: Random, Backoff: true, MaxTimeout: 10 * time.Second}); got != want {
		t.Errorf("decoded %+v, want %+v", got, want)
	}
	cfg, _ = decodeProcessor(t, NewLoadBalanceFactory(), "")
	if got, want := *cfg.(*LoadBalanceConfig), (LoadBalanceConfig{Selector: RoundRobin, MaxTimeout: 30 * time.Second}); got != want {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
}

func TestLoadBalanceRoundRobinSharesBatches(t *testing.T) {
	_, members, tr := group("k1", "k2", "k3")
	p := newProcessor(t, NewLoadBalanceFactory(), "", members)
	for i := range 9 {
		if err := p.Write(context.Background(), numbered(i*10, 10)); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"k1", "k2", "k3", "k1", "k2", "k3", "k1", "k2", "k3"}
	if got := tr.callList(); !slices.Equal(got, want) {
		t.Errorf("writes went to %v, want %v", got, want)
	}
	if got := tr.deliveredList(); !slices.Equal(got, numberedBodies(0, 90)) {
		t.Errorf("delivered %v, want 0..89 once each", got)
	}
}

func TestLoadBalanceRandomCoversEveryMember(t *testing.T) {
	sinks, members, tr := group("k1", "k2", "k3")
	p := newProcessor(t, NewLoadBalanceFactory(), `selector = "random"`, members)
	for i := range 300 {
		if err := p.Write(context.Background(), numbered(i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	for name, s := range sinks {
		// Each member's share is Binomial(300, 1/3): below 50 has a probability under 1e-12.
		if n := s.batchCount(); n < 50 {
			t.Errorf("%s got %d of 300 batches", name, n)
		}
	}
	got := tr.deliveredList()
	slices.Sort(got)
	want := numberedBodies(0, 300)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("union of deliveries is not every event exactly once (%d delivered)", len(got))
	}
}

func TestLoadBalanceFailingMemberWithoutBackoffStaysInRotation(t *testing.T) {
	sinks, members, tr := group("k1", "k2", "k3")
	sinks["k2"].setFailing(true)
	logs := &logRecorder{}
	cfg, _ := decodeProcessor(t, NewLoadBalanceFactory(), "")
	p, err := NewLoadBalanceFactory().Create(cfg, ProcessorSettings{Name: "g1", Logger: logs.logger(), BatchSize: 1}, members)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if err := p.Write(context.Background(), numbered(i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	// Each write starts one further along and fails over from k2 to k3 in the same write.
	want := []string{"k1", "k2", "k3", "k3", "k1", "k2", "k3", "k3"}
	if got := tr.callList(); !slices.Equal(got, want) {
		t.Errorf("tried %v, want %v", got, want)
	}
	if got := tr.deliveredList(); !slices.Equal(got, numberedBodies(0, 6)) {
		t.Errorf("delivered %v, want 0..5 in order", got)
	}
	if n := logs.count(slog.LevelWarn, "trying the next sink"); n != 1 {
		t.Errorf("%d warnings for k2's streak, want 1: %v", n, logs.lines())
	}
}

func TestLoadBalanceBackoffExcludesFailingMember(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sinks, members, tr := group("k1", "k2")
		sinks["k1"].setFailing(true)
		p := newProcessor(t, NewLoadBalanceFactory(), "backoff = true\nmax_timeout = \"4s\"", members)
		n := 0
		for range 300 { // a write every 100ms for 30s
			if err := p.Write(context.Background(), numbered(n, 1)); err != nil {
				t.Fatal(err)
			}
			n++
			time.Sleep(100 * time.Millisecond)
		}
		at := sinks["k1"].attemptTimes()
		want := []time.Duration{1000, 2000, 4000, 4000, 4000}
		if len(at) < len(want)+1 {
			t.Fatalf("k1 tried %d times in 30s", len(at))
		}
		for i, w := range want {
			// k1 becomes eligible after its back-off, jittered to [w/2, w]; round robin may pick
			// it one write later.
			if got, w := at[i+1].Sub(at[i]), w*time.Millisecond; got < w/2 || got > w+200*time.Millisecond {
				t.Errorf("back-off %d = %s, want %s-%s (+ up to two writes)", i+1, got, w/2, w)
			}
		}
		if got := tr.deliveredList(); !slices.Equal(got, numberedBodies(0, n)) {
			t.Errorf("delivered %d events, want all %d in order", len(got), n)
		}
		sinks["k1"].setFailing(false)
		time.Sleep(4 * time.Second)
		for range 4 {
			if err := p.Write(context.Background(), numbered(n, 1)); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if got := sinks["k1"].batchCount(); got != 2 {
			t.Errorf("healed k1 got %d of 4 batches, want 2 (back in the rotation)", got)
		}
	})
}

func TestLoadBalanceAllMembersDown(t *testing.T) {
	tests := []struct {
		src        string
		wantSecond string
	}{
		{"", "every sink failed"},
		{"backoff = true", "every sink is backed off"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			sinks, members, _ := group("k1", "k2")
			for _, s := range sinks {
				s.setFailing(true)
			}
			p := newProcessor(t, NewLoadBalanceFactory(), tt.src, members)
			err := p.Write(context.Background(), numbered(0, 1))
			if !errors.Is(err, errDown) || !strings.Contains(err.Error(), "sink k1") || !strings.Contains(err.Error(), "sink k2") {
				t.Fatalf("Write = %v, want both members' failures", err)
			}
			if err := p.Write(context.Background(), numbered(0, 1)); err == nil || !strings.Contains(err.Error(), tt.wantSecond) {
				t.Errorf("second Write = %v, want %q", err, tt.wantSecond)
			}
		})
	}
}
