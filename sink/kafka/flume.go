package kafka

import (
	"strings"

	"github.com/flumego/flumego/config/flume"
)

// flumeKafka converts Flume's Kafka sink, old property names included. Flume 1.9 and 1.10 send
// no record headers and 1.11 only those mapped with header.NAME = KAFKA_NAME, so a converted
// sink sends no event header unless mapped (record_headers). flumego's sink stamps a record with
// the event's timestamp header, as Flume 1.11 does with timestampHeader = timestamp.
var flumeKafka = &flume.Mapping{
	Flume:   "Kafka sink",
	Aliases: []string{"kafka", "org.apache.flume.sink.kafka.KafkaSink"},
	Settings: []flume.Setting{
		flume.Map("brokers", flume.AsCommas, "kafka.bootstrap.servers", "brokerList"),
		flume.Map("topic", flume.AsString, "kafka.topic", "topic"),
		flume.Map("batch_size", flume.AsInt, "flumeBatchSize", "batchSize"),
		flume.Func(flume.KafkaAcks, "kafka.producer.acks", "requiredAcks"),
		flume.Map("use_flume_event_format", flume.AsBool, "useFlumeEventFormat"),
		flume.Map("default_partition_id", flume.AsInt, "defaultPartitionId"),
		flume.Map("partition_id_header", flume.AsString, "partitionIdHeader"),
		flume.Map("allow_topic_override", flume.AsBool, "allowTopicOverride"),
		flume.Map("topic_header", flume.AsString, "topicHeader"),
		flume.Func(func(c *flume.Conv, p flume.Property) {
			if v, _ := c.Literal(p); v != "timestamp" {
				c.Drop(p, "flumego's Kafka sink takes a record's timestamp from the event's timestamp header (epoch milliseconds), not from %q: copy that header into timestamp first, or records carry the time they are produced", v)
			}
		}, "timestampHeader"),
	},
	Prefixes: []flume.Prefix{
		{Prefix: "header.", Fn: recordHeader},
		{Prefix: "kafka.producer.", Fn: flume.KafkaClientProp}, {Prefix: "kafka.", Fn: flume.KafkaOther},
	},
	Dropped: map[string]string{
		"metadata.broker.list": "a setting of the Kafka plugin older than Flume 1.6: Flume's Kafka sink reads its brokers from kafka.bootstrap.servers (or brokerList) and ignores it",
	},
	Defaults: []flume.Default{
		{Attr: "batch_size", Value: flume.Int(100)},
		{Attr: "headers_as_record_headers", Value: flume.Bool(false), Why: "as Flume, which sends only the headers mapped with header.NAME (1.11)"},
	},
	Finish: func(c *flume.Conv) {
		if m, ok := c.State["record_headers"].(*flume.Object); ok {
			c.Set("record_headers", m)
		}
		flume.FinishKafka(c)
	},
}

// recordHeader maps Flume 1.11's header.NAME = KAFKA_NAME: the event header NAME is sent as
// the record header KAFKA_NAME.
func recordHeader(c *flume.Conv, p flume.Property) {
	name := strings.TrimPrefix(p.Key, "header.")
	m, _ := c.State["record_headers"].(*flume.Object)
	if m == nil {
		m = &flume.Object{}
		c.State["record_headers"] = m
	}
	m.Set(name, c.Tmpl(p))
}
