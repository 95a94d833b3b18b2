# Load balancing: batches alternate between k1 and k2 (round_robin); a sink that fails is
# skipped, and with backoff it is left out for a growing time up to max_timeout.
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 10000
    transaction_capacity = 1000
  }

  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT_1", "/tmp/flumego/lb1")
    roll_interval = 0
  }
  sink "file_roll" "k2" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT_2", "/tmp/flumego/lb2")
    roll_interval = 0
  }

  sink_group "g1" {
    sinks = ["k1", "k2"]
    processor "load_balance" {
      selector    = "round_robin"
      backoff     = true
      max_timeout = "10s"
    }
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
