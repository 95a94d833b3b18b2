package config

import (
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/sink"
)

func TestDeadLetterSettingsDecode(t *testing.T) {
	a, out := load(t, `agent "a1" {
  channel "memory" "c1" {}
  channel "memory" "dlq" {}
  sink "logger" "k1" {
    channel             = "c1"
    dead_letter_channel = "dlq"
  }
  sink "logger" "k2" { channel = "c1" }
  sink "logger" "k3" {
    channel             = "c1"
    dead_letter_channel = "dlq"
    on_permanent_error  = "drop"
  }
  sink "logger" "replay" { channel = "dlq" }
  metrics {
    listen          = "127.0.0.1:0"
    unhealthy_after = "5s"
  }
}`, "")
	if a == nil {
		t.Fatalf("not valid:\n%s", out)
	}
	want := []struct {
		dl     string
		policy sink.OnPermanentError
	}{{"dlq", sink.DeadLetter}, {"", sink.Drop}, {"dlq", sink.Drop}, {"", sink.Drop}}
	for i, w := range want {
		if s := a.Sinks[i]; s.DeadLetterChannel != w.dl || s.OnPermanentError != w.policy {
			t.Errorf("sink %s: dead_letter_channel %q, on_permanent_error %q; want %q, %q", s.Name, s.DeadLetterChannel, s.OnPermanentError, w.dl, w.policy)
		}
	}
	if !strings.Contains(out, `flume.hcl:12:27: warning: sink "logger" "k3": on_permanent_error = "drop": dead_letter_channel "dlq" receives nothing`) {
		t.Errorf("no warning for a dead-letter channel that receives nothing:\n%s", out)
	}
	if a.Metrics.UnhealthyAfter != 5*time.Second {
		t.Errorf("unhealthy_after = %v, want 5s", a.Metrics.UnhealthyAfter)
	}
	if a, _ := load(t, `agent "a1" {
  channel "memory" "c1" {}
  sink "logger" "k1" { channel = "c1" }
  metrics { listen = "127.0.0.1:0" }
}`, ""); a.Metrics.UnhealthyAfter != metrics.DefaultUnhealthyAfter {
		t.Errorf("default unhealthy_after = %v", a.Metrics.UnhealthyAfter)
	}
}

func TestDeadLetterMistakes(t *testing.T) {
	_, out := load(t, `agent "a1" {
  channel "memory" "c1" {}
  channel "memory" "c2" {}
  channel "memory" "small" { transaction_capacity = 10 }
  sink "logger" "k1" {
    channel             = "c1"
    dead_letter_channel = "c1"
  }
  sink "logger" "k2" {
    channel             = "c1"
    dead_letter_channel = "nope"
  }
  sink "logger" "k3" {
    channel            = "c1"
    on_permanent_error = "dead_letter"
  }
  sink "logger" "k4" {
    channel            = "c1"
    on_permanent_error = "retry"
  }
  sink "logger" "k5" {
    channel             = "c1"
    dead_letter_channel = "small"
  }
  sink "logger" "k6" {
    channel             = "c1"
    dead_letter_channel = "c2"
  }
  sink "logger" "k7" {
    channel             = "c2"
    dead_letter_channel = "c1"
  }
  sink "logger" "k8" {
    channel    = "small"
    batch_size = 10
  }
  metrics {
    listen          = "127.0.0.1:0"
    unhealthy_after = "0s"
  }
}`, "")
	for _, w := range []string{
		`flume.hcl:7:27: error: sink "logger" "k1": dead_letter_channel "c1" is the channel the sink drains`,
		`flume.hcl:11:27: error: channel "nope" is not declared in agent "a1"`,
		`flume.hcl:15:26: error: sink "logger" "k3": on_permanent_error = "dead_letter" needs a dead_letter_channel`,
		`flume.hcl:19:26: error: sink "logger" "k4": on_permanent_error: must be "dead_letter" or "drop", got "retry"`,
		`flume.hcl:23:27: error: sink "logger" "k5": batch_size 100 is above dead_letter_channel "small"'s transaction_capacity 10`,
		`flume.hcl:27:27: error: sink "logger" "k6": dead-letter channels form a loop (c1 → c2 → c1)`,
		`flume.hcl:31:27: error: sink "logger" "k7": dead-letter channels form a loop (c2 → c1 → c2)`,
		`flume.hcl:39:23: error: metrics: unhealthy_after: must be positive, got 0s`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("missing diagnostic\n  %s\nin:\n%s", w, out)
		}
	}
}
