// Package interceptor holds the contracts of interceptors and channel selectors, and the
// built-in ones. An interceptor is a pure function over a batch: it may change headers and
// bodies and drop events, but does no I/O (STYLE 7). A selector says, for one event, which of
// its source's channels must take it and which may.
package interceptor

import (
	"log/slog"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/flume"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/metrics"
)

// Interceptor changes or filters a batch of events.
type Interceptor interface {
	// Intercept returns the events to keep, possibly changed. It may reuse events' backing
	// array for the result and change events in place; it must not keep references after
	// returning.
	Intercept(events []channel.Event) []channel.Event
}

// Settings are what the agent injects into an interceptor.
type Settings struct {
	Source string // the source the interceptor belongs to
	Type   string
	Logger *slog.Logger
	// Metrics is the source's component in the agent's metrics. An interceptor counts what it
	// could not do (a body that does not parse, a fallback) there, through Counter, so the
	// counts show at /metrics and /status beside the source's own. Nil when nothing is wired.
	Metrics *metrics.Component
}

// Counter returns the source's counter of that name, created on first use and shared by every
// interceptor of the source that asks for it; without Metrics, a counter nobody exports. Name
// failure counters "...Fail": /status and `agent status` add those to the source's failures.
func (s Settings) Counter(name string) *metrics.Counter {
	if s.Metrics == nil {
		return new(metrics.Counter)
	}
	return s.Metrics.Counter(name)
}

// Factory creates interceptors of one type.
type Factory interface {
	Type() string
	Decode(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (any, hcl.Diagnostics)
	Create(cfg any, set Settings) (Interceptor, error)
}

// NewFactory returns the factory of an interceptor type from its config defaults and
// constructor, and the Flume types it converts from (flume.go), for `agent convert`.
func NewFactory[C any](typ string, defaults func() *C, create func(*C, Settings) (Interceptor, error), fl ...*flume.Mapping) Factory {
	return schema.Typed[C, Settings, Interceptor]{Name: typ, Defaults: defaults, New: create, Flume: fl}
}

// Selector picks the channels of one event. The returned slices hold indices into the source's
// channel list; they are shared and must not be modified.
type Selector interface {
	Select(e *channel.Event) (required, optional []int)
}

// SelectorSettings are what the agent injects into a selector: the source's channel list, in
// the order the indices refer to.
type SelectorSettings struct {
	Source   string
	Channels []string
	Logger   *slog.Logger
}

// SelectorFactory creates selectors of one type (replicating, multiplexing).
type SelectorFactory interface {
	Type() string
	Decode(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (any, hcl.Diagnostics)
	Create(cfg any, set SelectorSettings) (Selector, error)
}

// NewSelectorFactory returns the factory of a selector type.
func NewSelectorFactory[C any](typ string, defaults func() *C, create func(*C, SelectorSettings) (Selector, error)) SelectorFactory {
	return schema.Typed[C, SelectorSettings, Selector]{Name: typ, Defaults: defaults, New: create}
}

// ChannelRefs is implemented by selector configs that name channels, so the config stage can
// check each name against the source's channels with its position.
type ChannelRefs interface {
	ReferencedChannels() map[string]hcl.Range
}
