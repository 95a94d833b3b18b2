package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
)

// FailoverConfig is the failover processor's config (Flume's FailoverSinkProcessor):
//
//	processor "failover" {
//	  priority    = { k2 = 10, k3 = 5 }
//	  max_penalty = "30s"
//	}
type FailoverConfig struct {
	// Priority ranks the group's sinks, higher first. Sinks not listed rank 0; equal ranks keep
	// the order of the group's sinks list (Flume keeps only one sink per priority value).
	Priority map[string]int `hcl:"priority,optional"`
	// MaxPenalty caps how long a failed sink is left out: one second after its first failure
	// in a row, doubling with each further one (Flume's maxpenalty, 30000 ms).
	MaxPenalty time.Duration `hcl:"max_penalty,optional"`
}

func failoverDefaults() *FailoverConfig { return &FailoverConfig{MaxPenalty: 30 * time.Second} }

// Validate reports every problem of the config.
func (c *FailoverConfig) Validate() error {
	var errs []error
	if c.MaxPenalty <= 0 {
		errs = append(errs, schema.Errorf("max_penalty", "must be positive, got %s", c.MaxPenalty))
	}
	return errors.Join(errs...)
}

// ReferencedSinks lists the sinks named in priority, for the config stage to check against
// the group's sinks. The ranges are not known here and are zero.
func (c *FailoverConfig) ReferencedSinks() map[string]hcl.Range {
	out := make(map[string]hcl.Range, len(c.Priority))
	for name := range c.Priority {
		out[name] = hcl.Range{}
	}
	return out
}

// NewFailoverFactory returns the factory of the "failover" sink processor.
func NewFailoverFactory() ProcessorFactory {
	return NewProcessorFactory("failover", failoverDefaults, newFailover)
}

// failover writes every batch to the highest-priority member that is not penalised. A member
// that fails is penalised (left out for a time that grows with its failures in a row) and the
// same batch goes to the next member within the same Write, so the runner sees an error only
// when every eligible member failed. A penalised member is tried again once its penalty is over
// and, when it succeeds, takes the traffic back from lower-priority members.
//
// A member that refuses events for good (a PermanentError) has not failed: it is not penalised
// and the batch does not go to the next member, which would refuse the same events or deliver
// the others twice. The error goes to the runner, which sets the refused events aside by that
// member's on_permanent_error and dead_letter_channel, counted on that member's metrics.
type failover struct {
	members    []*groupMember // highest priority first
	batchSize  int
	maxPenalty time.Duration
	log        *slog.Logger
}

func newFailover(cfg *FailoverConfig, set ProcessorSettings, members []Member) (Sink, error) {
	gm, err := newGroupMembers("failover", set.Name, members)
	if err != nil {
		return nil, err
	}
	var unknown []string
	for name := range cfg.Priority {
		if !slices.ContainsFunc(members, func(m Member) bool { return m.Name == name }) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("sink processor failover %s: priority names sinks not in the group: %s", set.Name, strings.Join(unknown, ", "))
	}
	slices.SortStableFunc(gm, func(a, b *groupMember) int { return cfg.Priority[b.Name] - cfg.Priority[a.Name] })
	return &failover{members: gm, batchSize: set.BatchSize, maxPenalty: cfg.MaxPenalty, log: discardIfNil(set.Logger)}, nil
}

func (f *failover) Write(ctx context.Context, events []channel.Event) error {
	now := time.Now()
	var errs []error
	var next time.Time // when the first penalised member becomes eligible
	for _, m := range f.members {
		if !m.eligible(now) {
			if next.IsZero() || m.until.Before(next) {
				next = m.until
			}
			continue
		}
		err := m.Write(ctx, events, f.batchSize)
		if err == nil {
			m.succeeded(time.Now(), f.log)
			return nil
		}
		if _, ok := permanentParts(err); ok {
			return err // the events' fault, not the member's: see failover's doc
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			// The write was cut short by our own shutdown, not by the member: no penalty.
			return errors.Join(errs...)
		}
		if penalty, first := m.failed(time.Now(), f.maxPenalty); first {
			f.log.Warn("sink failed; failing over to the next sink", "sink", m.Name, "err", err, "penalty", penalty)
		}
	}
	if len(errs) == 0 {
		return fmt.Errorf("every sink is penalised after failing; the first is tried again in %s",
			next.Sub(now).Round(time.Millisecond))
	}
	return fmt.Errorf("every sink failed: %w", errors.Join(errs...))
}

func (f *failover) Close(ctx context.Context) error { return closeMembers(ctx, f.members) }
