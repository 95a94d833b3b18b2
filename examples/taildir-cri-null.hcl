# Benchmark flow: taildir with format = "cri" → memory → null, the cost of parsing container
# logs against taildir-null.hcl (bench/run.sh -only cri).
agent "bench" {
  source "taildir" "r1" {
    channels      = ["c1"]
    position_file = env("FLUMEGO_POSITION_FILE", "/tmp/flumego-bench/taildir.json")
    batch_size    = 1000
    filegroup "bench" {
      path   = env("FLUMEGO_TAIL_PATH", "/tmp/flumego-bench/*.log")
      format = "cri"
    }
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
