# Converted from kafka-zookeeper.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "tier1" {
  source "kafka" "kafka-in" {
    # flume: tier1.sources.kafka-in.zookeeperConnect (line 7): changed: Flume looked the Kafka brokers
    #   up in ZooKeeper at zk1:2181,zk2:2181/kafka (kafka.bootstrap.servers is not set); flumego talks
    #   to the brokers directly: brokers is set to "kafka-broker:9092" — replace it with the brokers'
    #   host:port (`zookeeper-shell zk1:2181,zk2:2181/kafka get /brokers/ids/ID` for each id of `ls
    #   /brokers/ids`)
    topics     = ["weblogs"]
    group_id   = "flume"
    batch_size = 100
    brokers    = ["kafka-broker:9092"]
    channels   = ["mem"]
  }

  channel "kafka" "kchan" {
    # flume: tier1.channels.kchan.zookeeperConnect (line 18): changed: Flume looked the Kafka brokers
    #   up in ZooKeeper at zk1:2181 (kafka.bootstrap.servers is not set); flumego talks to the brokers
    #   directly: brokers is set to "kafka-broker:9092" — replace it with the brokers' host:port
    #   (`zookeeper-shell zk1:2181 get /brokers/ids/ID` for each id of `ls /brokers/ids`)
    topic                = "flume-channel"
    parse_as_flume_event = false
    brokers              = ["kafka-broker:9092"]
  }

  channel "memory" "mem" {
    capacity             = 10000
    transaction_capacity = 1000
  }

  sink "logger" "out" {
    channel    = "mem"
    batch_size = 1 # Flume's default
  }
}
