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
		"flumego_source_channel_write_fail_total", "flumego_component_healthy",
		"flumego_config_last_reload_success", "flumego_sink_event_dead_letter_total",
		"flumego_sink_event_dropped_total",
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
	vars := strings.NewReplacer("$__rate_interval", "5m", "$job", ".*", "$instance", ".*", "$agent", ".*", "$component", ".*")
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

// TestDashboardStatsSurviveAComponentFilter checks the stats that add sums over different
// kinds (sources' and sinks' failures): filtered to one component, the other kind's sum is
// over no series, which PromQL makes empty, and empty plus anything is empty ("No data"). Each
// addend must fall back to 0.
func TestDashboardStatsSurviveAComponentFilter(t *testing.T) {
	d, _ := loadDashboard(t)
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, term := range topLevel(tg.Expr, " + ") {
				if strings.Contains(term, "sum(") && !strings.HasSuffix(strings.TrimSuffix(strings.TrimSpace(term), ")"), "or vector(0)") {
					t.Errorf("panel %q adds %q, which is empty when the filter selects none of its series: write (sum(...) or vector(0))", p.Title, term)
				}
			}
		}
	}
}

// TestDashboardShowsAgentsDownAndDegraded checks the panels an on-call operator looks at
// first: agents that do not answer scrapes (up) and components that are degraded.
func TestDashboardShowsAgentsDownAndDegraded(t *testing.T) {
	d, _ := loadDashboard(t)
	want := map[string]string{"Agents down": "up{", "Degraded components": "flumego_component_healthy"}
	for _, p := range d.Panels {
		if w, ok := want[p.Title]; ok && len(p.Targets) > 0 && strings.Contains(p.Targets[0].Expr, w) {
			delete(want, p.Title)
		}
	}
	for title, expr := range want {
		t.Errorf("no panel %q querying %s", title, expr)
	}
}

// topLevel splits expr at sep where it is outside parentheses and braces.
func topLevel(expr, sep string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(expr); i++ {
		switch expr[i] {
		case '(', '{', '[':
			depth++
		case ')', '}', ']':
			depth--
		}
		if depth == 0 && strings.HasPrefix(expr[i:], sep) {
			out = append(out, expr[start:i])
			start = i + len(sep)
		}
	}
	if len(out) == 0 {
		return nil // nothing is added
	}
	return append(out, expr[start:])
}
