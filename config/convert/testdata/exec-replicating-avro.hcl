# Converted from exec-replicating-avro.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "exec" "r1" {
    command    = "tail -F /opt/module/hive/logs/hive.log"
    shell      = "/bin/bash -c"
    batch_size = 20 # Flume's default
    channels   = ["c1", "c2"]
    selector "replicating" {}
  }

  channel "memory" "c1" {
    capacity             = 1000
    transaction_capacity = 100
  }

  channel "memory" "c2" {
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
    channel    = "c2"
    hostname   = "hadoop102"
    port       = 4142
    batch_size = 100 # Flume's default
  }
}
