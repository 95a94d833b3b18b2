# Converted from netcat-load-balance.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "netcat" "r1" {
    bind     = "localhost"
    port     = 44444
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 1000
    transaction_capacity = 100
  }

  sink "avro" "k1" {
    channel    = "c1"
    hostname   = "hadoop102"
    port       = 4141
    batch_size = 100 # Flume's default
  }

  sink "avro" "k2" {
    channel    = "c1"
    hostname   = "hadoop102"
    port       = 4142
    batch_size = 100 # Flume's default
  }

  sink_group "g1" {
    sinks = ["k1", "k2"]
    processor "load_balance" {
      backoff  = true
      selector = "random"
    }
  }
}
