# Benchmark flow, sending half: seq (150-byte bodies) → memory → avro sink, to
# avro-bench-receiver.hcl. FLUMEGO_BATCH, FLUMEGO_COMPRESSION and FLUMEGO_IN_FLIGHT vary the hop.
agent "sender" {
  source "seq" "r1" {
    channels   = ["c1"]
    total      = env("FLUMEGO_TOTAL", "5000000")
    batch_size = 1000
    body_size  = 150
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 10000
  }

  sink "avro" "k1" {
    channel          = "c1"
    hostname         = "127.0.0.1"
    port             = env("FLUMEGO_AVRO_PORT", "4141")
    batch_size       = env("FLUMEGO_BATCH", "1000")
    compression_type = env("FLUMEGO_COMPRESSION", "none")
    max_in_flight    = env("FLUMEGO_IN_FLIGHT", "1")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41415")
  }
}
