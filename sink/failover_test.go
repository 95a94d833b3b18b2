package sink

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestFailoverConfigDecodes(t *testing.T) {
	cfg, diags := decodeProcessor(t, NewFailoverFactory(), "priority = { k2 = 10, k3 = 5 }\nmax_penalty = \"10s\"")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	c := cfg.(*FailoverConfig)
	if !maps.Equal(c.Priority, map[string]int{"k2": 10, "k3": 5}) || c.MaxPenalty != 10*time.Second {
		t.Errorf("decoded %+v", c)
	}
	var refs Members = c
	if got := slices.Sorted(maps.Keys(refs.ReferencedSinks())); !slices.Equal(got, []string{"k2", "k3"}) {
		t.Errorf("ReferencedSinks = %v, want k2, k3", got)
	}

	cfg, diags = decodeProcessor(t, NewFailoverFactory(), "")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if c := cfg.(*FailoverConfig); c.MaxPenalty != 30*time.Second || len(c.Priority) != 0 {
		t.Errorf("defaults = %+v, want max_penalty 30s and no priorities", c)
	}
}

func TestFailoverTriesMembersByPriority(t *testing.T) {
	tests := []struct {
		name     string
		priority string
		want     []string
	}{
		{"higher first, unlisted last at 0", `{ k2 = 10, k3 = 5 }`, []string{"k2", "k3", "k1"}},
		{"no priorities keeps group order", `{}`, []string{"k1", "k2", "k3"}},
		{"ties keep group order", `{ k3 = 1, k1 = 1 }`, []string{"k1", "k3", "k2"}},
		{"negative below unlisted", `{ k1 = -1 }`, []string{"k2", "k3", "k1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sinks, members, tr := group("k1", "k2", "k3")
			for _, s := range sinks {
				s.setFailing(true)
			}
			p := newProcessor(t, NewFailoverFactory(), "priority = "+tt.priority, members)
			err := p.Write(context.Background(), numbered(0, 3))
			if !errors.Is(err, errDown) {
				t.Fatalf("Write = %v, want every member's failure", err)
			}
			if got := tr.callList(); !slices.Equal(got, tt.want) {
				t.Errorf("tried %v, want %v", got, tt.want)
			}
			for _, name := range tt.want {
				if !strings.Contains(err.Error(), "sink "+name+": destination down") {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
		})
	}
}

func TestFailoverSwitchesAndReturnsAfterPenalty(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sinks, members, tr := group("k1", "k2")
		logs := &logRecorder{}
		cfg, _ := decodeProcessor(t, NewFailoverFactory(), `priority = { k1 = 10, k2 = 5 }`)
		p, err := NewFailoverFactory().Create(cfg, ProcessorSettings{Name: "g1", Logger: logs.logger(), BatchSize: 10}, members)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		write := func(from int) {
			t.Helper()
			if err := p.Write(ctx, numbered(from, 10)); err != nil {
				t.Fatalf("Write(%d) = %v", from, err)
			}
		}
		k1Calls := func() int { return strings.Count(strings.Join(tr.callList(), ","), "k1") }

		sinks["k1"].setFailing(true)
		write(0) // k1 fails, the same batch goes to k2 in the same Write
		if got := tr.callList(); !slices.Equal(got, []string{"k1", "k2"}) {
			t.Fatalf("first write tried %v, want k1 then k2", got)
		}
		write(10) // k1 is penalised for 0.5-1s (jittered): not tried
		if k1Calls() != 1 {
			t.Errorf("penalised k1 was tried again at once: %v", tr.callList())
		}
		time.Sleep(time.Second)
		write(20) // penalty over: k1 tried, fails again, now penalised 1-2s
		if k1Calls() != 2 {
			t.Errorf("k1 not retried after its 1s penalty: %v", tr.callList())
		}
		time.Sleep(time.Second)
		write(30) // within the 2s penalty
		if k1Calls() != 2 {
			t.Errorf("k1 retried inside its doubled penalty: %v", tr.callList())
		}
		sinks["k1"].setFailing(false)
		time.Sleep(time.Second)
		write(40) // k1 healed and past its penalty: takes over again
		write(50)
		if got := sinks["k1"].delivered(); !slices.Equal(got, numberedBodies(40, 20)) {
			t.Errorf("k1 delivered %v after coming back, want events 40..59", got)
		}
		if got := sinks["k2"].delivered(); !slices.Equal(got, numberedBodies(0, 40)) {
			t.Errorf("k2 delivered %v while k1 was down, want events 0..39", got)
		}
		if n := logs.count(slog.LevelWarn, "failing over"); n != 1 {
			t.Errorf("%d failover warnings, want 1: %v", n, logs.lines())
		}
		if n := logs.count(slog.LevelInfo, "sink is back"); n != 1 {
			t.Errorf("%d back messages, want 1: %v", n, logs.lines())
		}
	})
}

func TestFailoverPenaltyIsCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sinks, members, _ := group("k1", "k2")
		sinks["k1"].setFailing(true)
		p := newProcessor(t, NewFailoverFactory(), "priority = { k1 = 1 }\nmax_penalty = \"3s\"", members)
		for range 200 { // a write every 100ms for 20s
			if err := p.Write(context.Background(), numbered(0, 1)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		at := sinks["k1"].attemptTimes()
		want := []time.Duration{1, 2, 3, 3, 3}
		if len(at) < len(want)+1 {
			t.Fatalf("k1 tried %d times in 20s", len(at))
		}
		for i, w := range want {
			// Jittered to [w/2, w]; a write every 100ms finds k1 eligible up to 100ms later.
			if got, w := at[i+1].Sub(at[i]), w*time.Second; got < w/2 || got > w+100*time.Millisecond {
				t.Errorf("penalty %d = %s, want %s-%s", i+1, got, w/2, w)
			}
		}
	})
}

func TestFailoverAllMembersDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sinks, members, tr := group("k1", "k2")
		for _, s := range sinks {
			s.setFailing(true)
		}
		p := newProcessor(t, NewFailoverFactory(), "", members)
		if err := p.Write(context.Background(), numbered(0, 1)); !errors.Is(err, errDown) {
			t.Fatalf("Write = %v, want the members' failures", err)
		}
		// Both are penalised now: the next write fails without trying either.
		err := p.Write(context.Background(), numbered(0, 1))
		if err == nil || !strings.Contains(err.Error(), "penalised") || len(tr.callList()) != 2 {
			t.Errorf("Write = %v after %v, want a penalty error without new attempts", err, tr.callList())
		}
	})
}

func TestFailoverDoesNotPenaliseWriteCutByShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sinks, members, tr := group("k1", "k2")
		sinks["k1"].block = true
		p := newProcessor(t, NewFailoverFactory(), "", members)
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(time.Millisecond); cancel() }()
		if err := p.Write(ctx, numbered(0, 1)); !errors.Is(err, context.Canceled) {
			t.Fatalf("Write = %v, want context.Canceled", err)
		}
		sinks["k1"].block = false
		if err := p.Write(context.Background(), numbered(0, 1)); err != nil {
			t.Fatal(err)
		}
		if got := tr.callList(); !slices.Equal(got, []string{"k1", "k1"}) {
			t.Errorf("tried %v, want k1 twice: shutdown is not k1's failure and k2 was not tried", got)
		}
	})
}
