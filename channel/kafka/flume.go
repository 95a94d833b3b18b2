package kafka

import "github.com/flumego/flumego/config/flume"

// flumeKafka converts Flume's Kafka channel, old property names included; a channel that
// names only ZooKeeper gets a placeholder broker to replace.
var flumeKafka = &flume.Mapping{
	Flume:   "Kafka channel",
	Aliases: []string{"kafka", "org.apache.flume.channel.kafka.KafkaChannel"},
	Settings: []flume.Setting{
		flume.Map("brokers", flume.AsCommas, "kafka.bootstrap.servers", "brokerList"),
		flume.Map("topic", flume.AsString, "kafka.topic", "topic"),
		flume.Map("group_id", flume.AsString, "kafka.consumer.group.id", "groupId"),
		flume.Map("parse_as_flume_event", flume.AsBool, "parseAsFlumeEvent"),
		flume.Map("poll_timeout", flume.AsMillis, "pollTimeout", "kafka.pollTimeout"),
		flume.Func(flume.KafkaZooKeeper, "zookeeperConnect", "zookeeper.connect"),
	},
	Prefixes: []flume.Prefix{{Prefix: "kafka.producer.", Fn: flume.KafkaClientProp}, {Prefix: "kafka.consumer.", Fn: flume.KafkaClientProp}, {Prefix: "kafka.", Fn: flume.KafkaOther}},
	Dropped: map[string]string{
		"migrateZookeeperOffsets": "flumego reads offsets committed to Kafka only",
		"readSmallestOffset":      "flumego's Kafka channel starts a new consumer group at the earliest offset",
		"defaultPartitionId":      "flumego's Kafka channel partitions by itself",
		"partitionIdHeader":       "flumego's Kafka channel partitions by itself",
	},
	Finish: flume.FinishKafka,
}
