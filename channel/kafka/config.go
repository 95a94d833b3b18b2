package kafka

import (
	"errors"
	"strings"
	"time"

	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/kafkaclient"
)

// Config is the kafka channel's configuration: Flume's KafkaChannel properties in snake_case
// (kafka.topic → topic, kafka.consumer.group.id → group_id, parseAsFlumeEvent →
// parse_as_flume_event, pollTimeout → poll_timeout), plus flumego's transaction limits.
type Config struct {
	Brokers []string `hcl:"brokers"`
	Topic   string   `hcl:"topic,optional"`
	GroupID string   `hcl:"group_id,optional"`
	// ParseAsFlumeEvent stores each event as an Avro AvroFlumeEvent (headers and body), as
	// Flume does; false stores the body as the value and the headers as Kafka record headers.
	ParseAsFlumeEvent bool `hcl:"parse_as_flume_event,optional"`
	// Acks is "1" or "all": what the broker must have done before a put commits.
	Acks string `hcl:"acks,optional"`
	// Compression of the produced records: none, gzip, snappy, lz4 or zstd.
	Compression string `hcl:"compression,optional"`
	// PollTimeout is the longest a take waits for records it knows were committed to the topic
	// but have not arrived from the broker yet (Flume's pollTimeout).
	PollTimeout time.Duration `hcl:"poll_timeout,optional"`
	// Capacity bounds the events this agent has put and not yet taken, like a memory
	// channel's capacity; 0 (the default, as Flume) leaves the topic unbounded.
	Capacity int `hcl:"capacity,optional"`
	// TransactionCapacity bounds the events of one put or take transaction.
	TxCapacity int `hcl:"transaction_capacity,optional"`
	// KeepAlive is how long a put waits for room when Capacity is reached.
	KeepAlive time.Duration     `hcl:"keep_alive,optional"`
	TLS       *kafkaclient.TLS  `hcl:"tls,block"`
	SASL      *kafkaclient.SASL `hcl:"sasl,block"`
}

// Defaults are Flume's: topic flume-channel, group flume, events stored as Avro Flume events,
// acks all, poll timeout 500ms, no capacity bound; transactions of up to 10000 events.
func Defaults() *Config {
	return &Config{
		Topic: "flume-channel", GroupID: "flume", ParseAsFlumeEvent: true, Acks: "all", Compression: "none",
		PollTimeout: 500 * time.Millisecond, TxCapacity: 10000, KeepAlive: 3 * time.Second,
	}
}

// Outlet reports that the channel's events leave through its topic: a Kafka channel that no sink
// drains writes into Kafka for other consumers, as Flume documents, unless capacity bounds what
// this agent has put and not taken.
func (c *Config) Outlet() bool { return c.Capacity == 0 }

// TransactionCapacity is checked by the config stage against the batch sizes of the sinks and
// sources using the channel.
func (c *Config) TransactionCapacity() int { return c.TxCapacity }

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	errs := kafkaclient.Validate(c.Brokers, c.TLS, c.SASL)
	if c.Topic == "" {
		errs = append(errs, schema.Errorf("topic", "must not be empty"))
	}
	if c.GroupID == "" {
		errs = append(errs, schema.Errorf("group_id", "must not be empty"))
	}
	switch strings.ToLower(c.Acks) {
	case "1", "all", "-1":
	default:
		errs = append(errs, schema.Errorf("acks", `must be "1" or "all", got %q (a channel cannot commit a put the broker did not acknowledge)`, c.Acks))
	}
	if _, err := kafkaclient.Codec(c.Compression); err != nil {
		errs = append(errs, schema.Errorf("compression", "unknown codec %q: want one of %s", c.Compression, strings.Join(kafkaclient.Compressions, ", ")))
	}
	if c.PollTimeout <= 0 {
		errs = append(errs, schema.Errorf("poll_timeout", "must be positive"))
	}
	if c.Capacity < 0 {
		errs = append(errs, schema.Errorf("capacity", "must be 0 (unbounded) or more, got %d", c.Capacity))
	}
	if c.TxCapacity < 1 {
		errs = append(errs, schema.Errorf("transaction_capacity", "must be at least 1, got %d", c.TxCapacity))
	}
	if c.Capacity > 0 && c.TxCapacity > c.Capacity {
		errs = append(errs, schema.Errorf("transaction_capacity", "%d is above capacity %d", c.TxCapacity, c.Capacity))
	}
	return errors.Join(errs...)
}
