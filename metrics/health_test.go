package metrics

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestHealthStreak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := NewRegistry("a1")
		reg.SetUnhealthyAfter(10 * time.Second)
		k1 := reg.Sink("k1", "kafka")
		h := k1.Health()
		healthy := func() bool { return h.State(time.Now(), reg.UnhealthyAfter()).Healthy }

		h.Succeeded()
		if !healthy() || len(reg.Unhealthy(time.Now())) != 0 {
			t.Fatal("a component that never failed is unhealthy")
		}
		h.Failed(errors.New("broker down"))
		start := time.Now()
		time.Sleep(5 * time.Second)
		h.Failed(errors.New("broker still down"))
		if !healthy() {
			t.Error("unhealthy after failing for 5s, within unhealthy_after 10s")
		}
		time.Sleep(6 * time.Second)
		st := h.State(time.Now(), reg.UnhealthyAfter())
		if st.Healthy || st.Failures != 2 || !st.FailingSince.Equal(start) || st.LastError != "broker still down" {
			t.Errorf("after failing for 11s: %+v, want unhealthy, 2 failures since %v, the last error", st, start)
		}
		un := reg.Unhealthy(time.Now())
		if len(un) != 1 || un[0].Name != "k1" || !strings.Contains(un[0].String(), "SINK k1 (kafka): failing for 11s (2 failed attempts); last error at") {
			t.Errorf("Unhealthy = %v", un)
		}

		h.Succeeded()
		st = h.State(time.Now(), reg.UnhealthyAfter())
		if !st.Healthy || st.Failing() || st.LastError != "broker still down" {
			t.Errorf("after a success: %+v, want healthy, the last error kept for the record", st)
		}
	})
}

func TestHealthStuckAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &Health{}
		h.Begin()
		time.Sleep(31 * time.Second)
		st := h.State(time.Now(), DefaultUnhealthyAfter)
		if st.Healthy || st.BusySince.IsZero() || !strings.Contains(st.Describe(time.Now()), "in progress for 31s") {
			t.Errorf("an attempt in progress for 31s: %+v %q, want unhealthy", st, st.Describe(time.Now()))
		}
		h.Succeeded()
		if st := h.State(time.Now(), DefaultUnhealthyAfter); !st.Healthy {
			t.Errorf("after the attempt succeeded: %+v", st)
		}
	})
}

func TestPrometheusHealthAndReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := NewRegistry("a1")
		reg.SetUnhealthyAfter(time.Second)
		reg.Sink("k1", "kafka").Health().Failed(errors.New("down"))
		reg.Source("k1", "netcat") // the same name in another kind
		_, fams := scrape(t, reg)
		if fams["flumego_config_last_reload_success"] != nil {
			t.Error("reload gauges exported before any load was recorded")
		}
		time.Sleep(2 * time.Second)
		reg.ConfigLoaded(false, time.Unix(1_700_000_000, 0))
		_, fams = scrape(t, reg)
		got := map[string]float64{}
		for _, m := range fams["flumego_component_healthy"].GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			got[l["kind"]+"/"+l["component"]+"/"+l["type"]+"/"+l["agent"]] = m.GetGauge().GetValue()
		}
		if len(got) != 2 || got["sink/k1/kafka/a1"] != 0 || got["source/k1/netcat/a1"] != 1 {
			t.Errorf("flumego_component_healthy = %v, want the failing sink 0 and the source 1", got)
		}
		if v := fams["flumego_config_last_reload_success"].GetMetric()[0].GetGauge().GetValue(); v != 0 {
			t.Errorf("flumego_config_last_reload_success = %v, want 0", v)
		}
		if v := fams["flumego_config_last_reload_timestamp_seconds"].GetMetric()[0].GetGauge().GetValue(); v != 1_700_000_000 {
			t.Errorf("flumego_config_last_reload_timestamp_seconds = %v", v)
		}
	})
}

func TestStatusShowsDegradedComponent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := NewRegistry("a1")
		reg.SetUnhealthyAfter(5 * time.Second)
		k1 := reg.Sink("k1", "kafka")
		k1.Health().Failed(errors.New("produce: UNKNOWN_TOPIC_ID"))
		time.Sleep(6 * time.Second)
		st := Compare(TakeSnapshot(reg, nil), TakeSnapshot(reg, nil))
		if !st.Degraded() {
			t.Error("Status.Degraded = false with a sink failing for 6s")
		}
		r := st.Rows[0]
		if r.HealthWord() != "degraded" || !strings.HasPrefix(r.Attention, "DEGRADED: failing for 6s (1 failed attempt); last error at ") ||
			!strings.HasSuffix(r.Attention, ": produce: UNKNOWN_TOPIC_ID") {
			t.Errorf("row = %q %q", r.HealthWord(), r.Attention)
		}
		body := serve(Handler(reg, Probes{}), "/status").Body.String()
		for _, want := range []string{`<td class="l bad">degraded</td>`, "produce: UNKNOWN_TOPIC_ID"} {
			if !strings.Contains(body, want) {
				t.Errorf("/status lacks %q:\n%s", want, body)
			}
		}
	})
}
