# Converted from exec-avro-aggregation.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "exec" "r1" {
    command    = "tail -F /opt/module/group.log"
    shell      = "/bin/bash -c"
    batch_size = 20 # Flume's default
    channels   = ["c1"]
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
