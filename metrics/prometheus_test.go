package metrics

import (
	"bytes"
	"maps"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// testRegistry is agent a1 with a netcat source, a memory channel a quarter full, a file
// channel, and a logger sink with a counter of its own.
func testRegistry() *Registry {
	reg := NewRegistry("a1")

	src := reg.Source("r1", "netcat")
	src.EventReceivedCount.Add(10)
	src.EventAcceptedCount.Add(9)
	src.AppendBatchReceivedCount.Add(2)
	src.AppendBatchAcceptedCount.Add(1)
	src.OpenConnectionCount.Set(3)
	src.ChannelWriteFail.Add(1)

	ch := reg.Channel("c1", "memory")
	ch.ChannelCapacity.Set(200)
	ch.ChannelSize.Set(25)
	ch.EventPutAttemptCount.Add(43)
	ch.EventPutSuccessCount.Add(42)
	ch.EventTakeAttemptCount.Add(20)
	ch.EventTakeSuccessCount.Add(17)

	ch2 := reg.Channel("c2", "file")
	ch2.ChannelCapacity.Set(1000)
	ch2.EventPutSuccessCount.Add(5)

	sk := reg.Sink("k1", "logger")
	sk.BatchCompleteCount.Add(4)
	sk.BatchEmptyCount.Add(6)
	sk.BatchUnderflowCount.Add(1)
	sk.EventDrainAttemptCount.Add(17)
	sk.EventDrainSuccessCount.Add(16)
	sk.EventWriteFail.Add(1)
	sk.ChannelReadFail.Add(2)
	sk.Counter("RollbackCount").Add(7)
	reg.ConfigLoaded(true, time.Unix(1_700_000_000, 0))
	return reg
}

type series struct {
	name      string
	gauge     bool
	component string
	typ       string
	value     float64
}

// wantSeries is every component series testRegistry exports, derived by hand from DESIGN §6.
var wantSeries = []series{
	{"flumego_source_event_received_total", false, "r1", "netcat", 10},
	{"flumego_source_event_accepted_total", false, "r1", "netcat", 9},
	{"flumego_source_append_batch_received_total", false, "r1", "netcat", 2},
	{"flumego_source_append_batch_accepted_total", false, "r1", "netcat", 1},
	{"flumego_source_append_received_total", false, "r1", "netcat", 0},
	{"flumego_source_append_accepted_total", false, "r1", "netcat", 0},
	{"flumego_source_open_connection", true, "r1", "netcat", 3},
	{"flumego_source_channel_write_fail_total", false, "r1", "netcat", 1},
	{"flumego_source_event_read_fail_total", false, "r1", "netcat", 0},
	{"flumego_source_generic_processing_fail_total", false, "r1", "netcat", 0},

	{"flumego_channel_capacity", true, "c1", "memory", 200},
	{"flumego_channel_size", true, "c1", "memory", 25},
	{"flumego_channel_fill_percentage", true, "c1", "memory", 12.5},
	{"flumego_channel_event_put_attempt_total", false, "c1", "memory", 43},
	{"flumego_channel_event_put_success_total", false, "c1", "memory", 42},
	{"flumego_channel_event_take_attempt_total", false, "c1", "memory", 20},
	{"flumego_channel_event_take_success_total", false, "c1", "memory", 17},

	{"flumego_channel_capacity", true, "c2", "file", 1000},
	{"flumego_channel_size", true, "c2", "file", 0},
	{"flumego_channel_fill_percentage", true, "c2", "file", 0},
	{"flumego_channel_event_put_attempt_total", false, "c2", "file", 0},
	{"flumego_channel_event_put_success_total", false, "c2", "file", 5},
	{"flumego_channel_event_take_attempt_total", false, "c2", "file", 0},
	{"flumego_channel_event_take_success_total", false, "c2", "file", 0},

	{"flumego_sink_batch_complete_total", false, "k1", "logger", 4},
	{"flumego_sink_batch_empty_total", false, "k1", "logger", 6},
	{"flumego_sink_batch_underflow_total", false, "k1", "logger", 1},
	{"flumego_sink_connection_created_total", false, "k1", "logger", 0},
	{"flumego_sink_connection_closed_total", false, "k1", "logger", 0},
	{"flumego_sink_connection_failed_total", false, "k1", "logger", 0},
	{"flumego_sink_event_drain_attempt_total", false, "k1", "logger", 17},
	{"flumego_sink_event_drain_success_total", false, "k1", "logger", 16},
	{"flumego_sink_event_write_fail_total", false, "k1", "logger", 1},
	{"flumego_sink_channel_read_fail_total", false, "k1", "logger", 2},
	{"flumego_sink_event_dropped_total", false, "k1", "logger", 0},
	{"flumego_sink_event_dead_letter_total", false, "k1", "logger", 0},
	{"flumego_sink_dead_letter_put_fail_total", false, "k1", "logger", 0},
	{"flumego_sink_rollback_total", false, "k1", "logger", 7},
}

// agentFamilies are the flumego_ families that are not a component's value, checked by
// TestPrometheusHealthAndReload.
var agentFamilies = map[string]bool{
	"flumego_component_healthy":                    true,
	"flumego_config_last_reload_success":           true,
	"flumego_config_last_reload_timestamp_seconds": true,
}

// flumegoSeries flattens the flumego_ families of a scrape into series, failing on any label
// set other than agent="a1", component, type.
func flumegoSeries(t *testing.T, fams map[string]*dto.MetricFamily) []series {
	t.Helper()
	var got []series
	for name, mf := range fams {
		if !strings.HasPrefix(name, "flumego_") || agentFamilies[name] {
			continue
		}
		if mf.GetHelp() == "" {
			t.Errorf("%s has no help", name)
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if len(labels) != 3 || labels["agent"] != "a1" {
				t.Errorf("%s labels = %v, want agent=a1, component, type", name, labels)
			}
			s := series{name: name, component: labels["component"], typ: labels["type"]}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				s.value = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				s.gauge, s.value = true, m.GetGauge().GetValue()
			default:
				t.Errorf("%s has type %v, want counter or gauge", name, mf.GetType())
			}
			got = append(got, s)
		}
	}
	return got
}

func sortSeries(s []series) []series {
	s = append([]series(nil), s...)
	sort.Slice(s, func(i, j int) bool {
		if s[i].name != s[j].name {
			return s[i].name < s[j].name
		}
		return s[i].component < s[j].component
	})
	return s
}

func diffSeries(t *testing.T, got, want []series) {
	t.Helper()
	got, want = sortSeries(got), sortSeries(want)
	if len(got) != len(want) {
		t.Errorf("got %d series, want %d", len(got), len(want))
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w series
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("series %d:\n got  %+v\n want %+v", i, g, w)
		}
	}
}

// scrape fetches /metrics from Handler and parses the text exposition.
func scrape(t *testing.T, reg *Registry) ([]byte, map[string]*dto.MetricFamily) {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler(reg, Probes{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain exposition", ct)
	}
	body := rec.Body.Bytes()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, body)
	}
	return body, fams
}

func TestPrometheusExposition(t *testing.T) {
	reg := testRegistry()
	_, fams := scrape(t, reg)
	diffSeries(t, flumegoSeries(t, fams), wantSeries)

	// The runtime and process collectors ride along on the same registry.
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if fams[name] == nil {
			t.Errorf("no %s in the scrape", name)
		}
	}
}

func TestPrometheusStartTime(t *testing.T) {
	reg := NewRegistry("a1")
	src := reg.Source("r1", "netcat")
	_, fams := scrape(t, reg)
	if mf := fams["flumego_source_start_time_seconds"]; mf != nil {
		t.Fatalf("start time exported before the source started: %v", mf)
	}

	src.MarkStarted()
	_, fams = scrape(t, reg)
	mf := fams["flumego_source_start_time_seconds"]
	if mf == nil || mf.GetType() != dto.MetricType_GAUGE || len(mf.GetMetric()) != 1 {
		t.Fatalf("flumego_source_start_time_seconds = %v, want one gauge", mf)
	}
	if got, want := mf.GetMetric()[0].GetGauge().GetValue(), float64(src.StartTime())/1000; got != want {
		t.Errorf("start time = %v, want %v", got, want)
	}
}

func TestPrometheusBuildInfo(t *testing.T) {
	reg := NewRegistry("a1")
	if _, fams := scrape(t, reg); fams["flumego_build_info"] != nil {
		t.Fatal("build info exported before the binary said what it is")
	}
	reg.SetBuildInfo(BuildInfo{Version: "0.1.0", Revision: "abc123", GoVersion: "go1.26.8", Date: "2026-12-01T00:00:00Z", Platform: "linux/amd64"})
	_, fams := scrape(t, reg)
	mf := fams["flumego_build_info"]
	if mf == nil || mf.GetType() != dto.MetricType_GAUGE || len(mf.GetMetric()) != 1 {
		t.Fatalf("flumego_build_info = %v, want one gauge", mf)
	}
	m := mf.GetMetric()[0]
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	want := map[string]string{"version": "0.1.0", "revision": "abc123", "goversion": "go1.26.8"}
	if m.GetGauge().GetValue() != 1 || !maps.Equal(labels, want) {
		t.Errorf("flumego_build_info %v = %v, want %v = 1", labels, m.GetGauge().GetValue(), want)
	}
}

// TestCollectorDynamic registers the collector once and changes the components under it, as a
// reload does: scrapes follow, and nothing fails.
func TestCollectorDynamic(t *testing.T) {
	reg := NewRegistry("a1")
	pr := prometheus.NewRegistry()
	if err := pr.Register(NewCollector(reg)); err != nil {
		t.Fatalf("register: %v", err)
	}
	gather := func() []series {
		t.Helper()
		mfs, err := pr.Gather()
		if err != nil {
			t.Fatalf("gather: %v", err)
		}
		fams := map[string]*dto.MetricFamily{}
		for _, mf := range mfs {
			fams[mf.GetName()] = mf
		}
		return flumegoSeries(t, fams)
	}

	if got := gather(); len(got) != 0 {
		t.Fatalf("empty registry exported %v", got)
	}

	reg.Sink("k1", "null").EventDrainSuccessCount.Add(3)
	if got := gather(); !containsSeries(got, series{"flumego_sink_event_drain_success_total", false, "k1", "null", 3}) {
		t.Errorf("added sink not exported: %v", got)
	}

	reg.Remove(KindSink, "k1")
	reg.Source("r9", "seq").EventAcceptedCount.Add(1)
	got := gather()
	if containsName(got, "flumego_sink_event_drain_success_total") {
		t.Errorf("removed sink still exported: %v", got)
	}
	if !containsSeries(got, series{"flumego_source_event_accepted_total", false, "r9", "seq", 1}) {
		t.Errorf("added source not exported: %v", got)
	}
}

// TestCollectorConflicts checks that values mapping onto one name never break the scrape:
// within a component the first value wins, and across types a family keeps the type of the
// first component that claimed it.
func TestCollectorConflicts(t *testing.T) {
	reg := NewRegistry("a1")
	a := reg.Sink("a", "avro")
	a.Counter("Retry").Add(1)
	a.Counter("RetryCount").Add(2) // also flumego_sink_retry_total: dropped
	a.Gauge("BacklogTotal").Set(5) // flumego_sink_backlog_total as a gauge
	b := reg.Sink("b", "kafka")
	b.Counter("Backlog").Add(9) // flumego_sink_backlog_total as a counter: dropped
	b.Counter("Retry").Add(4)

	pr := prometheus.NewPedanticRegistry()
	pr.MustRegister(NewCollector(reg))
	mfs, err := pr.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	fams := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		fams[mf.GetName()] = mf
	}
	got := flumegoSeries(t, fams)
	for _, want := range []series{
		{"flumego_sink_retry_total", false, "a", "avro", 1},
		{"flumego_sink_retry_total", false, "b", "kafka", 4},
		{"flumego_sink_backlog_total", true, "a", "avro", 5},
	} {
		if !containsSeries(got, want) {
			t.Errorf("missing %+v in %v", want, got)
		}
	}
	if n := len(fams["flumego_sink_retry_total"].GetMetric()); n != 2 {
		t.Errorf("flumego_sink_retry_total has %d series, want 2", n)
	}
	if n := len(fams["flumego_sink_backlog_total"].GetMetric()); n != 1 {
		t.Errorf("flumego_sink_backlog_total has %d series, want 1", n)
	}
}

func containsSeries(ss []series, want series) bool {
	for _, s := range ss {
		if s == want {
			return true
		}
	}
	return false
}

func containsName(ss []series, name string) bool {
	for _, s := range ss {
		if s.name == name {
			return true
		}
	}
	return false
}

func TestPrometheusName(t *testing.T) {
	tests := []struct {
		kind  Kind
		name  string
		gauge bool
		want  string
	}{
		{KindChannel, "EventPutSuccessCount", false, "flumego_channel_event_put_success_total"},
		{KindSource, "ChannelWriteFail", false, "flumego_source_channel_write_fail_total"},
		{KindSource, "OpenConnectionCount", true, "flumego_source_open_connection"},
		{KindChannel, "Count", true, "flumego_channel_count"},
		{KindChannel, "ChannelSize", true, "flumego_channel_size"},
		{KindChannel, "ChannelFillPercentage", true, "flumego_channel_fill_percentage"},
		{KindSink, "ChannelReadFail", false, "flumego_sink_channel_read_fail_total"},
		{KindChannel, "Channel", true, "flumego_channel_channel"},
		{KindChannel, "Channels", false, "flumego_channel_channels_total"},
		{KindChannel, "RollbackCount", false, "flumego_channel_rollback_total"},
		{KindChannel, "KafkaEventSendTimer", false, "flumego_channel_kafka_event_send_timer_total"},
		{KindSink, "HTTPRequestCount", false, "flumego_sink_http_request_total"},
		{KindSink, "Http2Count", false, "flumego_sink_http2_total"},
		{KindSink, "Count", false, "flumego_sink_count_total"},
		{KindSource, "bytes.read", false, "flumego_source_bytes_read_total"},
		{KindSource, "Event Received", false, "flumego_source_event_received_total"},
	}
	for _, tt := range tests {
		if got := PrometheusName(tt.kind, tt.name, tt.gauge); got != tt.want {
			t.Errorf("PrometheusName(%s, %q, gauge=%v) = %q, want %q", tt.kind, tt.name, tt.gauge, got, tt.want)
		}
		if !model.LegacyValidation.IsValidMetricName(PrometheusName(tt.kind, tt.name, tt.gauge)) {
			t.Errorf("PrometheusName(%s, %q) is not a valid metric name", tt.kind, tt.name)
		}
	}
}

// TestPromtool runs Prometheus' own linter over a real scrape.
func TestPromtool(t *testing.T) {
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus): the /metrics exposition is not linted")
	}
	reg := testRegistry()
	reg.Source("r1", "netcat").MarkStarted()
	body, _ := scrape(t, reg)

	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
