# Benchmark flow: taildir → memory → file_roll (bench/run.sh -only taildir). Set
# FLUMEGO_FSYNC=false to measure without an fsync per batch.
agent "bench" {
  source "taildir" "r1" {
    channels      = ["c1"]
    position_file = env("FLUMEGO_POSITION_FILE", "/tmp/flumego-bench/taildir.json")
    batch_size    = 1000
    filegroup "bench" {
      path = env("FLUMEGO_TAIL_PATH", "/tmp/flumego-bench/*.log")
    }
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 10000
  }

  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT", "/tmp/flumego-bench/out")
    batch_size    = 10000
    roll_interval = 0
    fsync         = env("FLUMEGO_FSYNC", "true")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
