package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/interceptor"
	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/metrics"
)

// The back-off of Deliver between attempts at channels that refused a batch.
const (
	deliverMinBackoff = 10 * time.Millisecond
	deliverMaxBackoff = time.Second
)

// ProcessorConfig is what a source's channel processor is built from.
type ProcessorConfig struct {
	// Channels are the source's channels, index-aligned with the selector's indices and
	// ChannelNames.
	Channels     []channel.Channel
	ChannelNames []string
	// Interceptors run in order, once per batch.
	Interceptors []interceptor.Interceptor
	// Selector picks each event's channels; nil puts every event into every channel, all
	// required.
	Selector interceptor.Selector
	// TxCapacities are the channels' transaction capacities, index-aligned with Channels; 0
	// (or a missing entry) means unknown. Deliver splits a channel's share of a batch into
	// puts of at most that many events.
	TxCapacities []int
	// Metrics and Logger may be nil (in tests): the counts and logs then go nowhere.
	Metrics *metrics.Source
	Logger  *slog.Logger
}

// NewProcessor returns the channel processor of a source (Flume's ChannelProcessor): it runs
// the interceptors over a batch, asks the selector where each event goes, and puts each
// channel's share in one transaction. It is safe for concurrent use (netcat, avro and http call
// it from one goroutine per connection).
//
// Counting, on the source's metrics, per call (never per retry): EventReceivedCount and
// AppendBatchReceivedCount when a batch arrives; EventAcceptedCount (the whole batch, including
// events an interceptor dropped, as Flume counts) and AppendBatchAcceptedCount when every
// required channel committed it; ChannelWriteFail for each put a channel refused, required or
// optional; and EventUnroutedCount, an addition to Flume's set, for events the selector sent to
// no channel (a multiplexing selector without default), which are dropped.
//
// A batch larger than a channel's transaction capacity is split by Deliver into transactions
// that fit, put one after the other; a retry resumes after the last one committed, so nothing
// is put twice. Deliver returns nil only once every part committed, so the sources that use it
// (which advance a position or acknowledge only then) keep their meaning. Process never splits:
// its callers answer a client for the whole batch, so the config stage refuses a source whose
// largest call exceeds a channel's transaction_capacity, and a put that fails anyway with
// channel.ErrTxFull or channel.ErrTooLarge is permanent (TooLarge). Deliver returns such
// failures, and channel.ErrClosed, at once instead of retrying them for ever.
//
// An event going to several channels is put into each as the same value: its headers map and
// body are then shared by the channels, which only read them.
func NewProcessor(cfg ProcessorConfig) Processor {
	p := &processor{
		channels:     cfg.Channels,
		names:        make([]string, len(cfg.Channels)),
		interceptors: cfg.Interceptors,
		selector:     cfg.Selector,
		m:            cfg.Metrics,
		log:          cfg.Logger,
		failing:      make([]atomic.Bool, len(cfg.Channels)),
		txCap:        make([]int, len(cfg.Channels)),
	}
	copy(p.txCap, cfg.TxCapacities)
	for i := range p.names {
		if i < len(cfg.ChannelNames) {
			p.names[i] = cfg.ChannelNames[i]
		} else {
			p.names[i] = "#" + strconv.Itoa(i)
		}
		p.all = append(p.all, i)
	}
	if p.m == nil {
		p.m = metrics.NewRegistry("").Source("", "")
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.static, _ = cfg.Selector.(staticSelector)
	p.unrouted = p.m.Component.Counter("EventUnroutedCount")
	p.plans.New = func() any { return new(plan) }
	return p
}

type processor struct {
	channels     []channel.Channel
	names        []string
	all          []int // every channel index, for a nil selector
	interceptors []interceptor.Interceptor
	selector     interceptor.Selector
	static       staticSelector // the selector, when every event goes to the same channels
	m            *metrics.Source
	unrouted     *metrics.Counter
	log          *slog.Logger
	// failing marks a channel in a streak of refusals, so a streak is logged once when it
	// starts and once when it ends, never per batch.
	failing []atomic.Bool
	txCap   []int     // per channel; 0: unknown, never split
	plans   sync.Pool // *plan
}

// staticSelector is implemented by selectors whose answer does not depend on the event (the
// replicating selector): the processor then routes a batch without asking per event.
type staticSelector interface {
	Static() (required, optional []int)
}

// plan is where one batch goes: one put per channel and kind (a channel can take some events
// of a batch as required and others as optional). Plans are pooled with their scratch space, so
// a batch costs no allocation in the common case.
type plan struct {
	puts []put
	// Per-channel scratch for a batch whose events go to different channels.
	req, opt [][]channel.Event
}

type put struct {
	ch       int
	events   []channel.Event
	optional bool
	done     bool
	sent     int // events already committed by the parts of a split put
}

// Process makes one attempt at each required channel, stopping at the first refusal (as Flume
// does), then puts into the optional ones.
func (p *processor) Process(ctx context.Context, events []channel.Event) error {
	pl, n := p.prepare(events)
	defer p.release(pl)
	for i := range pl.puts {
		if pl.puts[i].optional {
			continue
		}
		if err := p.put(ctx, &pl.puts[i], false); err != nil {
			return err
		}
	}
	p.finish(ctx, pl, n, false)
	return nil
}

// Deliver puts into every required channel, then retries the ones that refused, and only them,
// with capped exponential back-off until they commit, ctx is done, or a refusal is permanent.
func (p *processor) Deliver(ctx context.Context, events []channel.Event) error {
	pl, n := p.prepare(events)
	defer p.release(pl)
	var bo *backoff.Backoff
	for {
		refused := false
		for i := range pl.puts {
			pt := &pl.puts[i]
			if pt.optional || pt.done {
				continue
			}
			if err := p.put(ctx, pt, true); err != nil {
				if permanent(err) {
					return err
				}
				refused = true
			}
		}
		if !refused {
			break
		}
		if bo == nil {
			bo = backoff.New(deliverMinBackoff, deliverMaxBackoff)
		}
		if err := bo.Wait(ctx, nil); err != nil {
			return err
		}
	}
	p.finish(ctx, pl, n, true)
	return nil
}

// permanent reports whether a put's failure cannot go away by waiting.
func permanent(err error) bool {
	return TooLarge(err) || errors.Is(err, channel.ErrClosed) || errors.Is(err, channel.ErrTxDone)
}

// TooLarge reports whether a put failed because the batch can never fit a channel (more events
// than its transaction_capacity, more bytes than its byte_capacity): a source that answers its
// client says so permanently (HTTP 413), since sending the same batch again cannot succeed.
func TooLarge(err error) bool {
	return errors.Is(err, channel.ErrTxFull) || errors.Is(err, channel.ErrTooLarge)
}

// prepare counts the batch, runs the interceptors and routes what they kept.
func (p *processor) prepare(events []channel.Event) (*plan, int) {
	n := len(events)
	p.m.AppendBatchReceivedCount.Inc()
	p.m.EventReceivedCount.Add(int64(n))
	for _, ic := range p.interceptors {
		events = p.intercept(ic, events)
	}
	pl := p.plans.Get().(*plan)
	p.route(pl, events)
	return pl, n
}

// intercept runs one interceptor over the batch. An interceptor that panics (a bug in a custom
// one) does not take the agent down: the batch is run through it again event by event, and only
// the events it still panics on are dropped, counted in GenericProcessingFail and logged, so
// the rest of the batch and the source's other connections go on.
func (p *processor) intercept(ic interceptor.Interceptor, events []channel.Event) (out []channel.Event) {
	defer func() {
		if r := recover(); r != nil {
			out = p.interceptEach(ic, events, r)
		}
	}()
	return ic.Intercept(events)
}

// interceptEach runs ic over each event alone, dropping those it panics on.
func (p *processor) interceptEach(ic interceptor.Interceptor, events []channel.Event, first any) []channel.Event {
	kept := make([]channel.Event, 0, len(events))
	dropped := 0
	for i := range events {
		func() {
			defer func() {
				if r := recover(); r != nil {
					dropped++
				}
			}()
			kept = append(kept, ic.Intercept(events[i:i+1:i+1])...)
		}()
	}
	if dropped > 0 {
		p.m.GenericProcessingFail.Add(int64(dropped))
	}
	p.log.Error("an interceptor panicked; the events it panics on are dropped",
		"interceptor", fmt.Sprintf("%T", ic), "dropped", dropped, "of", len(events), "err", fmt.Sprint(first))
	return kept
}

// route fills pl.puts. When every event goes to the same channels (always with a nil or a
// replicating selector, and for a multiplexed batch of one kind), each channel gets the batch
// itself; otherwise the events are grouped per channel, in their order.
func (p *processor) route(pl *plan, events []channel.Event) {
	if len(events) == 0 {
		return
	}
	var req0, opt0 []int
	switch {
	case p.selector == nil:
		req0 = p.all
	case p.static != nil:
		req0, opt0 = p.static.Static()
	default:
		req0, opt0 = p.selector.Select(&events[0])
		for k := 1; k < len(events); k++ {
			req, opt := p.selector.Select(&events[k])
			if !sameInts(req, req0) || !sameInts(opt, opt0) {
				p.group(pl, events, k, req0, opt0, req, opt)
				return
			}
		}
	}
	if len(req0)+len(opt0) == 0 {
		p.unrouted.Add(int64(len(events)))
		return
	}
	for _, c := range req0 {
		pl.puts = append(pl.puts, put{ch: c, events: events})
	}
	for _, c := range opt0 {
		pl.puts = append(pl.puts, put{ch: c, events: events, optional: true})
	}
}

// group sorts a mixed batch into per-channel slices: events[:k] all go to req0/opt0, event k to
// reqK/optK (the selector has seen those already), the rest are asked.
func (p *processor) group(pl *plan, events []channel.Event, k int, req0, opt0, reqK, optK []int) {
	if len(pl.req) < len(p.channels) {
		pl.req = make([][]channel.Event, len(p.channels))
		pl.opt = make([][]channel.Event, len(p.channels))
	}
	unrouted := 0
	add := func(e *channel.Event, req, opt []int) {
		if len(req)+len(opt) == 0 {
			unrouted++
			return
		}
		for _, c := range req {
			pl.req[c] = append(pl.req[c], *e)
		}
		for _, c := range opt {
			pl.opt[c] = append(pl.opt[c], *e)
		}
	}
	for i := range k {
		add(&events[i], req0, opt0)
	}
	add(&events[k], reqK, optK)
	for i := k + 1; i < len(events); i++ {
		req, opt := p.selector.Select(&events[i])
		add(&events[i], req, opt)
	}
	if unrouted > 0 {
		p.unrouted.Add(int64(unrouted))
	}
	for c := range p.channels {
		if len(pl.req[c]) > 0 {
			pl.puts = append(pl.puts, put{ch: c, events: pl.req[c]})
		}
	}
	for c := range p.channels {
		if len(pl.opt[c]) > 0 {
			pl.puts = append(pl.puts, put{ch: c, events: pl.opt[c], optional: true})
		}
	}
}

// sameInts reports whether two selector answers are equal: usually the very same shared slice.
func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return slices.Equal(a, b)
}

// release returns a plan to the pool without references to the batch's events.
func (p *processor) release(pl *plan) {
	for i := range pl.req {
		clear(pl.req[i])
		pl.req[i] = pl.req[i][:0]
		clear(pl.opt[i])
		pl.opt[i] = pl.opt[i][:0]
	}
	clear(pl.puts)
	pl.puts = pl.puts[:0]
	p.plans.Put(pl)
}

// put makes one transaction into one channel, or, for Deliver (retrying), as many as its
// transaction capacity needs, resuming after those already committed. Failures are counted and
// logged once per streak, except when ctx ended them: that is shutdown, not the channel's fault.
// A required put's outcome feeds the source's health, so a source held up by a full channel for
// longer than unhealthy_after shows as degraded.
func (p *processor) put(ctx context.Context, pt *put, retrying bool) error {
	var err error
	if tc := p.txCap[pt.ch]; retrying && tc > 0 {
		for err == nil && pt.sent < len(pt.events) {
			k := min(tc, len(pt.events)-pt.sent)
			if err = channel.PutBatch(ctx, p.channels[pt.ch], pt.events[pt.sent:pt.sent+k]); err == nil {
				pt.sent += k
			}
		}
	} else {
		err = channel.PutBatch(ctx, p.channels[pt.ch], pt.events)
	}
	flag := &p.failing[pt.ch]
	if err == nil {
		pt.done = true
		if !pt.optional {
			p.m.Health().Succeeded()
		}
		if flag.Load() && flag.CompareAndSwap(true, false) {
			p.log.Info("channel accepts events again", "channel", p.names[pt.ch])
		}
		return nil
	}
	err = fmt.Errorf("put %d events into channel %q: %w", len(pt.events)-pt.sent, p.names[pt.ch], err)
	if ctx.Err() != nil {
		return err
	}
	p.m.ChannelWriteFail.Inc()
	if !pt.optional {
		p.m.Health().Failed(err) // a required channel refusing events holds the source up
	}
	if flag.CompareAndSwap(false, true) {
		switch {
		case pt.optional:
			p.log.Warn("optional channel refused events; they are not retried there", "channel", p.names[pt.ch], "err", err)
		case retrying && !permanent(err):
			p.log.Warn("channel refused events; retrying", "channel", p.names[pt.ch], "err", err)
		default:
			p.log.Warn("channel refused events", "channel", p.names[pt.ch], "err", err)
		}
	}
	return err
}

// finish puts into the optional channels, whose failures are counted but never returned, and
// counts the batch as accepted. split is Deliver's: optional puts are split as required ones.
func (p *processor) finish(ctx context.Context, pl *plan, n int, split bool) {
	for i := range pl.puts {
		if pl.puts[i].optional {
			_ = p.put(ctx, &pl.puts[i], split)
		}
	}
	p.m.EventAcceptedCount.Add(int64(n))
	p.m.AppendBatchAcceptedCount.Inc()
}
