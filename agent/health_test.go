package agent

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/flumego/flumego/internal/testkit"
)

func TestHealthSaysDegradedAfterUnhealthyAfter(t *testing.T) {
	port := testkit.FreePort(t)
	metrics := `metrics {
    listen          = "127.0.0.1:0"
    unhealthy_after = "200ms"
  }`
	h := newHarness(t, flow(port, "fail = true", metrics))
	dial(t, port).send("a")
	waitFor(t, "the agent to be degraded", func() bool { return h.agent.Health() != nil })
	err := h.agent.Health()
	if !strings.HasPrefix(err.Error(), "degraded: SINK k1 (collect): failing for ") || !strings.Contains(err.Error(), "failing on purpose") {
		t.Errorf("Health = %q, want the sink named with its streak and last error", err)
	}
	if err := h.agent.Alive(); err != nil {
		t.Errorf("Alive = %v: a failing destination is no reason for a restart", err)
	}
	h.reload(flow(port, "", metrics))
	waitFor(t, "the event delivered", func() bool { return len(h.col.got()) == 1 })
	waitFor(t, "the agent healthy again", func() bool { return h.agent.Health() == nil })
}

func TestReloadRestartsASinkWhoseDeadLetterChannelChanges(t *testing.T) {
	port := testkit.FreePort(t)
	dlq := func(capacity int) string {
		return fmt.Sprintf(`channel "memory" "dlq" { capacity = %d }
  sink "collect" "drain" { channel = "dlq" }`, capacity)
	}
	h := newHarness(t, flow(port, `dead_letter_channel = "dlq"`, dlq(300)))
	s := h.reload(flow(port, `dead_letter_channel = "dlq"`, dlq(400)))
	for _, want := range []string{"channel/dlq", "sink/k1", "sink/drain"} {
		if !slices.Contains(s.Restarted, want) {
			t.Errorf("restarted %v, want %s among them", s.Restarted, want)
		}
	}
	s = h.reload(flow(port, `on_permanent_error = "drop"`+"\n"+`dead_letter_channel = "dlq"`, dlq(400)))
	if !slices.Equal(s.Restarted, []string{"sink/k1"}) {
		t.Errorf("restarted %v after on_permanent_error changed, want sink/k1 alone", s.Restarted)
	}
}
