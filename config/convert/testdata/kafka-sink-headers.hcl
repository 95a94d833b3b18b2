# Converted from kafka-sink-headers.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "netcat" "r1" {
    bind     = "0.0.0.0"
    port     = 44444
    channels = ["c1", "c2"]
    interceptor "host" {}
    interceptor "timestamp" {}
  }

  channel "memory" "c1" {
    capacity             = 100 # Flume's default
    transaction_capacity = 100 # Flume's default
  }

  channel "memory" "c2" {
    capacity             = 100 # Flume's default
    transaction_capacity = 100 # Flume's default
  }

  sink "kafka" "plain" {
    channel                   = "c1"
    brokers                   = ["kafka1:9092", "kafka2:9092"]
    topic                     = "weblogs"
    batch_size                = 100   # Flume's default
    headers_as_record_headers = false # as Flume, which sends only the headers mapped with header.NAME (1.11)
  }

  sink "kafka" "mapped" {
    channel                   = "c2"
    brokers                   = ["kafka1:9092"]
    topic                     = "weblogs-%%{host}"
    batch_size                = 100   # Flume's default
    headers_as_record_headers = false # as Flume, which sends only the headers mapped with header.NAME (1.11)
    record_headers            = { host = "origin-host", timestamp = "event-time" }
  }
}
