# Failover: k1 (priority 10) takes every batch while it is healthy; when it fails, k2 takes
# over at once and k1 is retried after a penalty that doubles up to max_penalty.
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
    directory     = env("FLUMEGO_OUT_1", "/tmp/flumego/primary")
    roll_interval = 0
  }
  sink "file_roll" "k2" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT_2", "/tmp/flumego/standby")
    roll_interval = 0
  }

  sink_group "g1" {
    sinks = ["k1", "k2"]
    processor "failover" {
      priority    = { k1 = 10, k2 = 5 }
      max_penalty = "10s"
    }
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
