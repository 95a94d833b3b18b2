package kafka

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/internal/kafkaclient"
	"github.com/flumego/flumego/serializer"
)

// Oversize policies: what happens to an event too large for max_message_bytes.
const (
	OversizeDrop     = "drop"
	OversizeTruncate = "truncate"
)

// Config is the kafka sink's configuration. Names are Flume's KafkaSink properties in
// snake_case (kafka.topic → topic, kafka.bootstrap.servers → brokers, kafka.producer.acks →
// acks); the sink's batch_size (Flume's flumeBatchSize) is the config stage's.
type Config struct {
	// Brokers are the bootstrap servers, "host:port".
	Brokers []string `hcl:"brokers"`
	// Topic is where events go; "%{name}" is replaced by the event's header name ("" when the
	// event has no such header).
	Topic string `hcl:"topic,optional"`
	// FallbackTopic receives the events for which Topic resolves to empty (a template whose
	// headers the event lacks). Without it such an event is refused for good: the runner sets
	// it aside by on_permanent_error.
	FallbackTopic string `hcl:"fallback_topic,optional"`
	// AllowTopicOverride lets an event's TopicHeader header choose its topic.
	AllowTopicOverride bool   `hcl:"allow_topic_override,optional"`
	TopicHeader        string `hcl:"topic_header,optional"`
	// KeyHeader names the header whose value becomes the record key (Flume: "key").
	KeyHeader string `hcl:"key_header,optional"`
	// PartitionIDHeader names a header holding the partition number to write the event to.
	PartitionIDHeader string `hcl:"partition_id_header,optional"`
	// DefaultPartitionID, when set, sends every event without a partition header there;
	// otherwise the producer partitions by key (murmur2, as Kafka's Java client), or spreads
	// keyless records batch by batch.
	DefaultPartitionID *int `hcl:"default_partition_id,optional"`
	// Acks is "0", "1" or "all" ("-1" is accepted for all).
	Acks string `hcl:"acks,optional"`
	// Idempotent turns on the idempotent producer; unset means on with acks = all, off
	// otherwise (it needs acks = all).
	Idempotent *bool `hcl:"idempotent,optional"`
	// Compression is none, gzip, snappy, lz4 or zstd.
	Compression string `hcl:"compression,optional"`
	// Linger is how long a partition's records wait for more before a request is sent. Write
	// flushes at the end of every batch, so it only matters when batches are large.
	Linger time.Duration `hcl:"linger,optional"`
	// MaxMessageBytes bounds one record batch (Kafka's max.request.size); an event that alone
	// does not fit is handled by Oversize.
	MaxMessageBytes schema.Size `hcl:"max_message_bytes,optional"`
	// Oversize is what happens to an event larger than MaxMessageBytes, or one the broker
	// refuses as too large when sent alone: "drop" (the event is refused for good, so the
	// runner sets it aside by on_permanent_error: dropped and counted in EventDroppedCount, or
	// put into the dead_letter_channel) or "truncate" (the body is cut until it fits, counted in
	// EventTruncatedCount).
	Oversize string `hcl:"oversize,optional"`
	// HeadersAsRecordHeaders sends the event's headers as Kafka record headers.
	HeadersAsRecordHeaders bool `hcl:"headers_as_record_headers,optional"`
	// RecordHeaders sends only the event headers it names, each as the record header it maps
	// to (Flume 1.11's header.NAME = KAFKA_NAME); it needs headers_as_record_headers = false.
	RecordHeaders map[string]string `hcl:"record_headers,optional"`
	// UseFlumeEventFormat writes the value as an Avro-serialised AvroFlumeEvent (headers and
	// body), as Flume's useFlumeEventFormat, so Flume consumers keep working: another name for
	// serializer "avro_event" {}.
	UseFlumeEventFormat bool `hcl:"use_flume_event_format,optional"`
	// Serializer makes each record value from its event: a `serializer "TYPE" { ... }` block
	// (text, json, format or avro_event); the body as is when there is none.
	Serializer serializer.Config `hcl:"serializer,block,optional"`
	TLS        *kafkaclient.TLS  `hcl:"tls,block"`
	SASL       *kafkaclient.SASL `hcl:"sasl,block"`
	// Producer holds rarer Kafka producer properties, by their Kafka names (see producerKeys).
	Producer map[string]string `hcl:"producer,optional"`
}

// Defaults are Flume's: topic default-flume-topic, acks 1, no compression, the topic header
// may override the topic, record key from header "key", 1 MiB records.
func Defaults() *Config {
	return &Config{
		Topic:                  "default-flume-topic",
		AllowTopicOverride:     true,
		TopicHeader:            "topic",
		KeyHeader:              "key",
		Acks:                   "1",
		Compression:            "none",
		MaxMessageBytes:        1 << 20,
		Oversize:               OversizeDrop,
		HeadersAsRecordHeaders: true,
	}
}

// producerKeys are the Kafka producer properties the producer map accepts, each mapped onto a
// franz-go option. Properties with a first-class setting are refused with a pointer to it.
var producerKeys = map[string]func(v string) ([]kgo.Opt, error){
	"client.id": func(v string) ([]kgo.Opt, error) { return []kgo.Opt{kgo.ClientID(v)}, nil },
	// Handled by New, as a deadline on each Write rather than franz-go's record timeout, which
	// counts from a record's timestamp: an event's own, older time would time it out at once.
	"delivery.timeout.ms": func(v string) ([]kgo.Opt, error) {
		_, err := millis(func(time.Duration) []kgo.Opt { return nil })(v)
		if n, _ := strconv.Atoi(strings.TrimSpace(v)); err == nil && n < 1000 {
			return nil, fmt.Errorf("must be at least 1000, got %d", n)
		}
		return nil, err
	},
	"request.timeout.ms": millis(func(d time.Duration) []kgo.Opt {
		return []kgo.Opt{kgo.ProduceRequestTimeout(d)}
	}),
	// As in Kafka's Java client, the back-off also spaces metadata refreshes (a missing topic
	// fails after four of them). Each retry waits d, jittered to [d/2, d] (internal/backoff).
	"retry.backoff.ms": millis(func(d time.Duration) []kgo.Opt {
		return []kgo.Opt{kgo.RetryBackoffFn(backoff.Func(d, d)), kgo.MetadataMinAge(d)}
	}),
	"metadata.max.age.ms": millis(func(d time.Duration) []kgo.Opt {
		return []kgo.Opt{kgo.MetadataMaxAge(d)}
	}),
	"connections.max.idle.ms": millis(func(d time.Duration) []kgo.Opt {
		return []kgo.Opt{kgo.ConnIdleTimeout(d)}
	}),
	"retries": integer(func(n int) []kgo.Opt { return []kgo.Opt{kgo.RecordRetries(n)} }),
	"max.in.flight.requests.per.connection": integer(func(n int) []kgo.Opt {
		return []kgo.Opt{kgo.MaxProduceRequestsInflightPerBroker(n)}
	}),
	"buffer.memory": integer(func(n int) []kgo.Opt { return []kgo.Opt{kgo.MaxBufferedBytes(n)} }),
	// Handled by New: on unless "false", as Kafka's producers ask the broker to create a
	// missing topic.
	"allow.auto.create.topics": func(v string) ([]kgo.Opt, error) {
		if _, err := strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("want true or false, got %q", v)
		}
		return nil, nil
	},
}

// firstClass maps producer properties to the setting that replaces them.
var firstClass = map[string]string{
	"acks": "acks", "compression.type": "compression", "linger.ms": "linger",
	"max.request.size": "max_message_bytes", "batch.size": "max_message_bytes",
	"enable.idempotence": "idempotent", "bootstrap.servers": "brokers",
	"security.protocol": "tls and sasl", "sasl.mechanism": "sasl", "sasl.jaas.config": "sasl",
}

func millis(f func(time.Duration) []kgo.Opt) func(string) ([]kgo.Opt, error) {
	return func(v string) ([]kgo.Opt, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("want milliseconds, got %q", v)
		}
		return f(time.Duration(n) * time.Millisecond), nil
	}
}

func integer(f func(int) []kgo.Opt) func(string) ([]kgo.Opt, error) {
	return func(v string) ([]kgo.Opt, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("want a non-negative whole number, got %q", v)
		}
		return f(n), nil
	}
}

// serializer is the serializer config in effect: use_flume_event_format stands for avro_event.
func (c *Config) serializer() serializer.Config {
	if c.UseFlumeEventFormat && c.Serializer.Type == "" {
		return serializer.Of(serializer.AvroEvent)
	}
	return c.Serializer
}

// deliveryTimeout is how long a Write waits for its records: delivery.timeout.ms, Kafka's 120s by
// default.
func (c *Config) deliveryTimeout() time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(c.Producer["delivery.timeout.ms"])); err == nil {
		return time.Duration(n) * time.Millisecond
	}
	return 120 * time.Second
}

// acks returns the normalised acks value: "0", "1" or "all".
func (c *Config) acks() string {
	switch a := strings.ToLower(strings.TrimSpace(c.Acks)); a {
	case "-1", "all":
		return "all"
	default:
		return a
	}
}

// idempotent reports whether the idempotent producer is on.
func (c *Config) idempotent() bool {
	if c.Idempotent != nil {
		return *c.Idempotent
	}
	return c.acks() == "all"
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	errs := kafkaclient.Validate(c.Brokers, c.TLS, c.SASL)
	if c.Topic == "" {
		errs = append(errs, schema.Errorf("topic", "must not be empty"))
	} else if !strings.Contains(c.Topic, "%{") {
		if err := validTopic(c.Topic, "topic"); err != nil {
			errs = append(errs, schema.Errorf("topic", "%v", err))
		}
	}
	if c.FallbackTopic != "" {
		if err := validTopic(c.FallbackTopic, "fallback_topic"); err != nil {
			errs = append(errs, schema.Errorf("fallback_topic", "%v", err))
		}
	}
	if c.UseFlumeEventFormat && c.Serializer.Type != "" && c.Serializer.Type != serializer.AvroEvent {
		errs = append(errs, schema.Errorf("use_flume_event_format", `means serializer "avro_event", but the serializer block is %q: keep one of them`, c.Serializer.Type))
	}
	if c.AllowTopicOverride && c.TopicHeader == "" {
		errs = append(errs, schema.Errorf("topic_header", "must not be empty while allow_topic_override is true"))
	}
	if c.HeadersAsRecordHeaders && len(c.RecordHeaders) > 0 {
		errs = append(errs, schema.Errorf("record_headers", "sends only the headers it maps: set headers_as_record_headers = false"))
	}
	if c.DefaultPartitionID != nil && *c.DefaultPartitionID < 0 {
		errs = append(errs, schema.Errorf("default_partition_id", "must be 0 or more, got %d", *c.DefaultPartitionID))
	}
	switch c.acks() {
	case "0", "1", "all":
	default:
		errs = append(errs, schema.Errorf("acks", `must be "0", "1" or "all", got %q`, c.Acks))
	}
	if c.Idempotent != nil && *c.Idempotent && c.acks() != "all" {
		errs = append(errs, schema.Errorf("idempotent", `needs acks = "all" (acks is %q)`, c.Acks))
	}
	if _, err := kafkaclient.Codec(c.Compression); err != nil {
		errs = append(errs, schema.Errorf("compression", "unknown codec %q: want one of %s", c.Compression, strings.Join(kafkaclient.Compressions, ", ")))
	}
	if c.MaxMessageBytes < 1024 || c.MaxMessageBytes > 1<<30 {
		errs = append(errs, schema.Errorf("max_message_bytes", "must be 1KiB to 1GiB, got %d", int64(c.MaxMessageBytes)))
	}
	if c.Oversize != OversizeDrop && c.Oversize != OversizeTruncate {
		errs = append(errs, schema.Errorf("oversize", "must be %q or %q, got %q", OversizeDrop, OversizeTruncate, c.Oversize))
	}
	keys := make([]string, 0, len(c.Producer))
	for k := range c.Producer {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if setting, ok := firstClass[k]; ok {
			errs = append(errs, schema.Errorf("producer", "%q has its own setting: use %s", k, setting))
			continue
		}
		parse, ok := producerKeys[k]
		if !ok {
			errs = append(errs, schema.Errorf("producer", "unsupported property %q (supported: %s)", k, strings.Join(supportedKeys(), ", ")))
			continue
		}
		if _, err := parse(c.Producer[k]); err != nil {
			errs = append(errs, schema.Errorf("producer", "%s: %v", k, err))
		}
	}
	return errors.Join(errs...)
}

func supportedKeys() []string {
	keys := make([]string, 0, len(producerKeys))
	for k := range producerKeys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
