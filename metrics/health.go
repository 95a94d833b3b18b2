package metrics

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultUnhealthyAfter is how long a component may fail without a break (or one attempt may
// hang) before the agent reports it degraded, when the metrics block sets no unhealthy_after.
const DefaultUnhealthyAfter = 30 * time.Second

// Health is whether a component does its job, as the component itself reports it: the streak
// of failures since its last success, the last error, and the attempt in progress, so that a
// write that hangs shows as well as one that fails. Failed and Succeeded are called per
// attempt (a sink's write, a source's put or fetch), never per event; Succeeded costs one
// atomic load while nothing fails. All methods are safe for concurrent use.
type Health struct {
	failing atomic.Bool
	begun   atomic.Int64 // unix ns the attempt in progress began (Begin); 0 when none

	mu        sync.Mutex
	since     time.Time // the streak's first failure
	failures  int64     // failed attempts in the streak
	lastErr   string
	lastErrAt time.Time
}

// Begin marks the start of an attempt that Failed or Succeeded ends. Only a component that
// makes one attempt at a time (a sink's writes) calls it.
func (h *Health) Begin() { h.begun.Store(time.Now().UnixNano()) }

// End ends the attempt in progress without a verdict (it was cut short by a shutdown).
func (h *Health) End() { h.begun.Store(0) }

// Failed records a failed attempt: it starts a streak, or lengthens the one running.
func (h *Health) Failed(err error) {
	h.begun.Store(0)
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failures == 0 {
		h.since = now
	}
	h.failures++
	h.lastErr, h.lastErrAt = err.Error(), now
	h.failing.Store(true)
}

// Succeeded records a successful attempt, ending the streak. The last error is kept, for the
// record.
func (h *Health) Succeeded() {
	h.begun.Store(0)
	if !h.failing.Load() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures, h.since = 0, time.Time{}
	h.failing.Store(false)
}

// HealthState is a component's health at one instant, as /status.json serves it.
type HealthState struct {
	// Healthy is false when the component has failed without a break for longer than
	// unhealthy_after, or its attempt in progress began longer ago than that.
	Healthy bool `json:"healthy"`
	// FailingSince is when the current streak of failures began (zero when none), Failures
	// how many attempts failed in it.
	FailingSince time.Time `json:"failing_since,omitzero"`
	Failures     int64     `json:"failures,omitempty"`
	// BusySince is when the attempt in progress began, when it is older than unhealthy_after.
	BusySince time.Time `json:"busy_since,omitzero"`
	// LastError and LastErrorTime are the last failure's text and time, kept after recovery.
	LastError     string    `json:"last_error,omitempty"`
	LastErrorTime time.Time `json:"last_error_time,omitzero"`
}

// State is h at now, judged against unhealthyAfter.
func (h *Health) State(now time.Time, unhealthyAfter time.Duration) HealthState {
	h.mu.Lock()
	st := HealthState{FailingSince: h.since, Failures: h.failures, LastError: h.lastErr, LastErrorTime: h.lastErrAt}
	h.mu.Unlock()
	if b := h.begun.Load(); b != 0 && now.Sub(time.Unix(0, b)) > unhealthyAfter {
		st.BusySince = time.Unix(0, b)
	}
	st.Healthy = st.BusySince.IsZero() && (st.Failures == 0 || now.Sub(st.FailingSince) <= unhealthyAfter)
	return st
}

// Failing reports whether the component is in a streak of failures or stuck in an attempt.
func (s HealthState) Failing() bool { return s.Failures > 0 || !s.BusySince.IsZero() }

// Describe says what is wrong at now in one line ("failing for 45s (12 failed attempts); last error
// at 15:04:05: ..."), or "" when nothing is.
func (s HealthState) Describe(now time.Time) string {
	var out string
	if !s.BusySince.IsZero() {
		out = fmt.Sprintf("an attempt has been in progress for %s", now.Sub(s.BusySince).Round(time.Second))
	}
	if s.Failures > 0 {
		if out != "" {
			out += "; "
		}
		attempts := "attempts"
		if s.Failures == 1 {
			attempts = "attempt"
		}
		out += fmt.Sprintf("failing for %s (%d failed %s); last error at %s: %s",
			now.Sub(s.FailingSince).Round(100*time.Millisecond), s.Failures, attempts, s.LastErrorTime.Format(time.TimeOnly), s.LastError)
	}
	return out
}

// Health is the component's health.
func (c *Component) Health() *Health { return &c.health }

// UnhealthyComponent is a component that is not healthy, with its state.
type UnhealthyComponent struct {
	Kind  Kind
	Name  string
	Type  string
	State HealthState
}

func (u UnhealthyComponent) String() string {
	return fmt.Sprintf("%s %s (%s): %s", u.Kind, u.Name, u.Type, u.State.Describe(time.Now()))
}

// SetUnhealthyAfter sets how long a component may fail without a break before it counts as
// unhealthy; d <= 0 restores DefaultUnhealthyAfter.
func (r *Registry) SetUnhealthyAfter(d time.Duration) {
	if d <= 0 {
		d = DefaultUnhealthyAfter
	}
	r.unhealthyAfter.Store(int64(d))
}

// UnhealthyAfter is the registry's threshold (SetUnhealthyAfter).
func (r *Registry) UnhealthyAfter() time.Duration {
	if d := r.unhealthyAfter.Load(); d > 0 {
		return time.Duration(d)
	}
	return DefaultUnhealthyAfter
}

// Unhealthy lists the components that are not healthy at now, in Components' order.
func (r *Registry) Unhealthy(now time.Time) []UnhealthyComponent {
	after := r.UnhealthyAfter()
	var out []UnhealthyComponent
	for _, c := range r.Components() {
		if st := c.health.State(now, after); !st.Healthy {
			out = append(out, UnhealthyComponent{Kind: c.Kind, Name: c.Name, Type: c.Type, State: st})
		}
	}
	return out
}

// ConfigLoaded records the outcome of loading the configuration (at start, and at each reload
// attempt: read, decode and apply), for the flumego_config_last_reload_success and
// flumego_config_last_reload_timestamp_seconds gauges.
func (r *Registry) ConfigLoaded(ok bool, at time.Time) {
	v := int64(0)
	if ok {
		v = 1
	}
	r.reloadOK.Store(v)
	r.reloadAt.Store(at.UnixMilli())
}

// lastConfigLoad returns what ConfigLoaded recorded; at is 0 when it was never called.
func (r *Registry) lastConfigLoad() (ok bool, atMillis int64) {
	return r.reloadOK.Load() == 1, r.reloadAt.Load()
}
