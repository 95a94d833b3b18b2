package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/backoff"
)

// Write delivers events through the member's sink and counts them on the member's metrics, the
// one place every processor and the runner account for a write:
//
//   - EventDrainAttemptCount grows by len(events) before the write;
//   - on success EventDrainSuccessCount grows by len(events), and BatchCompleteCount by one when
//     the write carried batchSize events (a full take), BatchUnderflowCount by one otherwise;
//   - on failure EventWriteFail grows by len(events). Flume increments EventWriteFail once per
//     failed write; counting events instead keeps it comparable with the drain counters
//     (attempts = successes + write failures);
//   - on a PermanentError the events the sink refused count as write failures and the others
//     as successes (the batch counters grow as on success, unless every event was refused).
//     The runner then counts the refused ones again, as dropped or dead-lettered.
//
// The member's health follows its writes: each write begins an attempt (so a write that hangs
// shows), a failed write or one whose every event was refused lengthens the failure streak, a
// write that delivered anything ends it, and a write cut short by ctx counts as neither.
//
// The error returned names the member ("sink k1: ..."), so sinks wrap theirs with the operation
// only, and carries the member to the runner. m.Metrics must not be nil.
func (m Member) Write(ctx context.Context, events []channel.Event, batchSize int) error {
	n := int64(len(events))
	m.Metrics.EventDrainAttemptCount.Add(n)
	h := m.Metrics.Health()
	h.Begin()
	err := m.Sink.Write(ctx, events)
	refused := n
	if err != nil {
		if parts, ok := permanentParts(err); ok {
			_, k := refusals(parts, len(events))
			refused = int64(k)
		}
		m.Metrics.EventWriteFail.Add(refused)
	} else {
		refused = 0
	}
	delivered := n - refused
	m.Metrics.EventDrainSuccessCount.Add(delivered)
	switch {
	case err == nil || delivered > 0:
		h.Succeeded()
		if len(events) >= batchSize {
			m.Metrics.BatchCompleteCount.Inc()
		} else {
			m.Metrics.BatchUnderflowCount.Inc()
		}
	case ctx.Err() != nil:
		h.End() // our own shutdown, not the sink's failure
	default:
		h.Failed(err)
	}
	if err != nil {
		return &memberError{m: m, err: err}
	}
	return nil
}

// NewDefaultProcessor returns the sink a runner drives for a lone sink (Flume's default sink
// processor): every Write goes to m, counted by Member.Write; Close closes m's sink.
func NewDefaultProcessor(m Member, batchSize int) Sink {
	return &defaultProcessor{m: m, batchSize: batchSize}
}

type defaultProcessor struct {
	m         Member
	batchSize int
}

func (p *defaultProcessor) Write(ctx context.Context, events []channel.Event) error {
	return p.m.Write(ctx, events, p.batchSize)
}

func (p *defaultProcessor) Close(ctx context.Context) error { return p.m.Sink.Close(ctx) }

// firstPenalty is the exclusion after a member's first failure in a row; it doubles with each
// further failure up to the processor's cap (Flume's FAILURE_PENALTY and maxpenalty).
const firstPenalty = time.Second

// groupMember is a member of a processor with its failure streak: how many writes in a row
// failed, until when it is left out, and when the streak began. The processors log when a
// streak starts and when it ends, never per batch.
type groupMember struct {
	Member
	failures int
	until    time.Time
	since    time.Time
	penalty  *backoff.Backoff // nil until the first failure
}

// eligible reports whether the member may be tried at now.
func (g *groupMember) eligible(now time.Time) bool { return !now.Before(g.until) }

// failed records a failed write and returns how long the member is now left out (one second
// after the first failure, doubling with each further one, capped at maxPenalty; each jittered
// to between half of that and all of it, so a fleet does not retry a recovering sink in step)
// and whether this failure began a streak, the one the caller logs.
func (g *groupMember) failed(now time.Time, maxPenalty time.Duration) (time.Duration, bool) {
	g.failures++
	if g.penalty == nil {
		g.penalty = backoff.New(firstPenalty, maxPenalty)
	}
	d := g.penalty.Next()
	g.until = now.Add(d)
	if g.failures == 1 {
		g.since = now
	}
	return d, g.failures == 1
}

// succeeded ends a failure streak, logging that the member is back.
func (g *groupMember) succeeded(now time.Time, log *slog.Logger) {
	if g.failures == 0 {
		return
	}
	log.Info("sink is back", "sink", g.Name, "failed_writes", g.failures, "down_for", now.Sub(g.since).Round(time.Millisecond))
	g.failures, g.until, g.since = 0, time.Time{}, time.Time{}
	g.penalty.Reset()
}

// newGroupMembers checks the members a processor was given and wraps them.
func newGroupMembers(typ, group string, members []Member) ([]*groupMember, error) {
	if len(members) == 0 {
		return nil, fmt.Errorf("sink processor %s %s: no sinks", typ, group)
	}
	out := make([]*groupMember, len(members))
	seen := make(map[string]bool, len(members))
	for i, m := range members {
		switch {
		case m.Sink == nil || m.Metrics == nil:
			return nil, fmt.Errorf("sink processor %s %s: sink %q has no sink or no metrics", typ, group, m.Name)
		case seen[m.Name]:
			return nil, fmt.Errorf("sink processor %s %s: sink %q listed twice", typ, group, m.Name)
		}
		seen[m.Name] = true
		out[i] = &groupMember{Member: m}
	}
	return out, nil
}

// closeMembers closes every member, reporting each failure.
func closeMembers(ctx context.Context, members []*groupMember) error {
	var errs []error
	for _, m := range members {
		if err := m.Sink.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("sink %s: close: %w", m.Name, err))
		}
	}
	return errors.Join(errs...)
}

func discardIfNil(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
