# Converted from colon-values.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "avro" "r1" {
    bind     = "0.0.0.0"
    port     = 41414
    channels = ["c1"]
  }

  channel "memory" "c1" {
    # flume: a1.channels.c1.type (line 13): not carried over: Flume channel type "jdbc" has no flumego
    #   equivalent: converted into a memory channel (flumego's channels: file, kafka, memory) — choose
    #   file for durability
    # flume: a1.channels.c1.driver.url (line 14): not carried over: a setting of Flume's jdbc channel,
    #   which has no flumego equivalent
    capacity             = 100 # Flume's default
    transaction_capacity = 100 # Flume's default
  }

  sink "kafka" "k1" {
    # flume: a1.sinks.k1.zookeeperConnect (line 19): not carried over: not a setting of Flume's Kafka
    #   sink, so Flume ignores it too
    # flume: a1.sinks.k1.schemaRegistry (line 20): not carried over: not a setting of Flume's Kafka
    #   sink, so Flume ignores it too
    # flume: a1.sinks.k1.kafka (line 21): not carried over: malformed key: Flume reads "fileType:
    #   DataStream" as the value of "a1.sinks.k1.kafka" (a space where a dot belongs?), which is no
    #   setting; fix the key in the Flume file, or write the setting here by hand
    channel                   = "c1"
    brokers                   = ["kafka1:9092"]
    topic                     = "events"
    batch_size                = 100   # Flume's default
    headers_as_record_headers = false # as Flume, which sends only the headers mapped with header.NAME (1.11)
  }
}
