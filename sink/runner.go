package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/metrics"
)

// RunnerConfig is what a runner needs: the channel it takes from and the sink (a lone sink
// wrapped by NewDefaultProcessor, or a failover or load_balance processor) it writes to.
type RunnerConfig struct {
	Name      string // the lone sink's or the group's name, for Drain's errors
	Channel   channel.Channel
	Sink      Sink
	BatchSize int
	// Metrics is where BatchEmptyCount and ChannelReadFail are counted: the lone sink's
	// counters, or the group's first member's. Nil counts nowhere.
	Metrics *metrics.Sink
	Logger  *slog.Logger
	// MinBackoff and MaxBackoff bound the sleeps after an empty take or a failure; zero means
	// 10ms and 5s (Flume's maximum back-off sleep).
	MinBackoff, MaxBackoff time.Duration
}

// Runner owns every take transaction of one sink or sink group (STYLE 6): it takes up to
// BatchSize events, writes them, and commits the take only when the write returned nil, or rolls
// it back (the events come again first, in order) and backs off. One goroutine runs it.
//
// A write that fails with a PermanentError (see its doc) is not retried: the events the sink
// refused for good are set aside by the on_permanent_error of the member that refused them
// (Member.SetAside) and the take commits, so the events it delivered are not sent again and
// none waits behind a poison pill. Drop counts them in the member's EventDroppedCount.
// DeadLetter puts them, with the DeadLetter* headers, into its dead-letter channel in one put
// transaction before the take commits, and counts them in EventDeadLetterCount once that
// committed; a dead-letter channel that refuses them (full) is retried with the failure
// back-off, the take held open, each refusal counted in DeadLetterPutFail and reported to the
// member's health, until it takes them or ctx ends (then the take rolls back: the batch comes
// again, at least once). Each distinct error is logged at most once a minute per sink, with the
// number of events it covered, never once per event.
//
// An empty channel makes it sleep, with a back-off doubling up to MaxBackoff, until the channel
// signals new events through Ready, so an idle runner costs nothing and wakes at once. A failing
// write or take makes it back off the same way without listening to Ready; it logs the first
// failure of a streak and the recovery, not every attempt.
type Runner struct {
	cfg  RunnerConfig
	log  *slog.Logger
	m    *metrics.Sink
	idle *backoff.Backoff // after an empty take
	fail *backoff.Backoff // after a failed take, write or commit

	failures     int       // failed attempts in the current streak
	failingSince time.Time // when the streak began
	streak       outcome   // what failed first in the streak: takeFailed or writeFailed

	refusals refusalLog
}

// NewRunner returns a runner; Run starts it.
func NewRunner(cfg RunnerConfig) *Runner {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 10 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	cfg.BatchSize = max(cfg.BatchSize, 1)
	m := cfg.Metrics
	if m == nil {
		m = metrics.NewRegistry("").Sink(cfg.Name, "")
	}
	log := discardIfNil(cfg.Logger)
	return &Runner{
		cfg:      cfg,
		log:      log,
		m:        m,
		idle:     backoff.New(cfg.MinBackoff, cfg.MaxBackoff),
		fail:     backoff.New(cfg.MinBackoff, cfg.MaxBackoff),
		refusals: refusalLog{log: log, seen: map[string]*refusalEntry{}},
	}
}

// outcome is what one take → write → commit round came to.
type outcome int

const (
	delivered outcome = iota
	empty
	takeFailed
	writeFailed
	commitFailed
)

// Run takes, writes and commits until ctx is cancelled, then returns nil. A write in progress
// receives ctx; if it returns an error, or ctx ends before it was acknowledged, its take is
// rolled back, so nothing unacknowledged is ever committed.
func (r *Runner) Run(ctx context.Context) error {
	var ready <-chan struct{}
	for ctx.Err() == nil {
		_, out, err := r.round(ctx, &ready)
		switch out {
		case delivered:
			r.recovered()
			r.idle.Reset()
		case empty:
			if r.streak == takeFailed || r.streak == commitFailed {
				r.recovered() // the channel answers again
			}
			r.m.BatchEmptyCount.Inc()
			r.idle.Wait(ctx, ready)
			ready = nil
		default:
			r.failed(ctx, out, err)
			r.idle.Reset()
			r.fail.Wait(ctx, nil)
		}
	}
	return nil
}

// Drain is called after Run returned and the sources stopped: it keeps taking, writing and
// committing until the channel is empty, then returns the number of events it delivered and
// nil. A failing write is rolled back and retried with back-off until ctx is done; Drain then
// returns ctx's error joined with the last failure, the undelivered events still in the channel.
// ctx should carry the agent's stop deadline.
func (r *Runner) Drain(ctx context.Context) (int, error) {
	total := 0
	var last error
	for {
		if err := ctx.Err(); err != nil {
			return total, r.drainErr(err, last)
		}
		n, out, err := r.round(ctx, nil)
		switch out {
		case delivered:
			total += n
			r.recovered()
		case empty:
			return total, nil
		default:
			last = err
			r.failed(ctx, out, err)
			if err := r.fail.Wait(ctx, nil); err != nil {
				return total, r.drainErr(err, last)
			}
		}
	}
}

func (r *Runner) drainErr(ctxErr, last error) error {
	if last == nil {
		return fmt.Errorf("drain %s: %w", r.cfg.Name, ctxErr)
	}
	return fmt.Errorf("drain %s: %w", r.cfg.Name, errors.Join(ctxErr, last))
}

// round makes one take → write → commit. When ready is not nil and the first take finds the
// channel empty, it registers with the channel's Ready signal and takes once more, so events
// committed between the take and the registration are not missed; the signal is returned
// through ready for the idle wait. Registering only when idle keeps the busy path free of it.
func (r *Runner) round(ctx context.Context, ready *<-chan struct{}) (int, outcome, error) {
	tx := r.cfg.Channel.BeginTake()
	defer tx.Rollback() // a no-op after Commit
	events, err := tx.Take(r.cfg.BatchSize)
	if err == nil && len(events) == 0 && ready != nil {
		*ready = r.cfg.Channel.Ready()
		events, err = tx.Take(r.cfg.BatchSize)
	}
	if err != nil {
		r.m.ChannelReadFail.Inc()
		return 0, takeFailed, fmt.Errorf("take: %w", err)
	}
	if len(events) == 0 {
		return 0, empty, nil
	}
	if err := r.cfg.Sink.Write(ctx, events); err != nil {
		parts, ok := permanentParts(err)
		if !ok {
			return 0, writeFailed, err
		}
		if err := r.setAside(ctx, events, err, parts); err != nil {
			return 0, writeFailed, err
		}
	}
	// The destination has the events: commit even if ctx ended meanwhile, or they would be
	// delivered twice.
	if err := tx.Commit(context.WithoutCancel(ctx)); err != nil {
		return 0, commitFailed, fmt.Errorf("commit take (the events were delivered and will be delivered again): %w", err)
	}
	return len(events), delivered, nil
}

// setAside applies the refusing member's on_permanent_error to the events a write refused for
// good. It returns an error only when ctx ended before a dead-letter put committed.
func (r *Runner) setAside(ctx context.Context, events []channel.Event, err error, parts []*PermanentError) error {
	m := Member{Name: r.cfg.Name, Metrics: r.m} // a sink not wrapped in a Member drops
	var me *memberError
	if errors.As(err, &me) {
		m = me.m
	}
	by, k := refusals(parts, len(events))
	if k == 0 {
		return nil
	}
	r.refusals.note(m, parts, by)
	if m.SetAside.Policy != DeadLetter || m.SetAside.Channel == nil {
		m.Metrics.EventDroppedCount.Add(int64(k))
		return nil
	}
	return r.deadLetter(ctx, m, events, parts, by, k)
}

// deadLetter puts the refused events, with the dead-letter headers, into m's dead-letter
// channel in one transaction, retrying a refusal with back-off until it commits or ctx ends.
func (r *Runner) deadLetter(ctx context.Context, m Member, events []channel.Event, parts []*PermanentError, by []int, k int) error {
	out := make([]channel.Event, 0, k)
	at := time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	texts := make([]string, len(parts))
	for i, p := range parts {
		texts[i] = p.Err.Error()
	}
	for i, pi := range by {
		if pi < 0 {
			continue
		}
		// The headers map may be shared with the same event in another channel: copy it.
		h := make(map[string]string, len(events[i].Headers)+3)
		maps.Copy(h, events[i].Headers)
		h[HeaderDeadLetterSink], h[HeaderDeadLetterError], h[HeaderDeadLetterTime] = m.Name, texts[pi], at
		out = append(out, channel.Event{Headers: h, Body: events[i].Body})
	}
	ch := m.SetAside
	var bo *backoff.Backoff
	for refused := 0; ; refused++ {
		err := channel.PutBatch(ctx, ch.Channel, out)
		if err == nil {
			m.Metrics.EventDeadLetterCount.Add(int64(k))
			if refused > 0 {
				m.Metrics.Health().Succeeded()
				r.log.Info("dead-letter channel takes events again", "sink", m.Name, "dead_letter_channel", ch.ChannelName, "refusals", refused)
			}
			return nil
		}
		err = fmt.Errorf("put %d events into dead-letter channel %q: %w", k, ch.ChannelName, err)
		if ctx.Err() != nil {
			return err
		}
		m.Metrics.DeadLetterPutFail.Inc()
		m.Metrics.Health().Failed(err)
		if refused == 0 {
			r.log.Warn("dead-letter channel refuses events; holding the batch and retrying with back-off", "sink", m.Name, "err", err)
			bo = backoff.New(r.cfg.MinBackoff, r.cfg.MaxBackoff)
		}
		if werr := bo.Wait(ctx, nil); werr != nil {
			return errors.Join(werr, err)
		}
	}
}

// refusalEvery is how often one distinct permanent error of a sink is logged at most.
const refusalEvery = time.Minute

// refusalKeys bounds the distinct errors a runner remembers for rate limiting.
const refusalKeys = 128

// refusalLog logs the events a sink refused for good: each distinct error (per sink) at most
// once per refusalEvery, with how many events it covered, and how many more since it was last
// logged.
type refusalLog struct {
	log  *slog.Logger
	seen map[string]*refusalEntry // key: sink name and error text
}

type refusalEntry struct {
	logged     time.Time
	suppressed int // events refused with this error since it was logged
}

func (l *refusalLog) note(m Member, parts []*PermanentError, by []int) {
	now := time.Now()
	for pi, p := range parts {
		n := 0
		for _, b := range by {
			if b == pi {
				n++
			}
		}
		if n == 0 {
			continue // every event it named was named by an earlier part
		}
		text := p.Err.Error()
		key := m.Name + "\x00" + text
		e := l.seen[key]
		if e != nil && now.Sub(e.logged) < refusalEvery {
			e.suppressed += n
			continue
		}
		if e == nil {
			if len(l.seen) >= refusalKeys {
				l.forget(now)
			}
			e = &refusalEntry{}
			l.seen[key] = e
		}
		policy := m.SetAside.Policy
		if policy == "" || m.SetAside.Channel == nil {
			policy = Drop
		}
		args := []any{"sink", m.Name, "events", n, "on_permanent_error", string(policy), "err", text}
		if policy == DeadLetter {
			args = append(args, "dead_letter_channel", m.SetAside.ChannelName)
		}
		if e.suppressed > 0 {
			args = append(args, "more_events_since_last_logged", e.suppressed)
		}
		l.log.Warn("events refused for good; set aside, the rest of the batch delivered", args...)
		e.logged, e.suppressed = now, 0
	}
}

// forget drops the entries not logged within refusalEvery, or all of them if none is that old.
func (l *refusalLog) forget(now time.Time) {
	for k, e := range l.seen {
		if now.Sub(e.logged) >= refusalEvery {
			delete(l.seen, k)
		}
	}
	if len(l.seen) >= refusalKeys {
		clear(l.seen)
	}
}

// failed logs the first failure of a streak; a failure caused by ctx ending is not one. Take
// and commit failures are reported to the health of the runner's metrics; a write's are
// reported by Member.Write, to the member that failed.
func (r *Runner) failed(ctx context.Context, out outcome, err error) {
	if ctx.Err() != nil {
		return
	}
	if out != writeFailed {
		r.m.Health().Failed(err)
	}
	r.failures++
	if r.failures > 1 {
		return
	}
	r.failingSince, r.streak = time.Now(), out
	switch out {
	case takeFailed:
		r.log.Warn("take from channel failed; backing off and retrying", "err", err)
	case commitFailed:
		r.log.Warn("commit of a delivered batch failed; retrying with back-off", "err", err)
	default:
		r.log.Warn("write failed; events rolled back into the channel, retrying with back-off", "err", err)
	}
}

// recovered ends a failure streak.
func (r *Runner) recovered() {
	r.fail.Reset()
	if r.failures == 0 {
		return
	}
	if r.streak != writeFailed {
		r.m.Health().Succeeded()
	}
	r.log.Info("delivering again", "failed_attempts", r.failures,
		"after", time.Since(r.failingSince).Round(time.Millisecond))
	r.failures, r.streak = 0, delivered
}
