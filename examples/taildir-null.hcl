# Benchmark flow: taildir → memory → null, for MiB/s of tailing (bench/run.sh -only taildir).
# Sizes at their defaults; taildir-filechannel-null.hcl is the same flow through a file channel.
agent "bench" {
  source "taildir" "r1" {
    channels      = ["c1"]
    position_file = env("FLUMEGO_POSITION_FILE", "/tmp/flumego-bench/taildir.json")
    filegroup "bench" {
      path = env("FLUMEGO_TAIL_PATH", "/tmp/flumego-bench/*.log")
    }
  }

  channel "memory" "c1" {}

  sink "null" "k1" {
    channel = "c1"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
