// Package sink holds the sink contract, the runner that owns every take transaction, and the
// sink processors (default, failover, load_balance). A sink only writes batches (STYLE 6):
// one runner per sink or sink group takes from the channel, calls Write, and commits the take
// only when Write returned nil, or rolls it back and backs off. Processors are themselves sinks
// built from sinks, so the runner needs no special case. Each sink type lives in its own
// sub-package.
package sink

import (
	"context"
	"log/slog"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/flume"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/metrics"
)

// Sink delivers batches to one destination.
type Sink interface {
	// Write delivers events and returns nil only when the destination acknowledged all of
	// them; then the runner commits the take. On error the runner rolls the take back and the
	// same events (and possibly more) come again later, so a sink that wrote part of a batch
	// before failing causes duplicates, never loss. The events belong to the runner: the sink
	// must not keep the slice, headers or bodies after Write returns. Write is never called
	// concurrently with itself or with Close.
	Write(ctx context.Context, events []channel.Event) error
	// Close flushes and releases the destination. It is called once no Write is running, and
	// is safe twice.
	Close(ctx context.Context) error
}

// Settings are what the agent injects into a sink.
type Settings struct {
	Name      string
	Type      string
	Logger    *slog.Logger // already tagged with the component
	Metrics   *metrics.Sink
	BatchSize int // the most events one Write receives
	DataDir   string
}

// Factory creates sinks of one type.
type Factory interface {
	Type() string
	Decode(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (any, hcl.Diagnostics)
	Create(cfg any, set Settings) (Sink, error)
}

// NewFactory returns the factory of a sink type from its config defaults and constructor, and the
// Flume types it converts from (its flume.go), for `agent convert`.
func NewFactory[C any](typ string, defaults func() *C, create func(*C, Settings) (Sink, error), fl ...*flume.Mapping) Factory {
	return schema.Typed[C, Settings, Sink]{Name: typ, Defaults: defaults, New: create, Flume: fl}
}

// Member is one sink of a group, as a processor sees it (a lone sink is a group of one).
type Member struct {
	Name    string
	Sink    Sink
	Metrics *metrics.Sink
	// SetAside is what the runner does with the events this sink refuses for good.
	SetAside SetAside
}

// ProcessorSettings are what the agent injects into a sink processor.
type ProcessorSettings struct {
	Name   string // the sink group's name
	Type   string
	Logger *slog.Logger
	// BatchSize is the group runner's batch size, the most events one Write receives; members
	// count a Write of that many events as a complete batch, fewer as an underflow.
	BatchSize int
}

// ProcessorFactory creates sink processors of one type (failover, load_balance). A processor
// is a Sink over its members: its Write picks members and calls their Write.
type ProcessorFactory interface {
	Type() string
	Decode(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (any, hcl.Diagnostics)
	Create(cfg any, set ProcessorSettings, members []Member) (Sink, error)
}

// Members lists the sink names a processor config refers to (priority keys), so the config
// stage can check them against the group's sinks. Processor configs implement it when they
// name sinks.
type Members interface {
	ReferencedSinks() map[string]hcl.Range
}

// NewProcessorFactory returns the factory of a sink processor type.
func NewProcessorFactory[C any](typ string, defaults func() *C, create func(*C, ProcessorSettings, []Member) (Sink, error)) ProcessorFactory {
	return processorFactory[C]{schema.Typed[C, ProcessorSettings, []Member]{Name: typ, Defaults: defaults}, create}
}

type processorFactory[C any] struct {
	schema.Typed[C, ProcessorSettings, []Member]
	create func(*C, ProcessorSettings, []Member) (Sink, error)
}

func (f processorFactory[C]) Create(cfg any, set ProcessorSettings, members []Member) (Sink, error) {
	c, ok := cfg.(*C)
	if !ok {
		return nil, errTypedConfig(f.Name, cfg)
	}
	return f.create(c, set, members)
}
