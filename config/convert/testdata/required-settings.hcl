# Converted from required-settings.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "http" "web" {
    # flume: a1.sources.web (line 8): changed: bind is not set, so Flume listens on 0.0.0.0 (its
    #   default); flumego needs it written: bind = "0.0.0.0"
    port     = 8080
    bind     = "0.0.0.0"
    channels = ["c1"]
  }

  # flume: a1.sources.nc.bind (line 12): not carried over: bind is not set, and Flume's netcat source
  #   requires it: Flume fails to configure the component and removes it at start-up, so it is left out
  #   here too (fix the value in the Flume file, or write the component by hand)
  #   a1.sources.nc.type = netcat
  #   a1.sources.nc.port = 44444
  #   a1.sources.nc.channels = c1

  # flume: a1.sources.feed.kafka.topics (line 16): not carried over: neither kafka.topics nor
  #   kafka.topics.regex is set, and Flume's Kafka source requires one: Flume fails to configure the
  #   component and removes it at start-up, so it is left out here too (fix the value in the Flume file,
  #   or write the component by hand)
  #   a1.sources.feed.type = org.apache.flume.source.kafka.KafkaSource
  #   a1.sources.feed.kafka.bootstrap.servers = kafka1:9092
  #   a1.sources.feed.channels = c1

  channel "memory" "c1" {
    capacity             = 100 # Flume's default
    transaction_capacity = 100 # Flume's default
  }

  sink "logger" "log" {
    channel    = "c1"
    batch_size = 1 # Flume's default
  }

  # flume: a1.sinks.hdfs.hdfs.path (line 25): not carried over: hdfs.path is not set, and Flume's hdfs
  #   sink requires it: Flume fails to configure the component and removes it at start-up, so it is left
  #   out here too (fix the value in the Flume file, or write the component by hand)
  #   a1.sinks.hdfs.type = hdfs
  #   a1.sinks.hdfs.hdfs.fileType = DataStream
  #   a1.sinks.hdfs.channel = c1

  # flume: a1.sinks.kafka.kafka.bootstrap.servers (line 29): not carried over: kafka.bootstrap.servers
  #   is not set, and Flume's Kafka sink requires it: Flume fails to configure the component and removes
  #   it at start-up, so it is left out here too (fix the value in the Flume file, or write the
  #   component by hand)
  #   a1.sinks.kafka.type = org.apache.flume.sink.kafka.KafkaSink
  #   a1.sinks.kafka.topic = events
  #   a1.sinks.kafka.metadata.broker.list = kafka1:9092
  #   a1.sinks.kafka.channel = c1
}
