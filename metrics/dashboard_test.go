package metrics

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const dashboardPath = "../examples/grafana/flumego-dashboard.json"

type dashboard struct {
	UID    string `json:"uid"`
	Panels []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func loadDashboard(t *testing.T) (dashboard, []string) {
	t.Helper()
	raw, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	var exprs []string
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	return d, exprs
}

// TestDashboardChartsWhatTheAgentExports checks that every series the Grafana dashboard
// queries is one a scrape of the agent holds: a renamed metric would leave a panel empty.
func TestDashboardChartsWhatTheAgentExports(t *testing.T) {
	_, exprs := loadDashboard(t)
	_, fams := scrape(t, testRegistry())
	name := regexp.MustCompile(`\b(flumego|process|go)_[a-z_]+\b`)
	used := map[string]bool{}
	for _, e := range exprs {
		for _, n := range name.FindAllString(e, -1) {
			used[n] = true
			if fams[n] == nil {
				t.Errorf("the dashboard queries %s, which the agent does not export (in %s)", n, e)
			}
		}
	}
	// Every standard Flume counter is charted.
	for _, n := range []string{
		"flumego_channel_fill_percentage", "flumego_channel_event_put_success_total",
		"flumego_channel_event_take_success_total", "flumego_source_event_accepted_total",
		"flumego_sink_event_drain_success_total", "flumego_sink_event_write_fail_total",
		"flumego_source_channel_write_fail_total",
	} {
		if !used[n] {
			t.Errorf("the dashboard does not chart %s", n)
		}
	}
}

// TestDashboardQueriesParse runs every query through promtool's PromQL parser, as recording
// rules with the dashboard's variables filled in.
func TestDashboardQueriesParse(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus): the dashboard's PromQL is not parsed")
	}
	_, exprs := loadDashboard(t)
	vars := strings.NewReplacer("$__rate_interval", "5m", "$instance", ".*", "$agent", ".*", "$component", ".*")
	var rules strings.Builder
	rules.WriteString("groups:\n- name: dashboard\n  rules:\n")
	for i, e := range exprs {
		q, _ := json.Marshal(vars.Replace(e)) // a JSON string is a valid YAML string
		fmt.Fprintf(&rules, "  - record: dashboard:query%d\n    expr: %s\n", i, q)
	}
	path := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s\n%s", err, out, rules.String())
	}
}
