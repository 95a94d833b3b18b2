package metrics

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Snapshot is every component's values at one instant: what /status.json serves, and what
// `agent status` samples twice to compute rates. Rates need two snapshots; Compare turns a
// pair into the status at a glance.
type Snapshot struct {
	Agent string    `json:"agent"`
	Time  time.Time `json:"time"`
	// Health is "ok", or why the agent is unhealthy (as /healthz says); "" when unknown.
	Health     string              `json:"health"`
	Components []ComponentSnapshot `json:"components"`
}

// ComponentSnapshot is one component's values in a Snapshot.
type ComponentSnapshot struct {
	Kind Kind   `json:"kind"`
	Name string `json:"name"`
	Type string `json:"type"` // "memory", "kafka" ...; "" when the source of the snapshot does not say
	// Values holds every counter and gauge by its Flume name.
	Values    map[string]int64 `json:"values"`
	StartTime int64            `json:"start_time"` // unix ms, 0 when not started
	StopTime  int64            `json:"stop_time"`  // unix ms, 0 while running
	// Health is the component's failure streak and last error; nil when the source of the
	// snapshot does not say (Flume's JSON).
	Health *HealthState `json:"health,omitempty"`
}

// TakeSnapshot reads every value of reg now. A nil health leaves Health "ok".
func TakeSnapshot(reg *Registry, health func() error) Snapshot {
	s := Snapshot{Agent: reg.Agent(), Time: time.Now(), Health: "ok"}
	if health != nil {
		if err := health(); err != nil {
			s.Health = err.Error()
		}
	}
	after := reg.UnhealthyAfter()
	for _, c := range reg.Components() {
		st := c.health.State(s.Time, after)
		cs := ComponentSnapshot{Kind: c.Kind, Name: c.Name, Type: c.Type, Values: map[string]int64{},
			StartTime: c.StartTime(), StopTime: c.StopTime(), Health: &st}
		for _, v := range c.Values() {
			cs.Values[v.Name()] = v.Load()
		}
		s.Components = append(s.Components, cs)
	}
	sortSnapshot(s.Components)
	return s
}

// SnapshotFromFlumeJSON reads Flume's JSON reporting shape ({"CHANNEL.c1": {"ChannelSize":
// "3", ...}}), as flumego's /metrics.json and Flume's own HTTP monitoring serve it, into a
// Snapshot taken at the given time. That shape does not name component types, so Type is "".
func SnapshotFromFlumeJSON(m map[string]map[string]string, at time.Time) Snapshot {
	s := Snapshot{Time: at}
	for key, attrs := range m {
		kind, name, ok := strings.Cut(key, ".")
		if !ok {
			continue
		}
		cs := ComponentSnapshot{Kind: Kind(kind), Name: name, Values: map[string]int64{}}
		for k, v := range attrs {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				continue // Type, ChannelFillPercentage: not counters
			}
			switch k {
			case "StartTime":
				cs.StartTime = n
			case "StopTime":
				cs.StopTime = n
			default:
				cs.Values[k] = n
			}
		}
		s.Components = append(s.Components, cs)
	}
	sortSnapshot(s.Components)
	return s
}

// sortSnapshot orders components as events flow: sources, channels, sinks (then any other
// kind), each by name.
func sortSnapshot(cs []ComponentSnapshot) {
	order := func(k Kind) int {
		switch k {
		case KindSource:
			return 0
		case KindChannel:
			return 1
		case KindSink:
			return 2
		}
		return 3
	}
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if oa, ob := order(a.Kind), order(b.Kind); oa != ob {
			return oa < ob
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
}

// Status is the agent at a glance: one row per component, with rates over Interval.
type Status struct {
	Agent    string
	Health   string
	Time     time.Time
	Interval time.Duration
	Rows     []Row
}

// Row is one component's status. In and out are events per second over the interval: for a
// source, events received and accepted into its channels; for a channel, events put and taken;
// for a sink, events taken from its channel and delivered.
type Row struct {
	Kind Kind
	Name string
	Type string
	// Fill is a channel's fill level in percent (ChannelSize / ChannelCapacity); -1 for other
	// kinds, or when the capacity is unknown.
	Fill           float64
	Size, Capacity int64
	In, Out        float64
	// Failures is the total of the component's failure counters (every counter whose name holds
	// "Fail" or "Error": ChannelWriteFail, EventWriteFail, ConnectionFailedCount,
	// EventPutErrorCount ...); NewFailures those counted during the interval.
	Failures, NewFailures int64
	// SetAside is, for a sink, the events it refused for good that were dead-lettered or
	// dropped (EventDeadLetterCount + EventDroppedCount); -1 for other kinds.
	SetAside int64
	// Health is the component's health (nil when the snapshot does not say): whether it is
	// degraded, its failure streak and its last error.
	Health *HealthState
	// Attention says why events are piling up here, or "" when nothing is wrong.
	Attention string
}

// Thresholds of Compare's attention marks.
const (
	// FullPercent is the fill level from which a channel is reported full.
	FullPercent = 90
	// fillingPercent is how much a channel must grow during the interval, in percent of its
	// capacity, to be reported filling: a busy channel's size moves a little with every batch.
	fillingPercent = 1
)

// Compare computes the status from two snapshots of one agent, prev taken before cur. Rates
// are per second over the time between them; a component only in cur has no rates yet.
func Compare(prev, cur Snapshot) Status {
	st := Status{Agent: cur.Agent, Health: cur.Health, Time: cur.Time, Interval: cur.Time.Sub(prev.Time)}
	secs := st.Interval.Seconds()
	before := map[string]ComponentSnapshot{}
	for _, c := range prev.Components {
		before[string(c.Kind)+"."+c.Name] = c
	}
	for _, c := range cur.Components {
		p, seen := before[string(c.Kind)+"."+c.Name]
		rate := func(name string) float64 {
			if !seen || secs <= 0 {
				return math.NaN()
			}
			d := c.Values[name] - p.Values[name]
			if d < 0 { // the agent restarted between the samples
				return math.NaN()
			}
			return float64(d) / secs
		}
		r := Row{Kind: c.Kind, Name: c.Name, Type: c.Type, Fill: -1, In: math.NaN(), Out: math.NaN(), Health: c.Health, SetAside: -1}
		r.Failures = failures(c.Values)
		if seen {
			r.NewFailures = max(0, r.Failures-failures(p.Values))
		}
		var why []string
		switch c.Kind {
		case KindSource:
			r.In, r.Out = rate("EventReceivedCount"), rate("EventAcceptedCount")
			if seen && c.Values["ChannelWriteFail"] > p.Values["ChannelWriteFail"] {
				why = append(why, "its channel refuses events (full?)")
			}
		case KindChannel:
			r.In, r.Out = rate("EventPutSuccessCount"), rate("EventTakeSuccessCount")
			r.Size, r.Capacity = c.Values["ChannelSize"], c.Values["ChannelCapacity"]
			if r.Capacity > 0 {
				r.Fill = float64(r.Size) * 100 / float64(r.Capacity)
			}
			grew := c.Values["ChannelSize"] - p.Values["ChannelSize"]
			switch {
			case r.Fill >= FullPercent:
				why = append(why, fmt.Sprintf("full (%.0f%%): sinks are not keeping up", r.Fill))
			case seen && secs > 0 && grew > 0 && (r.Capacity <= 0 || float64(grew)*100 >= fillingPercent*float64(r.Capacity)):
				why = append(why, fmt.Sprintf("filling: +%s events/s", formatRate(float64(grew)/secs)))
			}
		case KindSink:
			r.In, r.Out = rate("EventDrainAttemptCount"), rate("EventDrainSuccessCount")
			r.SetAside = c.Values["EventDeadLetterCount"] + c.Values["EventDroppedCount"]
			if seen {
				dropped := c.Values["EventDroppedCount"] - p.Values["EventDroppedCount"]
				dead := c.Values["EventDeadLetterCount"] - p.Values["EventDeadLetterCount"]
				if dropped > 0 || dead > 0 {
					why = append(why, fmt.Sprintf("refused for good: %d events dead-lettered, %d dropped", dead, dropped))
				}
			}
		}
		if r.NewFailures > 0 {
			why = append(why, fmt.Sprintf("failing: %d new failures", r.NewFailures))
		}
		if h := c.Health; h != nil && h.Failing() {
			d := h.Describe(cur.Time)
			if !h.Healthy {
				d = "DEGRADED: " + d
			}
			why = append(why, d)
		}
		if c.StopTime != 0 && c.StopTime >= c.StartTime {
			why = append(why, "stopped")
		}
		r.Attention = strings.Join(why, "; ")
		st.Rows = append(st.Rows, r)
	}
	return st
}

// failures sums the counters whose name says they count failures.
func failures(values map[string]int64) int64 {
	var n int64
	for name, v := range values {
		if strings.Contains(name, "Fail") || strings.Contains(name, "Error") {
			n += v
		}
	}
	return n
}

// Degraded reports whether the agent is not healthy: its health says so, or a component has
// failed for longer than unhealthy_after.
func (s Status) Degraded() bool {
	if s.Health != "" && s.Health != "ok" {
		return true
	}
	for _, r := range s.Rows {
		if r.Health != nil && !r.Health.Healthy {
			return true
		}
	}
	return false
}

// Attention reports whether any row needs attention.
func (s Status) Attention() bool {
	for _, r := range s.Rows {
		if r.Attention != "" {
			return true
		}
	}
	return false
}

// FormatRate prints an events/s rate for a table: "-" when unknown, one decimal under 100,
// whole numbers above.
func FormatRate(r float64) string {
	if math.IsNaN(r) {
		return "-"
	}
	return formatRate(r)
}

func formatRate(r float64) string {
	if r < 100 {
		return strconv.FormatFloat(r, 'f', 1, 64)
	}
	return strconv.FormatFloat(r, 'f', 0, 64)
}

// FormatFill prints a channel's fill level ("85.0% (8500/10000)"), or "-" for other kinds.
func (r Row) FormatFill() string {
	if r.Fill < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", r.Fill, r.Size, r.Capacity)
}

// HealthWord is the row's health in a word: "ok", "failing" (within unhealthy_after),
// "degraded", or "-" when unknown.
func (r Row) HealthWord() string {
	switch h := r.Health; {
	case h == nil:
		return "-"
	case !h.Healthy:
		return "degraded"
	case h.Failing():
		return "failing"
	}
	return "ok"
}

// FormatSetAside prints a sink's events set aside, or "-" for other kinds.
func (r Row) FormatSetAside() string {
	if r.SetAside < 0 {
		return "-"
	}
	return strconv.FormatInt(r.SetAside, 10)
}

// FormatFailures prints the failure total and, when some are new, how many ("15 (+3)").
func (r Row) FormatFailures() string {
	if r.NewFailures > 0 {
		return fmt.Sprintf("%d (+%d)", r.Failures, r.NewFailures)
	}
	return strconv.FormatInt(r.Failures, 10)
}
