package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/ganglia"
)

const monitoringBase = `
agent "a1" {
  source "netcat" "r1" {
    channels = ["c1"]
    port     = 4444
  }
  channel "memory" "c1" {}
  sink "logger" "k1" { channel = "c1" }
%s
}
`

func TestGangliaMonitoringBlock(t *testing.T) {
	t.Setenv("FLUMEGO_TEST_GMOND", "gmond-2:8650")
	tests := []struct {
		name  string
		block string
		want  *ganglia.Config
	}{
		{"none", ``, nil},
		{"defaults", `monitoring "ganglia" { hosts = ["gmond:8649"] }`,
			&ganglia.Config{Hosts: []string{"gmond:8649"}, PollFrequency: 60 * time.Second}},
		{"every setting", `monitoring "ganglia" {
  hosts          = ["gmond-1:8649", env("FLUMEGO_TEST_GMOND")]
  poll_frequency = "10s"
  is_ganglia3    = true
}`, &ganglia.Config{Hosts: []string{"gmond-1:8649", "gmond-2:8650"}, PollFrequency: 10 * time.Second, IsGanglia3: true}},
		{"poll frequency in seconds, as Flume writes it", `monitoring "ganglia" {
  hosts          = ["gmond:8649"]
  poll_frequency = 30
}`, &ganglia.Config{Hosts: []string{"gmond:8649"}, PollFrequency: 30 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, out := load(t, strings.Replace(monitoringBase, "%s", tt.block, 1), "")
			if a == nil {
				t.Fatalf("load failed:\n%s", out)
			}
			if out != "" {
				t.Errorf("unexpected diagnostics:\n%s", out)
			}
			if !reflect.DeepEqual(a.Ganglia, tt.want) {
				t.Errorf("Ganglia = %+v, want %+v", a.Ganglia, tt.want)
			}
		})
	}
}

func TestMonitoringBlockMistakes(t *testing.T) {
	tests := []struct {
		name  string
		block string
		want  []string // each a diagnostic line's text
	}{
		{"unknown type", `monitoring "gangila" { hosts = ["g:1"] }`, []string{
			`flume.hcl:9:14: error: monitoring "gangila": unknown monitoring type "gangila"; did you mean "ganglia"? (known: ganglia)`,
		}},
		{"Flume's http monitoring", `monitoring "http" { port = 41414 }`, []string{
			`flume.hcl:9:14: error: monitoring "http": Flume's HTTP monitoring is the metrics block here`,
		}},
		{"misspelt and invalid settings, all at once", `monitoring "ganglia" {
  hosts          = ["gmond", "gmond:99999"]
  poll_frequncy  = "10s"
}`, []string{
			`flume.hcl:10:20: error: monitoring "ganglia": hosts: element 0: "gmond" is not host:port`,
			`flume.hcl:10:20: error: monitoring "ganglia": hosts: element 1: "gmond:99999": port must be a number in 1..65535`,
			`flume.hcl:11:3: error: monitoring "ganglia": Unsupported argument`,
		}},
		{"no hosts", `monitoring "ganglia" {}`, []string{
			`flume.hcl:9:24: error: monitoring "ganglia": Missing required argument`,
		}},
		{"too fast", `monitoring "ganglia" {
  hosts          = ["gmond:8649"]
  poll_frequency = "100ms"
}`, []string{
			`flume.hcl:11:20: error: monitoring "ganglia": poll_frequency: must be at least 1s, got 100ms`,
		}},
		{"twice", `monitoring "ganglia" { hosts = ["a:8649"] }
  monitoring "ganglia" { hosts = ["b:8649"] }`, []string{
			`flume.hcl:10:3: error: agent "a1": only one monitoring "ganglia" block is allowed; list every gmond in its hosts`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, out := load(t, strings.Replace(monitoringBase, "%s", "  "+tt.block, 1), "")
			if a != nil {
				t.Fatalf("load succeeded, want errors")
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, out)
				}
			}
			if n := strings.Count(out, ": error: "); n != len(tt.want) {
				t.Errorf("%d errors, want %d:\n%s", n, len(tt.want), out)
			}
		})
	}
}
