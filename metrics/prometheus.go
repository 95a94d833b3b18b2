package metrics

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// promLabels are the variable labels of every component metric, in this order.
var promLabels = []string{"agent", "component", "type"}

// NewCollector returns a prometheus.Collector that exports every value of every component in
// reg, read when scraped. It is an unchecked collector (Describe sends nothing) because
// components come and go with reloads; registering it never fails and never needs redoing.
//
// Names are derived mechanically (see PrometheusName) and labelled agent, component (its
// name) and type (its type, such as "memory").
func NewCollector(reg *Registry) prometheus.Collector { return &collector{reg: reg} }

// NewPrometheusRegistry returns a fresh Prometheus registry holding reg's collector and the Go
// runtime and process collectors. Each metrics server gets its own, never the default one.
func NewPrometheusRegistry(reg *Registry) *prometheus.Registry {
	pr := prometheus.NewRegistry()
	pr.MustRegister(
		NewCollector(reg),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return pr
}

type collector struct{ reg *Registry }

// The agent-wide families, beside the per-component values.
var (
	healthyDesc = prometheus.NewDesc("flumego_component_healthy",
		"1 while the component is healthy, 0 once it has failed without a break (or been stuck in one attempt) for longer than unhealthy_after.",
		[]string{"agent", "kind", "component", "type"}, nil)
	reloadSuccessDesc = prometheus.NewDesc("flumego_config_last_reload_success",
		"1 when the last attempt to load the configuration (at start or a reload) succeeded, 0 when it was rejected or failed.",
		[]string{"agent"}, nil)
	reloadTimeDesc = prometheus.NewDesc("flumego_config_last_reload_timestamp_seconds",
		"Unix time of the last attempt to load the configuration.",
		[]string{"agent"}, nil)
)

// Describe sends nothing, which makes the collector unchecked: the set of components changes
// at run time.
func (*collector) Describe(chan<- *prometheus.Desc) {}

// family is one metric name within a Collect; the first value to claim a name fixes its type
// and help, so a family stays consistent when two component types disagree.
type family struct {
	desc  *prometheus.Desc
	gauge bool
}

// buildInfoDesc is flumego_build_info, a constant 1 labelled with what the binary is.
var buildInfoDesc = prometheus.NewDesc("flumego_build_info",
	"A metric with a constant '1' value labelled by the version, revision and Go version of the flumego agent.",
	[]string{"version", "revision", "goversion"}, nil)

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	agent := c.reg.Agent()
	if b := c.reg.BuildInfo(); b.Version != "" {
		ch <- prometheus.MustNewConstMetric(buildInfoDesc, prometheus.GaugeValue, 1, b.Version, b.Revision, b.GoVersion)
	}
	families := map[string]family{}
	// seen guards against two values of one component mapping to one name ("Foo" and
	// "FooCount"): a duplicate series would fail the whole scrape.
	seen := map[string]bool{}

	emit := func(comp *Component, flumeName string, gauge bool, v float64) {
		name := PrometheusName(comp.Kind, flumeName, gauge)
		f, ok := families[name]
		if !ok {
			f = family{
				desc:  prometheus.NewDesc(name, promHelp(comp.Kind, flumeName, gauge), promLabels, nil),
				gauge: gauge,
			}
			families[name] = f
		}
		key := name + "\xff" + comp.Name
		if f.gauge != gauge || seen[key] {
			return
		}
		seen[key] = true
		vt := prometheus.CounterValue
		if gauge {
			vt = prometheus.GaugeValue
		}
		ch <- prometheus.MustNewConstMetric(f.desc, vt, v, agent, comp.Name, comp.Type)
	}

	now, after := time.Now(), c.reg.UnhealthyAfter()
	for _, comp := range c.reg.Components() {
		healthy := 0.0
		if comp.health.State(now, after).Healthy {
			healthy = 1
		}
		ch <- prometheus.MustNewConstMetric(healthyDesc, prometheus.GaugeValue, healthy, agent, strings.ToLower(string(comp.Kind)), comp.Name, comp.Type)
		for _, v := range comp.Values() {
			emit(comp, v.Name(), v.Gauge(), float64(v.Load()))
		}
		for _, d := range comp.DerivedValues() {
			emit(comp, d.Name, true, d.Fn())
		}
		if ms := comp.StartTime(); ms != 0 {
			emit(comp, "StartTimeSeconds", true, float64(ms)/1000)
		}
	}
	if ok, at := c.reg.lastConfigLoad(); at != 0 {
		v := 0.0
		if ok {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(reloadSuccessDesc, prometheus.GaugeValue, v, agent)
		ch <- prometheus.MustNewConstMetric(reloadTimeDesc, prometheus.GaugeValue, float64(at)/1000, agent)
	}
}

// promHelp is the help text of a family, named after the Flume value it comes from.
func promHelp(kind Kind, flumeName string, gauge bool) string {
	if flumeName == "StartTimeSeconds" {
		return "Unix time the " + strings.ToLower(string(kind)) + " started, in seconds."
	}
	what := "Counter"
	if gauge {
		what = "Gauge"
	}
	return what + " " + flumeName + " of a Flume " + strings.ToLower(string(kind)) + "."
}

// PrometheusName is the Prometheus metric name of a component value:
// flumego_<kind>_<snake(name)>. A trailing "Count" is dropped and counters gain "_total"
// (EventPutSuccessCount → flumego_channel_event_put_success_total, ChannelWriteFail →
// flumego_source_channel_write_fail_total). Gauges lose "Count" too (OpenConnectionCount →
// flumego_source_open_connection), because a "_count" suffix is reserved for histograms and
// summaries and promtool rejects it. A channel's value named "Channel…" drops that word
// (ChannelSize → flumego_channel_size).
func PrometheusName(kind Kind, name string, gauge bool) string {
	k := strings.ToLower(string(kind))
	if kind == KindChannel {
		name = dropWord(name, "Channel")
	}
	if trimmed := strings.TrimSuffix(name, "Count"); trimmed != "" {
		name = trimmed
	}
	s := "flumego_" + k + "_" + snake(name)
	if !gauge {
		s += "_total"
	}
	return s
}

// dropWord removes a leading CamelCase word, only when another word follows it.
func dropWord(name, word string) string {
	rest, ok := strings.CutPrefix(name, word)
	if !ok || rest == "" || rest[0] < 'A' || rest[0] > 'Z' {
		return name
	}
	return rest
}

// snake turns CamelCase into snake_case ("EventPutSuccess" → "event_put_success",
// "HTTPRequest" → "http_request") and replaces characters a metric name cannot hold with '_'.
func snake(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	under := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
			b.WriteByte('_')
		}
	}
	for i := 0; i < len(s); i++ {
		r := s[i]
		switch {
		case isUpper(r):
			prevLowerOrDigit := i > 0 && (isLower(s[i-1]) || isDigit(s[i-1]))
			acronymEnd := i > 0 && isUpper(s[i-1]) && i+1 < len(s) && isLower(s[i+1])
			if prevLowerOrDigit || acronymEnd {
				under()
			}
			b.WriteByte(r + ('a' - 'A'))
		case isLower(r) || isDigit(r):
			b.WriteByte(r)
		default:
			under()
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
