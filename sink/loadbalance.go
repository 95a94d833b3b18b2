package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
)

// Selector is how the load_balance processor orders its sinks for each batch.
type Selector string

// The selectors (Flume's processor.selector).
const (
	// RoundRobin starts each batch at the next sink in turn.
	RoundRobin Selector = "round_robin"
	// Random tries the sinks in a random order for each batch.
	Random Selector = "random"
)

// LoadBalanceConfig is the load_balance processor's config (Flume's LoadBalancingSinkProcessor):
//
//	processor "load_balance" {
//	  selector    = "round_robin"
//	  backoff     = true
//	  max_timeout = "30s"
//	}
type LoadBalanceConfig struct {
	Selector Selector `hcl:"selector,optional"`
	// Backoff leaves a failed sink out for a time that starts at one second and doubles with
	// each failure in a row, up to MaxTimeout. Without it a failed sink stays in the rotation.
	Backoff bool `hcl:"backoff,optional"`
	// MaxTimeout caps the back-off (Flume's selector.maxTimeOut, 30000 ms).
	MaxTimeout time.Duration `hcl:"max_timeout,optional"`
}

func loadBalanceDefaults() *LoadBalanceConfig {
	return &LoadBalanceConfig{Selector: RoundRobin, MaxTimeout: 30 * time.Second}
}

// Validate reports every problem of the config.
func (c *LoadBalanceConfig) Validate() error {
	var errs []error
	switch c.Selector {
	case RoundRobin, Random:
	default:
		errs = append(errs, schema.Errorf("selector", "unknown selector %q: want %q or %q", c.Selector, RoundRobin, Random))
	}
	if c.MaxTimeout <= 0 {
		errs = append(errs, schema.Errorf("max_timeout", "must be positive, got %s", c.MaxTimeout))
	}
	return errors.Join(errs...)
}

// NewLoadBalanceFactory returns the factory of the "load_balance" sink processor.
func NewLoadBalanceFactory() ProcessorFactory {
	return NewProcessorFactory("load_balance", loadBalanceDefaults, newLoadBalance)
}

// loadBalance spreads batches over its members: each Write orders the members that are not
// backed off by the selector and tries them in that order until one succeeds, so a failing
// member costs a retry on the next one, not an error to the runner. Like Flume's, round robin
// rotates over the members available at the time, so a backed-off member's share goes to the
// member after it.
//
// A member that refuses events for good (a PermanentError) has not failed: it is not backed
// off and the batch goes to no other member; the runner sets the refused events aside by that
// member's on_permanent_error and dead_letter_channel, counted on that member's metrics.
type loadBalance struct {
	members    []*groupMember
	batchSize  int
	selector   Selector
	backoff    bool
	maxTimeout time.Duration
	log        *slog.Logger

	next  int            // round robin position
	order []*groupMember // reused for each Write
}

func newLoadBalance(cfg *LoadBalanceConfig, set ProcessorSettings, members []Member) (Sink, error) {
	gm, err := newGroupMembers("load_balance", set.Name, members)
	if err != nil {
		return nil, err
	}
	return &loadBalance{
		members:    gm,
		batchSize:  set.BatchSize,
		selector:   cfg.Selector,
		backoff:    cfg.Backoff,
		maxTimeout: cfg.MaxTimeout,
		log:        discardIfNil(set.Logger),
		order:      make([]*groupMember, 0, len(gm)),
	}, nil
}

func (l *loadBalance) Write(ctx context.Context, events []channel.Event) error {
	now := time.Now()
	order := l.order[:0]
	for _, m := range l.members {
		if !l.backoff || m.eligible(now) {
			order = append(order, m)
		}
	}
	if len(order) == 0 {
		return errors.New("every sink is backed off after failing")
	}
	switch l.selector {
	case Random:
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	default:
		start := l.next % len(order)
		l.next++
		slicesRotate(order, start)
	}
	var errs []error
	for _, m := range order {
		err := m.Write(ctx, events, l.batchSize)
		if err == nil {
			m.succeeded(time.Now(), l.log)
			return nil
		}
		if _, ok := permanentParts(err); ok {
			return err // the events' fault, not the member's: see loadBalance's doc
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			return errors.Join(errs...)
		}
		penalty, first := m.failed(time.Now(), l.maxTimeout)
		switch {
		case first && l.backoff:
			l.log.Warn("sink failed; backing it off and trying the next sink", "sink", m.Name, "err", err, "backoff", penalty)
		case first:
			l.log.Warn("sink failed; trying the next sink", "sink", m.Name, "err", err)
		}
	}
	return fmt.Errorf("every sink failed: %w", errors.Join(errs...))
}

// slicesRotate rotates s left by k in place.
func slicesRotate[T any](s []T, k int) {
	if k == 0 {
		return
	}
	reverse := func(s []T) {
		for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
			s[i], s[j] = s[j], s[i]
		}
	}
	reverse(s[:k])
	reverse(s[k:])
	reverse(s)
}

func (l *loadBalance) Close(ctx context.Context) error { return closeMembers(ctx, l.members) }
