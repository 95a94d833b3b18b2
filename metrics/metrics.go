// Package metrics keeps the agent's counters: Flume's names per component kind (DESIGN §6),
// updated lock-free on the hot path and read by the exporters (Prometheus text, Flume's JSON,
// Ganglia). A Registry belongs to one agent; there is no global state.
package metrics

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is a component kind as Flume names it in its JSON ("SOURCE.r1").
type Kind string

// The component kinds that keep counters.
const (
	KindSource  Kind = "SOURCE"
	KindChannel Kind = "CHANNEL"
	KindSink    Kind = "SINK"
)

// Counter is one named value of a component. Counters only grow; gauges (Set) go up and down.
type Counter struct {
	name  string
	gauge bool
	v     atomic.Int64
}

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n int64) { c.v.Add(n) }

// Set sets a gauge.
func (c *Counter) Set(n int64) { c.v.Store(n) }

// Load reads the current value.
func (c *Counter) Load() int64 { return c.v.Load() }

// Name is Flume's name of the value, such as "EventPutSuccessCount".
func (c *Counter) Name() string { return c.name }

// Gauge reports whether the value is a gauge rather than a monotonic counter.
func (c *Counter) Gauge() bool { return c.gauge }

// Component holds the values of one component instance.
type Component struct {
	Kind Kind
	Name string
	Type string

	startTime atomic.Int64 // unix ms
	stopTime  atomic.Int64
	health    Health

	mu     sync.Mutex
	values []*Counter
	byName map[string]*Counter
	// derived values, computed when read (ChannelFillPercentage)
	derived []Derived
}

// Derived is a value computed from others when it is read.
type Derived struct {
	Name string
	Fn   func() float64
}

func newComponent(kind Kind, name, typ string) *Component {
	return &Component{Kind: kind, Name: name, Type: typ, byName: map[string]*Counter{}}
}

func (c *Component) add(name string, gauge bool) *Counter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.byName[name]; ok {
		return v
	}
	v := &Counter{name: name, gauge: gauge}
	c.values = append(c.values, v)
	c.byName[name] = v
	return v
}

// Counter returns the component's counter of that name, creating it on first use. Components
// use it for counters of their own beyond the standard set (Kafka's RollbackCount, the file
// channel's EventPutErrorCount).
func (c *Component) Counter(name string) *Counter { return c.add(name, false) }

// Gauge returns the component's gauge of that name, creating it on first use.
func (c *Component) Gauge(name string) *Counter { return c.add(name, true) }

// Values returns the component's values in the order they were created.
func (c *Component) Values() []*Counter {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Counter(nil), c.values...)
}

// Derive registers a value computed when read.
func (c *Component) Derive(name string, fn func() float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.derived = append(c.derived, Derived{Name: name, Fn: fn})
}

// DerivedValues returns the computed values.
func (c *Component) DerivedValues() []Derived {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Derived(nil), c.derived...)
}

// MarkStarted records the start time, as Flume's StartTime.
func (c *Component) MarkStarted() { c.startTime.Store(time.Now().UnixMilli()) }

// MarkStopped records the stop time, as Flume's StopTime.
func (c *Component) MarkStopped() { c.stopTime.Store(time.Now().UnixMilli()) }

// StartTime and StopTime are unix milliseconds, 0 when not yet.
func (c *Component) StartTime() int64 { return c.startTime.Load() }

// StopTime is the unix millisecond the component stopped, 0 while running.
func (c *Component) StopTime() int64 { return c.stopTime.Load() }

// Source holds the standard counters of a source.
type Source struct {
	*Component
	EventReceivedCount       *Counter
	EventAcceptedCount       *Counter
	AppendBatchReceivedCount *Counter
	AppendBatchAcceptedCount *Counter
	// AppendReceivedCount and AppendAcceptedCount count single-event append calls (Flume's
	// names, the avro source's append), which the batch counters count too.
	AppendReceivedCount   *Counter
	AppendAcceptedCount   *Counter
	OpenConnectionCount   *Counter // gauge
	ChannelWriteFail      *Counter
	EventReadFail         *Counter
	GenericProcessingFail *Counter
}

// Channel holds the standard counters of a channel. ChannelFillPercentage is derived from
// ChannelSize and ChannelCapacity.
type Channel struct {
	*Component
	ChannelCapacity       *Counter // gauge
	ChannelSize           *Counter // gauge
	EventPutAttemptCount  *Counter
	EventPutSuccessCount  *Counter
	EventTakeAttemptCount *Counter
	EventTakeSuccessCount *Counter
}

// Sink holds the standard counters of a sink.
type Sink struct {
	*Component
	BatchCompleteCount     *Counter
	BatchEmptyCount        *Counter
	BatchUnderflowCount    *Counter
	ConnectionCreatedCount *Counter
	ConnectionClosedCount  *Counter
	ConnectionFailedCount  *Counter
	EventDrainAttemptCount *Counter
	EventDrainSuccessCount *Counter
	EventWriteFail         *Counter
	ChannelReadFail        *Counter
	// EventDroppedCount and EventDeadLetterCount count the events the sink refused for good
	// (a permanent error) that its runner dropped or put into the dead-letter channel.
	EventDroppedCount    *Counter
	EventDeadLetterCount *Counter
	// DeadLetterPutFail counts the puts into the dead-letter channel that it refused (full);
	// the runner retries them.
	DeadLetterPutFail *Counter
}

// Registry holds the components of one agent.
type Registry struct {
	agent string
	mu    sync.Mutex
	comps map[string]*Component // key: KIND.name
	build BuildInfo

	unhealthyAfter atomic.Int64 // time.Duration; 0: DefaultUnhealthyAfter
	reloadOK       atomic.Int64 // 1 when the last configuration load succeeded
	reloadAt       atomic.Int64 // unix ms of the last load; 0: none recorded
}

// BuildInfo describes the running binary. /metrics exports it as
// flumego_build_info{version,revision,goversion} 1, the way Prometheus's own exporters do, so a
// fleet's versions can be counted and an upgrade seen on a dashboard.
type BuildInfo struct {
	Version   string // the release, such as "0.1.0", or "dev"
	Revision  string // the commit it was built from
	Date      string // when that commit was made (RFC 3339), so two builds of it are identical
	GoVersion string // runtime.Version()
	Platform  string // GOOS/GOARCH
}

// SetBuildInfo records what the binary is; an empty Version exports nothing.
func (r *Registry) SetBuildInfo(b BuildInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.build = b
}

// BuildInfo is what SetBuildInfo recorded.
func (r *Registry) BuildInfo() BuildInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.build
}

// NewRegistry returns an empty registry for the named agent.
func NewRegistry(agent string) *Registry {
	return &Registry{agent: agent, comps: map[string]*Component{}}
}

// Agent is the name of the agent the registry belongs to.
func (r *Registry) Agent() string { return r.agent }

// component returns the component for kind and name, creating it when new. A component
// re-registered under the same name (after a reload) keeps its counters, so rates stay
// continuous.
func (r *Registry) component(kind Kind, name, typ string) *Component {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := string(kind) + "." + name
	if c, ok := r.comps[key]; ok && c.Type == typ {
		return c
	}
	c := newComponent(kind, name, typ)
	r.comps[key] = c
	return c
}

// Remove forgets a component (a reload removed it).
func (r *Registry) Remove(kind Kind, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.comps, string(kind)+"."+name)
}

// Components returns every component, sorted by kind and name.
func (r *Registry) Components() []*Component {
	r.mu.Lock()
	out := make([]*Component, 0, len(r.comps))
	for _, c := range r.comps {
		out = append(out, c)
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Source registers a source and returns its counters.
func (r *Registry) Source(name, typ string) *Source {
	c := r.component(KindSource, name, typ)
	return &Source{
		Component:                c,
		EventReceivedCount:       c.Counter("EventReceivedCount"),
		EventAcceptedCount:       c.Counter("EventAcceptedCount"),
		AppendBatchReceivedCount: c.Counter("AppendBatchReceivedCount"),
		AppendBatchAcceptedCount: c.Counter("AppendBatchAcceptedCount"),
		AppendReceivedCount:      c.Counter("AppendReceivedCount"),
		AppendAcceptedCount:      c.Counter("AppendAcceptedCount"),
		OpenConnectionCount:      c.Gauge("OpenConnectionCount"),
		ChannelWriteFail:         c.Counter("ChannelWriteFail"),
		EventReadFail:            c.Counter("EventReadFail"),
		GenericProcessingFail:    c.Counter("GenericProcessingFail"),
	}
}

// Channel registers a channel and returns its counters.
func (r *Registry) Channel(name, typ string) *Channel {
	c := r.component(KindChannel, name, typ)
	ch := &Channel{
		Component:             c,
		ChannelCapacity:       c.Gauge("ChannelCapacity"),
		ChannelSize:           c.Gauge("ChannelSize"),
		EventPutAttemptCount:  c.Counter("EventPutAttemptCount"),
		EventPutSuccessCount:  c.Counter("EventPutSuccessCount"),
		EventTakeAttemptCount: c.Counter("EventTakeAttemptCount"),
		EventTakeSuccessCount: c.Counter("EventTakeSuccessCount"),
	}
	if len(c.DerivedValues()) == 0 {
		size, capacity := ch.ChannelSize, ch.ChannelCapacity
		c.Derive("ChannelFillPercentage", func() float64 {
			if cp := capacity.Load(); cp > 0 {
				return float64(size.Load()) * 100 / float64(cp)
			}
			return 0
		})
	}
	return ch
}

// Sink registers a sink and returns its counters.
func (r *Registry) Sink(name, typ string) *Sink {
	c := r.component(KindSink, name, typ)
	return &Sink{
		Component:              c,
		BatchCompleteCount:     c.Counter("BatchCompleteCount"),
		BatchEmptyCount:        c.Counter("BatchEmptyCount"),
		BatchUnderflowCount:    c.Counter("BatchUnderflowCount"),
		ConnectionCreatedCount: c.Counter("ConnectionCreatedCount"),
		ConnectionClosedCount:  c.Counter("ConnectionClosedCount"),
		ConnectionFailedCount:  c.Counter("ConnectionFailedCount"),
		EventDrainAttemptCount: c.Counter("EventDrainAttemptCount"),
		EventDrainSuccessCount: c.Counter("EventDrainSuccessCount"),
		EventWriteFail:         c.Counter("EventWriteFail"),
		ChannelReadFail:        c.Counter("ChannelReadFail"),
		EventDroppedCount:      c.Counter("EventDroppedCount"),
		EventDeadLetterCount:   c.Counter("EventDeadLetterCount"),
		DeadLetterPutFail:      c.Counter("DeadLetterPutFail"),
	}
}
