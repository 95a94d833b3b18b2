// Package seq is Flume's SequenceGeneratorSource (type "seq"): it generates events whose bodies
// are consecutive decimal numbers, for tests and benchmarks. Counting on the receiving side shows
// at a glance what was lost (a gap) or duplicated (a repeat).
//
// Event i's body is the decimal i, starting at start (0 by default, so a restarted test agent can
// continue where it stopped), left-padded with '0' to body_size bytes when body_size is set (a
// longer number is never truncated). Batches of batch_size go through the processor's Deliver,
// which waits while a channel is full, so nothing is skipped. After total events (0 means no
// end) Run logs it and returns nil; the agent keeps its sinks running. rate, in events per
// second, paces the generator for tests that need a steady trickle; 0 means as fast as the
// channels take them.
package seq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/source"
)

// maxBodySize bounds body_size, so a typo cannot make each event a gigabyte.
const maxBodySize = 64 << 20

// Config is the seq source's configuration.
type Config struct {
	// Total is how many events to generate (Flume's totalEvents); 0 means no end.
	Total int64 `hcl:"total,optional"`
	// Batch is how many events one put holds (batch_size).
	Batch int `hcl:"batch_size,optional"`
	// BodySize left-pads each body with '0' to this many bytes; 0 leaves the number as it is.
	BodySize int `hcl:"body_size,optional"`
	// Start is the first sequence number.
	Start int64 `hcl:"start,optional"`
	// Rate is the most events per second; 0 means no limit.
	Rate float64 `hcl:"rate,optional"`
}

// Defaults returns Flume's defaults: no end and batches of one event.
func Defaults() *Config { return &Config{Batch: 1} }

// BatchLimit is the most events one put holds, checked against the channels' transaction
// capacity by the config stage; a larger put is split into transactions that fit.
func (c *Config) BatchLimit() source.BatchLimit {
	return source.BatchLimit{Events: c.Batch, Attr: "batch_size"}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Total < 0 {
		errs = append(errs, schema.Errorf("total", "must be 0 (no end) or more, got %d", c.Total))
	}
	if c.Batch < 1 {
		errs = append(errs, schema.Errorf("batch_size", "must be at least 1, got %d", c.Batch))
	}
	if c.BodySize < 0 || c.BodySize > maxBodySize {
		errs = append(errs, schema.Errorf("body_size", "must be 0-%d bytes, got %d", maxBodySize, c.BodySize))
	}
	if c.Start < 0 {
		errs = append(errs, schema.Errorf("start", "must not be negative, got %d", c.Start))
	}
	if c.Start >= 0 && c.Total > 0 && c.Total > math.MaxInt64-c.Start {
		errs = append(errs, schema.Errorf("total", "start %d + total %d is beyond the largest sequence number", c.Start, c.Total))
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		errs = append(errs, schema.Errorf("rate", "must be 0 (no limit) or a positive number of events per second, got %v", c.Rate))
	}
	return errors.Join(errs...)
}

// NewFactory returns the factory of the seq source.
func NewFactory() source.Factory { return source.NewFactory("seq", Defaults, New, flumeSeq) }

// Source is a running seq source.
type Source struct {
	cfg   Config
	name  string
	log   *slog.Logger
	proc  source.Processor
	zeros []byte // body_size '0's, the padding
}

// New returns a seq source.
func New(cfg *Config, set source.Settings) (source.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("seq: %w", err)
	}
	if set.Processor == nil {
		return nil, errors.New("seq: no processor")
	}
	s := &Source{cfg: *cfg, name: set.Name, log: set.Logger, proc: set.Processor,
		zeros: bytes.Repeat([]byte{'0'}, cfg.BodySize)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Close does nothing: the source acquires what it needs in Run and releases it there.
func (s *Source) Close(context.Context) error { return nil }

// Run generates and delivers events until total were delivered or ctx ends; both return nil.
// An error means the processor failed for another reason than ctx.
func (s *Source) Run(ctx context.Context) error {
	next, end := s.cfg.Start, int64(math.MaxInt64)
	if s.cfg.Total > 0 {
		end = s.cfg.Start + s.cfg.Total
	}
	var pace *pacer
	if s.cfg.Rate > 0 {
		pace = &pacer{rate: s.cfg.Rate}
	}
	for next < end {
		if ctx.Err() != nil {
			return nil
		}
		n := int(min(int64(s.cfg.Batch), end-next))
		if pace != nil && pace.wait(ctx, n) != nil {
			return nil
		}
		if err := s.proc.Deliver(ctx, s.batch(next, n)); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("seq: deliver events %d-%d: %w", next, next+int64(n)-1, err)
		}
		next += int64(n)
	}
	s.log.Info("generated every event", "total", next-s.cfg.Start, "first", s.cfg.Start, "last", next-1)
	return nil
}

// batch builds the events first..first+n-1. The bodies share one slab and the events slice is
// new: the processor and the channel own both once delivered.
func (s *Source) batch(first int64, n int) []channel.Event {
	// The last number is the longest, so this bounds every body.
	width := max(s.cfg.BodySize, digits(first+int64(n)-1))
	slab := make([]byte, 0, n*width)
	events := make([]channel.Event, n)
	for i := range events {
		start := len(slab)
		v := first + int64(i)
		if s.cfg.BodySize > 0 {
			if pad := s.cfg.BodySize - digits(v); pad > 0 {
				slab = append(slab, s.zeros[:pad]...)
			}
		}
		slab = strconv.AppendInt(slab, v, 10)
		events[i].Body = slab[start:len(slab):len(slab)]
	}
	return events
}

// digits is the number of decimal digits of v ≥ 0.
func digits(v int64) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// maxStep bounds the pause after one batch, so an absurdly low rate cannot overflow a duration.
const maxStep = 24 * time.Hour

// pacer spaces batches so that on average no more than rate events go out per second. A
// generator held back by a full channel does not earn a burst to catch up with.
type pacer struct {
	rate float64
	next time.Time // when the next batch may go
}

func (p *pacer) wait(ctx context.Context, n int) error {
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	at := p.next
	step := min(float64(n)/p.rate*float64(time.Second), float64(maxStep))
	p.next = p.next.Add(time.Duration(step))
	d := at.Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
