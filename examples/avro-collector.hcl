# Collector: receives events from other agents (flumego's or Apache Flume's avro sink) on an
# avro source and writes them to files. Pair it with avro-forwarder.hcl.
agent "collector" {
  source "avro" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_AVRO_PORT", "4141")
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT", "/tmp/flumego/collector")
    roll_interval = 0
    batch_size    = 1000
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
