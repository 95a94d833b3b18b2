# Converted from netcat-avro-aggregation.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a2" {
  source "netcat" "r1" {
    bind     = "hadoop103"
    port     = 44444
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 1000
    transaction_capacity = 100
  }

  sink "avro" "k1" {
    channel    = "c1"
    hostname   = "hadoop104"
    port       = 4141
    batch_size = 100 # Flume's default
  }
}
