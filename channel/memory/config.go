package memory

import (
	"errors"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
)

// Config is the memory channel's configuration, with Flume's property names in snake_case.
type Config struct {
	// Capacity is the most events the channel holds, counting events taken by a sink but not yet
	// committed (Flume: capacity, default 100; flumego's is DefaultCapacity).
	Capacity int `hcl:"capacity,optional"`
	// TxCapacity is the most events one put or take transaction holds (Flume:
	// transactionCapacity, default 100). It is at most Capacity. Left out (or 0), it is the
	// smaller of DefaultTxCapacity and Capacity, so a block that sets only capacity stays valid.
	TxCapacity int `hcl:"transaction_capacity,optional"`
	// ByteCapacity bounds the bytes of event bodies the channel holds (Flume: byteCapacity).
	// The default, 128MiB, bounds memory whatever the events' size (Flume defaults to 80% of the
	// JVM's -Xmx; a Go process has no fixed heap to take a share of) while leaving room for the
	// largest put any source makes by default (an avro call of 64MiB). 0 means no byte limit.
	ByteCapacity schema.Size `hcl:"byte_capacity,optional"`
	// ByteCapacityBufferPercentage is the share of ByteCapacity kept free for what the byte count
	// leaves out (headers, per-event overhead): as in Flume, bodies may fill only
	// ByteCapacity × (100 − percentage) / 100 bytes. Default 20.
	ByteCapacityBufferPercentage int `hcl:"byte_capacity_buffer_percentage,optional"`
	// KeepAlive is how long a put commit waits for room before it fails with channel.ErrFull
	// (Flume: keep-alive, default 3s). 0 fails at once.
	KeepAlive time.Duration `hcl:"keep_alive,optional"`
}

// Defaults: flumego's sizes are for throughput (Flume's capacity and transaction_capacity of 100
// make every commit carry 100 small events); byte_capacity bounds what the larger capacity
// could hold of large events. The rest are Flume's.
const (
	DefaultCapacity     = 20_000
	DefaultTxCapacity   = 10_000
	DefaultByteCapacity = 128 << 20
)

func defaults() *Config {
	return &Config{
		Capacity:                     DefaultCapacity,
		ByteCapacity:                 DefaultByteCapacity,
		ByteCapacityBufferPercentage: 20,
		KeepAlive:                    3 * time.Second,
	}
}

// TransactionCapacity implements channel.TxCapacity, so the config stage can check that no sink
// asks for a larger batch than one transaction holds.
func (c *Config) TransactionCapacity() int { return c.TxCapacity }

// byteLimit is the number of body bytes the channel may hold, 0 for no limit.
func (c *Config) byteLimit() int64 {
	if c.ByteCapacity <= 0 {
		return 0
	}
	return int64(c.ByteCapacity) * int64(100-c.ByteCapacityBufferPercentage) / 100
}

// Validate reports every problem with the settings at once, after filling in an unset
// transaction_capacity.
func (c *Config) Validate() error {
	if c.TxCapacity == 0 {
		c.TxCapacity = max(1, min(DefaultTxCapacity, c.Capacity))
	}
	var errs []error
	if c.Capacity < 1 {
		errs = append(errs, schema.Errorf("capacity", "must be at least 1, got %d", c.Capacity))
	}
	switch {
	case c.TxCapacity < 1:
		errs = append(errs, schema.Errorf("transaction_capacity", "must be at least 1, got %d", c.TxCapacity))
	case c.Capacity >= 1 && c.TxCapacity > c.Capacity:
		errs = append(errs, schema.Errorf("transaction_capacity",
			"%d is larger than capacity %d: a transaction could never fit in the channel", c.TxCapacity, c.Capacity))
	}
	if c.ByteCapacity < 0 {
		errs = append(errs, schema.Errorf("byte_capacity", "must not be negative"))
	}
	switch p := c.ByteCapacityBufferPercentage; {
	case p < 0 || p > 100:
		errs = append(errs, schema.Errorf("byte_capacity_buffer_percentage", "must be between 0 and 100, got %d", p))
	case c.ByteCapacity > 0 && c.byteLimit() < 1:
		errs = append(errs, schema.Errorf("byte_capacity_buffer_percentage",
			"%d%% of byte_capacity %s leaves no room for event bodies", p, c.ByteCapacity))
	}
	if c.KeepAlive < 0 {
		errs = append(errs, schema.Errorf("keep_alive", "must not be negative"))
	}
	return errors.Join(errs...)
}

// NewFactory returns the factory of the "memory" channel type.
func NewFactory() channel.Factory {
	return channel.NewFactory("memory", defaults, New, flumeMemory, flumeSpillable)
}
