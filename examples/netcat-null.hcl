# Benchmark flow: netcat without per-event acknowledgements into the null sink, for MiB/s.
agent "bench" {
  source "netcat" "r1" {
    bind            = "127.0.0.1"
    port            = env("FLUMEGO_PORT", "44444")
    channels        = ["c1"]
    ack_every_event = false
    batch_size      = 1000
    max_line_length = 4096
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 10000
  }

  sink "null" "k1" {
    channel    = "c1"
    batch_size = 1000
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
