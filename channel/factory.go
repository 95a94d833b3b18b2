package channel

import (
	"log/slog"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/config/flume"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/metrics"
)

// Settings are what the agent injects into a channel.
type Settings struct {
	Name    string
	Type    string
	Logger  *slog.Logger // already tagged with the component
	Metrics *metrics.Channel
	DataDir string
}

// Factory creates channels of one type.
type Factory interface {
	Type() string
	Decode(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (any, hcl.Diagnostics)
	Create(cfg any, set Settings) (Channel, error)
}

// NewFactory returns the factory of a channel type from its config defaults and constructor, and the
// Flume types it converts from (its flume.go), for `agent convert`.
func NewFactory[C any](typ string, defaults func() *C, create func(*C, Settings) (Channel, error), fl ...*flume.Mapping) Factory {
	return schema.Typed[C, Settings, Channel]{Name: typ, Defaults: defaults, New: create, Flume: fl}
}

// TxCapacity is implemented by channel configs, so the config stage can check that no sink's
// batch_size exceeds its channel's transaction_capacity.
type TxCapacity interface {
	TransactionCapacity() int
}

// Outlet is implemented by channel configs whose events leave the agent without a sink (a Kafka
// channel's topic is read by other consumers), so that no sink draining it is no mistake.
type Outlet interface {
	Outlet() bool
}
