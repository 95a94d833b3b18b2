// Package null is the "null" sink (Flume's NullSink): it accepts every batch and discards it,
// for measuring the rest of a flow or dropping a stream on purpose. Its batches are counted on
// the sink's metrics by the runner like any other sink's.
package null

import (
	"context"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/sink"
)

// Config is the null sink's config: it has no settings of its own (batch_size is common to
// every sink).
type Config struct{}

func defaults() *Config { return &Config{} }

// NewFactory returns the factory of the "null" sink.
func NewFactory() sink.Factory { return sink.NewFactory("null", defaults, New, flumeNull) }

// Sink discards events.
type Sink struct{}

// New returns a null sink.
func New(*Config, sink.Settings) (sink.Sink, error) { return Sink{}, nil }

// Write discards events.
func (Sink) Write(context.Context, []channel.Event) error { return nil }

// Close does nothing.
func (Sink) Close(context.Context) error { return nil }

// Validate accepts the empty config.
func (c *Config) Validate() error { return nil }
