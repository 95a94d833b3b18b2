# Converted from avro-logger.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a2" {
  source "avro" "r1" {
    bind     = "hadoop102"
    port     = 4141
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 1000
    transaction_capacity = 100
  }

  sink "logger" "k1" {
    channel    = "c1"
    batch_size = 1 # Flume's default
  }
}
