# Benchmark flow: the seq generator into a memory channel drained by the null sink. Change
# FLUMEGO_BATCH (1, 100, 1000) and FLUMEGO_TOTAL to measure; bench/run.sh does.
agent "bench" {
  source "seq" "gen" {
    channels   = ["c1"]
    total      = env("FLUMEGO_TOTAL", "10000000")
    batch_size = env("FLUMEGO_BATCH", "1000")
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 10000
  }

  sink "null" "k1" {
    channel    = "c1"
    batch_size = env("FLUMEGO_BATCH", "1000")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
