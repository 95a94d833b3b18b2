package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/ganglia/gmondtest"
	"github.com/flumego/flumego/internal/testkit"
)

// TestGangliaCountersAppearInARealGmond runs examples/ganglia.hcl against a real gmond
// (Debian ganglia-monitor) listening on loopback ports, sends lines through the agent and reads
// gmond's XML dump until the agent's counters show there with the values the agent counted,
// named and grouped as Flume's GangliaServer names them.
func TestGangliaCountersAppearInARealGmond(t *testing.T) {
	g := gmondtest.Start(t)
	port := testkit.FreePort(t)
	p := startAgent(t, example("ganglia.hcl"), map[string]string{
		"FLUMEGO_PORT":         fmt.Sprint(port),
		"FLUMEGO_GMOND":        g.UDPAddr,
		"FLUMEGO_GANGLIA_POLL": "1s",
	})
	waitFor(t, 10*time.Second, "the agent to start its Ganglia reporter (is it wired into internal/agent?)", func() bool {
		return strings.Contains(p.out.String(), `msg="ganglia reporting"`)
	})
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), numbered("ganglia", 25), true)
	waitFor(t, 15*time.Second, "the null sink to drain all 25 events", func() bool {
		return p.metric(t, `flumego_sink_event_drain_success_total{agent="a1",component="k1",type="null"}`) == 25
	})

	want := map[string]string{
		"flume.SOURCE.r1.EventReceivedCount":     "25",
		"flume.SOURCE.r1.EventAcceptedCount":     "25",
		"flume.CHANNEL.c1.EventPutSuccessCount":  "25",
		"flume.CHANNEL.c1.ChannelCapacity":       "10000",
		"flume.CHANNEL.c1.ChannelSize":           "0",
		"flume.CHANNEL.c1.ChannelFillPercentage": "0.0",
		"flume.SINK.k1.EventDrainSuccessCount":   "25",
		"flume.SINK.k1.Type":                     "SINK",
	}
	var last map[string]gmondtest.Metric
	deadline := time.Now().Add(20 * time.Second)
	for {
		ms, err := g.Dump()
		if err != nil {
			t.Fatal(err)
		}
		last = ms
		if missing := diffGmond(ms, want); missing == "" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("gmond did not show the agent's counters within 20s; %s", missing)
		}
		time.Sleep(100 * time.Millisecond)
	}
	m := last["flume.CHANNEL.c1.EventPutSuccessCount"]
	if m.Type != "double" || m.Slope != "both" || m.TMax != "1" || m.ExtraData("GROUP") != "flume" {
		t.Errorf("gmond holds %+v; want type double, slope both, tmax 1 (the poll frequency), group flume", m)
	}
	// Every value of every component is sent, not only the ones checked above.
	for _, prefix := range []string{"flume.SOURCE.r1.", "flume.CHANNEL.c1.", "flume.SINK.k1."} {
		n := 0
		for name := range last {
			if strings.HasPrefix(name, prefix) {
				n++
			}
		}
		if n < 9 {
			t.Errorf("gmond holds %d values named %s*, want every counter (at least 9)", n, prefix)
		}
	}
}

// diffGmond says which wanted values gmond does not (yet) show, or "" when it shows them all.
func diffGmond(ms map[string]gmondtest.Metric, want map[string]string) string {
	var missing []string
	for name, val := range want {
		if m, ok := ms[name]; !ok {
			missing = append(missing, name+" is missing")
		} else if m.Val != val {
			missing = append(missing, fmt.Sprintf("%s = %s, want %s", name, m.Val, val))
		}
	}
	return strings.Join(missing, "; ")
}
