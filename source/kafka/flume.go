package kafka

import "github.com/flumego/flumego/config/flume"

// flumeKafka converts Flume's Kafka source, old property names included; a source that names
// only ZooKeeper (Flume looked the brokers up there) gets a placeholder broker to replace.
var flumeKafka = &flume.Mapping{
	Flume:   "Kafka source",
	Aliases: []string{"kafka", "org.apache.flume.source.kafka.KafkaSource"},
	Settings: []flume.Setting{
		flume.Map("brokers", flume.AsCommas, "kafka.bootstrap.servers"),
		flume.Map("topics", flume.AsCommas, "kafka.topics", "topic"),
		flume.Func(flume.Regex("topics_regex"), "kafka.topics.regex"),
		flume.Map("group_id", flume.AsString, "kafka.consumer.group.id", "groupId"),
		flume.Map("batch_size", flume.AsInt, "batchSize"), flume.Map("batch_duration", flume.AsMillis, "batchDurationMillis"),
		flume.Map("use_flume_event_format", flume.AsBool, "useFlumeEventFormat"),
		flume.Map("set_topic_header", flume.AsBool, "setTopicHeader"), flume.Map("topic_header", flume.AsString, "topicHeader"),
		flume.Func(flume.KafkaZooKeeper, "zookeeperConnect", "zookeeper.connect"),
	},
	Prefixes: []flume.Prefix{{Prefix: "kafka.consumer.", Fn: flume.KafkaClientProp}, {Prefix: "kafka.", Fn: flume.KafkaOther}},
	Dropped: map[string]string{
		"migrateZookeeperOffsets": "flumego reads offsets committed to Kafka only",
		"backoffSleepIncrement":   flume.WhyBackoff, "maxBackoffSleep": flume.WhyBackoff,
	},
	Defaults: []flume.Default{{Attr: "batch_size", Value: flume.Int(1000)}},
	Finish: func(c *flume.Conv) {
		if c.Block.Attr("topics") != nil && c.Block.Attr("topics_regex") != nil {
			p, _ := c.Get("kafka.topics")
			if p.Key == "" {
				p, _ = c.Get("topic")
			}
			c.Drop(p, "kafka.topics.regex is set too and overrides it, as in Flume")
			c.Block.Remove("topics")
		}
		if c.Block.Attr("topics") == nil && c.Block.Attr("topics_regex") == nil {
			c.Reject(flume.Property{Key: "kafka.topics", Line: c.Line}, "neither kafka.topics nor kafka.topics.regex is set, and Flume's Kafka source requires one")
		}
		flume.FinishKafka(c)
	},
}
