# Benchmark flow: the seq generator into a durable file channel (fsync on every commit) drained
# by the null sink. bench/run.sh sets FLUMEGO_DIR to a temporary directory.
agent "bench" {
  source "seq" "gen" {
    channels   = ["c1"]
    total      = env("FLUMEGO_TOTAL", "1000000")
    batch_size = env("FLUMEGO_BATCH", "1000")
    body_size  = 200
  }

  channel "file" "c1" {
    dir                  = env("FLUMEGO_DIR", "/tmp/flumego-bench-channel")
    capacity             = 1000000
    transaction_capacity = 10000
    fsync                = env("FLUMEGO_FSYNC", "commit")
  }

  sink "null" "k1" {
    channel    = "c1"
    batch_size = env("FLUMEGO_BATCH", "1000")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
