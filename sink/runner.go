package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	return &Runner{
		cfg:  cfg,
		log:  discardIfNil(cfg.Logger),
		m:    m,
		idle: backoff.New(cfg.MinBackoff, cfg.MaxBackoff),
		fail: backoff.New(cfg.MinBackoff, cfg.MaxBackoff),
	}
}

// outcome is what one take → write → commit round came to.
type outcome int

const (
	delivered outcome = iota
	empty
	takeFailed
	writeFailed
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
			if r.streak == takeFailed {
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
		return 0, writeFailed, err
	}
	// The destination has the events: commit even if ctx ended meanwhile, or they would be
	// delivered twice.
	if err := tx.Commit(context.WithoutCancel(ctx)); err != nil {
		return 0, writeFailed, fmt.Errorf("commit take (the events were delivered and will be delivered again): %w", err)
	}
	return len(events), delivered, nil
}

// failed logs the first failure of a streak; a failure caused by ctx ending is not one.
func (r *Runner) failed(ctx context.Context, out outcome, err error) {
	if ctx.Err() != nil {
		return
	}
	r.failures++
	if r.failures > 1 {
		return
	}
	r.failingSince, r.streak = time.Now(), out
	if out == takeFailed {
		r.log.Warn("take from channel failed; backing off and retrying", "error", err)
	} else {
		r.log.Warn("write failed; events rolled back into the channel, retrying with back-off", "error", err)
	}
}

// recovered ends a failure streak.
func (r *Runner) recovered() {
	r.fail.Reset()
	if r.failures == 0 {
		return
	}
	r.log.Info("delivering again", "failed_attempts", r.failures,
		"after", time.Since(r.failingSince).Round(time.Millisecond))
	r.failures, r.streak = 0, delivered
}
