# Converted from netcat-kafka.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "netcat" "r1" {
    bind     = "localhost"
    port     = 33333
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 1000000
    transaction_capacity = 1000000
  }

  sink "kafka" "k1" {
    channel                   = "c1"
    topic                     = "test"
    brokers                   = ["localhost:9092"]
    acks                      = "1"
    batch_size                = 20
    headers_as_record_headers = false # as Flume, which sends only the headers mapped with header.NAME (1.11)
  }
}
