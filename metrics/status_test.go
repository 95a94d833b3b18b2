package metrics

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// snap builds a snapshot at second at, of components given as kind.name → values.
func snap(at int, comps map[string]map[string]int64) Snapshot {
	s := Snapshot{Agent: "a1", Time: time.Unix(1_700_000_000+int64(at), 0), Health: "ok"}
	for key, vals := range comps {
		kind, name, _ := strings.Cut(key, ".")
		s.Components = append(s.Components, ComponentSnapshot{Kind: Kind(kind), Name: name, Type: "t", Values: vals, StartTime: 1})
	}
	sortSnapshot(s.Components)
	return s
}

func TestCompare(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		prev, cur Snapshot
		want      []Row
	}{
		{
			name: "a healthy flow",
			prev: snap(0, map[string]map[string]int64{
				"SOURCE.r1":  {"EventReceivedCount": 100, "EventAcceptedCount": 100},
				"CHANNEL.c1": {"EventPutSuccessCount": 100, "EventTakeSuccessCount": 95, "ChannelSize": 5, "ChannelCapacity": 1000},
				"SINK.k1":    {"EventDrainAttemptCount": 95, "EventDrainSuccessCount": 95},
			}),
			cur: snap(2, map[string]map[string]int64{
				"SOURCE.r1":  {"EventReceivedCount": 300, "EventAcceptedCount": 300},
				"CHANNEL.c1": {"EventPutSuccessCount": 300, "EventTakeSuccessCount": 292, "ChannelSize": 8, "ChannelCapacity": 1000},
				"SINK.k1":    {"EventDrainAttemptCount": 292, "EventDrainSuccessCount": 292},
			}),
			want: []Row{
				{Kind: KindSource, Name: "r1", Type: "t", Fill: -1, In: 100, Out: 100},
				{Kind: KindChannel, Name: "c1", Type: "t", Fill: 0.8, Size: 8, Capacity: 1000, In: 100, Out: 98.5},
				{Kind: KindSink, Name: "k1", Type: "t", Fill: -1, In: 98.5, Out: 98.5},
			},
		},
		{
			name: "a channel filling and its sink failing",
			prev: snap(0, map[string]map[string]int64{
				"CHANNEL.c1": {"EventPutSuccessCount": 1000, "EventTakeSuccessCount": 900, "ChannelSize": 100, "ChannelCapacity": 1000},
				"SINK.k1":    {"EventDrainAttemptCount": 900, "EventDrainSuccessCount": 900, "EventWriteFail": 2, "ConnectionFailedCount": 1},
			}),
			cur: snap(1, map[string]map[string]int64{
				"CHANNEL.c1": {"EventPutSuccessCount": 1300, "EventTakeSuccessCount": 900, "ChannelSize": 400, "ChannelCapacity": 1000},
				"SINK.k1":    {"EventDrainAttemptCount": 1000, "EventDrainSuccessCount": 900, "EventWriteFail": 3, "ConnectionFailedCount": 3},
			}),
			want: []Row{
				{Kind: KindChannel, Name: "c1", Type: "t", Fill: 40, Size: 400, Capacity: 1000, In: 300, Out: 0, Attention: "filling: +300 events/s"},
				{Kind: KindSink, Name: "k1", Type: "t", Fill: -1, In: 100, Out: 0, Failures: 6, NewFailures: 3, Attention: "failing: 3 new failures"},
			},
		},
		{
			name: "a full channel refusing its source",
			prev: snap(0, map[string]map[string]int64{
				"SOURCE.r1":  {"EventReceivedCount": 10, "EventAcceptedCount": 10, "ChannelWriteFail": 0},
				"CHANNEL.c1": {"ChannelSize": 950, "ChannelCapacity": 1000},
			}),
			cur: snap(1, map[string]map[string]int64{
				"SOURCE.r1":  {"EventReceivedCount": 20, "EventAcceptedCount": 10, "ChannelWriteFail": 4},
				"CHANNEL.c1": {"ChannelSize": 1000, "ChannelCapacity": 1000},
			}),
			want: []Row{
				{Kind: KindSource, Name: "r1", Type: "t", Fill: -1, In: 10, Out: 0, Failures: 4, NewFailures: 4,
					Attention: "its channel refuses events (full?); failing: 4 new failures"},
				{Kind: KindChannel, Name: "c1", Type: "t", Fill: 100, Size: 1000, Capacity: 1000, In: 0, Out: 0,
					Attention: "full (100%): sinks are not keeping up"},
			},
		},
		{
			name: "a small wobble in a busy channel is not filling",
			prev: snap(0, map[string]map[string]int64{"CHANNEL.c1": {"ChannelSize": 10, "ChannelCapacity": 10000}}),
			cur:  snap(1, map[string]map[string]int64{"CHANNEL.c1": {"ChannelSize": 60, "ChannelCapacity": 10000}}),
			want: []Row{{Kind: KindChannel, Name: "c1", Type: "t", Fill: 0.6, Size: 60, Capacity: 10000, In: 0, Out: 0}},
		},
		{
			name: "a new component and a restarted one have no rates yet",
			prev: snap(0, map[string]map[string]int64{"SINK.k1": {"EventDrainSuccessCount": 500}}),
			cur: snap(1, map[string]map[string]int64{
				"SINK.k1": {"EventDrainSuccessCount": 3},
				"SINK.k2": {"EventDrainSuccessCount": 7, "ChannelReadFail": 1},
			}),
			want: []Row{
				{Kind: KindSink, Name: "k1", Type: "t", Fill: -1, In: 0, Out: nan},
				{Kind: KindSink, Name: "k2", Type: "t", Fill: -1, In: nan, Out: nan, Failures: 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Compare(tt.prev, tt.cur)
			if st.Agent != "a1" || st.Health != "ok" || st.Interval != tt.cur.Time.Sub(tt.prev.Time) {
				t.Errorf("status header = %q %q %v", st.Agent, st.Health, st.Interval)
			}
			if len(st.Rows) != len(tt.want) {
				t.Fatalf("%d rows, want %d: %+v", len(st.Rows), len(tt.want), st.Rows)
			}
			for i, w := range tt.want {
				if w.Kind != KindSink {
					w.SetAside = -1 // only sinks set events aside
				}
				if g := st.Rows[i]; !sameRow(g, w) {
					t.Errorf("row %d:\n got  %+v\n want %+v", i, g, w)
				}
			}
			wantAttention := false
			for _, w := range tt.want {
				wantAttention = wantAttention || w.Attention != ""
			}
			if st.Attention() != wantAttention {
				t.Errorf("Attention() = %v, want %v", st.Attention(), wantAttention)
			}
		})
	}
}

// sameRow compares rows, NaN rates included, floats to a thousandth.
func sameRow(a, b Row) bool {
	near := func(x, y float64) bool {
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.IsNaN(x) && math.IsNaN(y)
		}
		return math.Abs(x-y) < 1e-3
	}
	if !near(a.In, b.In) || !near(a.Out, b.Out) || !near(a.Fill, b.Fill) {
		return false
	}
	a.In, a.Out, a.Fill, b.In, b.Out, b.Fill = 0, 0, 0, 0, 0, 0
	return a == b
}

func TestAStoppedComponentNeedsAttention(t *testing.T) {
	prev := snap(0, map[string]map[string]int64{"SOURCE.r1": {}})
	cur := snap(1, map[string]map[string]int64{"SOURCE.r1": {}})
	cur.Components[0].StopTime = 5
	if got := Compare(prev, cur).Rows[0].Attention; got != "stopped" {
		t.Errorf("attention = %q, want stopped", got)
	}
}

func TestSnapshotFromFlumeJSONReadsWhatFlumeJSONWrites(t *testing.T) {
	reg := testRegistry()
	reg.Source("r1", "netcat").MarkStarted()
	want := TakeSnapshot(reg, nil)
	got := SnapshotFromFlumeJSON(FlumeJSON(reg), want.Time)
	// Flume's shape carries neither the agent, the health nor the component types.
	want.Agent, want.Health = "", ""
	for i := range want.Components {
		want.Components[i].Type, want.Components[i].Health = "", nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SnapshotFromFlumeJSON(FlumeJSON(reg)):\n got  %+v\n want %+v", got, want)
	}
	if k := got.Components[0].Kind; k != KindSource {
		t.Errorf("first component is a %s, want sources first (the order events flow)", k)
	}
}

func serve(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestStatusJSON(t *testing.T) {
	reg := NewRegistry("a1")
	reg.Channel("c1", "memory").ChannelSize.Set(3)
	rec := serve(Handler(reg, Probes{Health: func() error { return errors.New("sink k1: down") }}), "/status.json")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /status.json = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var s Snapshot
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Agent != "a1" || s.Health != "sink k1: down" || len(s.Components) != 1 ||
		s.Components[0].Type != "memory" || s.Components[0].Values["ChannelSize"] != 3 {
		t.Errorf("/status.json = %+v", s)
	}
}

// TestStatusPage views the page twice, five seconds apart, as its own refresh does: the
// first view samples for a second, the second computes rates against the first.
func TestStatusPage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := NewRegistry("a1")
		src := reg.Source("r1", "netcat")
		ch := reg.Channel("c1", "memory")
		ch.ChannelCapacity.Set(1000)
		sk := reg.Sink("<k1>", "kafka")
		h := Handler(reg, Probes{})

		start := time.Now()
		rec := serve(h, "/status")
		if d := time.Since(start); d != statusSample {
			t.Errorf("first view took %v, want one sample of %v", d, statusSample)
		}
		body := rec.Body.String()
		for _, want := range []string{
			`<meta http-equiv="refresh" content="5">`,
			"<h1>agent a1</h1>",
			`<span class="ok">ok</span>`,
			"&lt;k1&gt;", // names are escaped
		} {
			if !strings.Contains(body, want) {
				t.Errorf("first view lacks %q:\n%s", want, body)
			}
		}
		if strings.Contains(body, `class="attention"`) {
			t.Errorf("an idle agent needs attention:\n%s", body)
		}

		time.Sleep(5 * time.Second)
		src.EventReceivedCount.Add(5000)
		src.EventAcceptedCount.Add(5000)
		ch.EventPutSuccessCount.Add(5000)
		ch.ChannelSize.Set(950)
		sk.EventWriteFail.Add(3)
		start = time.Now()
		body = serve(h, "/status").Body.String()
		if d := time.Since(start); d != 0 {
			t.Errorf("second view took %v, want no wait", d)
		}
		for _, want := range []string{
			"events per second over the last 5s",
			`<td>1000</td><td>1000</td>`, // the source: 5000 events in 5 s
			`<meter min="0" max="100" high="90" value="95.0"></meter> 95.0% (950/1000)`,
			"full (95%): sinks are not keeping up",
			"<td>3 (&#43;3)</td>", // html/template escapes "+"
			"failing: 3 new failures",
			"<title>flumego a1 – attention</title>",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("second view lacks %q:\n%s", want, body)
			}
		}
		if n := strings.Count(body, `<tr class="attention">`); n != 2 {
			t.Errorf("%d rows need attention, want 2 (the channel and the sink):\n%s", n, body)
		}
	})
}
