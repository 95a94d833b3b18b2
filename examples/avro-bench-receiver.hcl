# Benchmark flow, receiving half: avro source → memory → null (see avro-bench-sender.hcl).
agent "receiver" {
  source "avro" "r1" {
    bind             = "127.0.0.1"
    port             = env("FLUMEGO_AVRO_PORT", "4141")
    channels         = ["c1"]
    compression_type = env("FLUMEGO_COMPRESSION", "none")
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 10000
  }

  sink "null" "k1" {
    channel    = "c1"
    batch_size = 10000
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
