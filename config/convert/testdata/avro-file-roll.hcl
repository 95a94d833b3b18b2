# Converted from avro-file-roll.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a3" {
  source "avro" "r1" {
    bind     = "hadoop102"
    port     = 4142
    channels = ["c2"]
  }

  channel "memory" "c2" {
    capacity             = 1000
    transaction_capacity = 100
  }

  sink "file_roll" "k1" {
    channel    = "c2"
    directory  = "/opt/module/data/flume3"
    batch_size = 100 # Flume's default
  }
}
