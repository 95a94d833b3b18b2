# Replicate: every line goes into both channels, and each channel's file_roll sink writes all
# of them (Flume's replicating selector, its default).
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["c1", "c2"]
    selector "replicating" {}
  }

  channel "memory" "c1" {
    capacity             = 10000
    transaction_capacity = 1000
  }
  channel "memory" "c2" {
    capacity             = 10000
    transaction_capacity = 1000
  }

  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT_1", "/tmp/flumego/copy1")
    roll_interval = "1m"
  }
  sink "file_roll" "k2" {
    channel       = "c2"
    directory     = env("FLUMEGO_OUT_2", "/tmp/flumego/copy2")
    roll_interval = "1m"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
