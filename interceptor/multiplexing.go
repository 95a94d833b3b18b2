package interceptor

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
)

// MultiplexingConfig configures the multiplexing selector, Flume's MultiplexingChannelSelector:
// an event goes to the channels its header's value maps to, or to default when the header is
// missing, blank or maps to nothing. Optional channels per value (Flume's
// selector.optional.<value>) may fail without failing the batch; a channel that is already
// required for that value is not also optional.
//
//	selector "multiplexing" {
//	  header   = "type"
//	  mapping  = { letter = ["durable"], number = ["c2"] }
//	  default  = ["durable"]
//	  optional = { letter = ["c3"] }
//	}
//
// Without default, an event that matches no mapping goes to no channel: the channel processor
// counts it (EventUnroutedCount) and drops it, and validation warns about it. With neither
// mapping nor default every event is dropped so, as Flume's selector does: a warning too.
type MultiplexingConfig struct {
	Header   string              `hcl:"header"`
	Mapping  map[string][]string `hcl:"mapping,optional"`
	Default  []string            `hcl:"default,optional"`
	Optional map[string][]string `hcl:"optional,optional"`

	ranges map[string]hcl.Range
}

func defaultMultiplexing() *MultiplexingConfig { return &MultiplexingConfig{} }

// Validate reports every problem of the configuration.
func (c *MultiplexingConfig) Validate() error {
	errs := []error{notEmpty("header", c.Header)}
	for _, v := range sortedKeys(c.Mapping) {
		if len(c.Mapping[v]) == 0 {
			errs = append(errs, schema.Errorf("mapping", "value %q maps to no channel", v))
		}
		errs = append(errs, noEmptyNames("mapping", c.Mapping[v]))
	}
	errs = append(errs, noEmptyNames("default", c.Default))
	for _, v := range sortedKeys(c.Optional) {
		errs = append(errs, noEmptyNames("optional", c.Optional[v]))
	}
	return errors.Join(errs...)
}

// Warnings reports what is legal but probably a mistake.
func (c *MultiplexingConfig) Warnings() []error {
	if len(c.Mapping) == 0 && len(c.Default) == 0 {
		return []error{schema.Errorf("mapping", "neither mapping nor default is set: every event is dropped (counted as EventUnroutedCount), as Flume's selector does")}
	}
	if len(c.Default) == 0 {
		return []error{schema.Errorf("default", "no default channels: events whose %q header matches no mapping will be dropped (counted as EventUnroutedCount)", c.Header)}
	}
	return nil
}

func noEmptyNames(attr string, names []string) error {
	if slices.Contains(names, "") {
		return schema.Errorf(attr, "channel names must not be empty")
	}
	return nil
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ReferencedChannels returns the channels the selector names, with their positions.
func (c *MultiplexingConfig) ReferencedChannels() map[string]hcl.Range {
	lists := [][]string{c.Default}
	for _, v := range c.Mapping {
		lists = append(lists, v)
	}
	for _, v := range c.Optional {
		lists = append(lists, v)
	}
	return refsOf(c.ranges, lists...)
}

// NewMultiplexingFactory returns the factory of the "multiplexing" selector.
func NewMultiplexingFactory() SelectorFactory {
	return selectorFactory[MultiplexingConfig]{
		Typed:        schema.Typed[MultiplexingConfig, SelectorSettings, Selector]{Name: "multiplexing", Defaults: defaultMultiplexing, New: NewMultiplexing},
		channelAttrs: []string{"mapping", "default", "optional"},
		setRanges:    func(c *MultiplexingConfig, r map[string]hcl.Range) { c.ranges = r },
	}
}

// NewMultiplexing returns a multiplexing selector over set.Channels.
func NewMultiplexing(cfg *MultiplexingConfig, set SelectorSettings) (Selector, error) {
	m, err := newMultiplexing(cfg, set)
	if err != nil {
		return nil, createErr("selector", "multiplexing", err)
	}
	return m, nil
}

func newMultiplexing(cfg *MultiplexingConfig, set SelectorSettings) (*multiplexing, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	idx := newChannelIndex(set.Channels)
	m := &multiplexing{header: cfg.Header, mapping: map[string][]int{}, optional: map[string][]int{}}
	var errs []error
	var err error
	if m.def, err = idx.resolve("default", cfg.Default); err != nil {
		errs = append(errs, err)
	}
	for _, v := range sortedKeys(cfg.Mapping) {
		if m.mapping[v], err = idx.resolve(fmt.Sprintf("mapping %q", v), cfg.Mapping[v]); err != nil {
			errs = append(errs, err)
		}
	}
	for _, v := range sortedKeys(cfg.Optional) {
		opt, err := idx.resolve(fmt.Sprintf("optional %q", v), cfg.Optional[v])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		req, ok := m.mapping[v]
		if !ok {
			req = m.def
		}
		if opt = without(opt, req); len(opt) > 0 {
			m.optional[v] = opt
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

type multiplexing struct {
	header   string
	mapping  map[string][]int
	def      []int
	optional map[string][]int
}

// Select returns the same slices for every event with the same header value, so a batch of one
// kind of event is put without grouping.
func (m *multiplexing) Select(e *channel.Event) (required, optional []int) {
	v, ok := e.Headers[m.header]
	if !ok {
		return m.def, nil
	}
	if len(m.optional) > 0 {
		optional = m.optional[v]
	}
	if strings.TrimSpace(v) == "" {
		return m.def, optional
	}
	if req, ok := m.mapping[v]; ok {
		return req, optional
	}
	return m.def, optional
}
