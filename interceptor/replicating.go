package interceptor

import (
	"errors"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
)

// ReplicatingConfig configures the replicating selector, Flume's default: every event goes to
// every channel of the source. A put into an optional channel may fail without failing the
// batch (the failure is counted as ChannelWriteFail).
type ReplicatingConfig struct {
	Optional []string `hcl:"optional,optional"`

	ranges map[string]hcl.Range
}

func defaultReplicating() *ReplicatingConfig { return &ReplicatingConfig{} }

// Validate reports every problem of the configuration.
func (c *ReplicatingConfig) Validate() error {
	var errs []error
	for _, n := range c.Optional {
		if n == "" {
			errs = append(errs, schema.Errorf("optional", "channel names must not be empty"))
		}
	}
	return errors.Join(errs...)
}

// ReferencedChannels returns the channels the selector names, with their positions.
func (c *ReplicatingConfig) ReferencedChannels() map[string]hcl.Range {
	return refsOf(c.ranges, c.Optional)
}

// NewReplicatingFactory returns the factory of the "replicating" selector.
func NewReplicatingFactory() SelectorFactory {
	return selectorFactory[ReplicatingConfig]{
		Typed:        schema.Typed[ReplicatingConfig, SelectorSettings, Selector]{Name: "replicating", Defaults: defaultReplicating, New: NewReplicating},
		channelAttrs: []string{"optional"},
		setRanges:    func(c *ReplicatingConfig, r map[string]hcl.Range) { c.ranges = r },
	}
}

// NewReplicating returns a replicating selector over set.Channels.
func NewReplicating(cfg *ReplicatingConfig, set SelectorSettings) (Selector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, createErr("selector", "replicating", err)
	}
	idx := newChannelIndex(set.Channels)
	optional, err := idx.resolve("optional", cfg.Optional)
	if err != nil {
		return nil, createErr("selector", "replicating", err)
	}
	var all []int
	for _, i := range idx.byName {
		all = append(all, i)
	}
	slices.Sort(all)
	return &replicating{required: without(all, optional), optional: optional}, nil
}

type replicating struct {
	required, optional []int
}

// Select returns the same two slices for every event.
func (r *replicating) Select(*channel.Event) (required, optional []int) {
	return r.required, r.optional
}

// Static returns what Select returns for any event, so the channel processor puts a whole batch
// into each channel without asking per event.
func (r *replicating) Static() (required, optional []int) {
	return r.required, r.optional
}
