// Package source holds the source contract: a source reads events from the outside world and
// hands them, a batch at a time, to its channel processor (interceptors → selector → one put
// transaction per channel). Only when Process returns nil is the batch durable in every required
// channel; only then may a source advance its position, rename its spooled file or acknowledge
// its client (STYLE 5). Each source type lives in its own sub-package.
package source

import (
	"context"
	"log/slog"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/flume"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/metrics"
)

// Source is a running source.
type Source interface {
	// Run reads and delivers events until ctx is cancelled, then finishes or abandons its
	// in-flight put (never acknowledging what was not committed) and returns. A non-nil error
	// other than ctx's means the source failed; the agent logs it and keeps its other flows.
	Run(ctx context.Context) error
	// Close releases what the source acquired in its constructor (listeners, clients, position
	// journals). The agent calls it once Run has returned, or instead of Run when the agent fails
	// to start or a reload is abandoned, so a source that never ran leaks nothing. ctx bounds how
	// long it may take. Close is safe twice.
	Close(ctx context.Context) error
}

// Processor delivers a batch to the source's channels. Both methods run the interceptors and the
// selector over events once, then put the result into each selected channel, one transaction per
// channel, and count the batch on the source's metrics (received, accepted, ChannelWriteFail).
// They return nil only when every required channel committed; an optional channel's failure is
// counted, never returned. They may modify events in place (interceptors): the caller must not
// reuse the slice or its events afterwards.
type Processor interface {
	// Process makes one attempt, one transaction per channel. On error some required channels
	// may already hold the batch, so a sender that retries may duplicate it there
	// (at-least-once); sources that answer a client (avro, http) use it to report a full channel
	// at once, and TooLarge tells them when the batch can never fit.
	Process(ctx context.Context, events []channel.Event) error
	// Deliver retries with capped exponential back-off, and only the channels that refused,
	// until every required channel committed or ctx is done (then it returns ctx's error and the
	// batch must not be acknowledged). It splits a batch larger than a channel's transaction
	// capacity into transactions that fit. Sources that can wait (taildir, netcat, seq) use it,
	// so a full channel slows them down and never makes them drop.
	Deliver(ctx context.Context, events []channel.Event) error
}

// Settings are what the agent injects into a source.
type Settings struct {
	Name      string
	Type      string
	Logger    *slog.Logger // already tagged with the component
	Metrics   *metrics.Source
	Processor Processor
	DataDir   string // the agent's data directory, for state such as position files
	// InFlight is the agent's budget of bytes held in flight by its network sources
	// (max_inflight_bytes); nil means no bound. A source takes its own share through
	// Settings.Budget, so its counters show what it holds.
	InFlight *Budget
}

// BatchLimit is how many events one put of a source can hold, for the config stage to hold
// against the transaction_capacity of the source's channels.
type BatchLimit struct {
	Events int    // the most events of one put
	Attr   string // the attribute that sets it: "batch_size", "max_batch_events"
	// Whole is set for sources that answer a client for the whole put (avro, http): a put that
	// does not fit a channel's transaction cannot be split, so `agent validate` refuses the
	// pair. Other sources' puts are split by Deliver into transactions that fit.
	Whole bool
}

// Batched is implemented by the configs of sources whose puts are bounded in events.
type Batched interface {
	BatchLimit() BatchLimit
}

// Factory creates sources of one type.
type Factory interface {
	Type() string
	Decode(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (any, hcl.Diagnostics)
	Create(cfg any, set Settings) (Source, error)
}

// NewFactory returns the factory of a source type from its config defaults and constructor, and the
// Flume types it converts from (its flume.go), for `agent convert`.
func NewFactory[C any](typ string, defaults func() *C, create func(*C, Settings) (Source, error), fl ...*flume.Mapping) Factory {
	return schema.Typed[C, Settings, Source]{Name: typ, Defaults: defaults, New: create, Flume: fl}
}
