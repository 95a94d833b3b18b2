# Benchmark flow: taildir → durable file channel → null (bench/run.sh -only taildir): the flow
# of taildir-null.hcl through a file channel, sizes at their defaults.
agent "bench" {
  source "taildir" "r1" {
    channels      = ["c1"]
    position_file = env("FLUMEGO_POSITION_FILE", "/tmp/flumego-bench/taildir.json")
    filegroup "bench" {
      path = env("FLUMEGO_TAIL_PATH", "/tmp/flumego-bench/*.log")
    }
  }

  channel "file" "c1" {
    dir = env("FLUMEGO_DIR", "/tmp/flumego-bench/channel") # fsync = "commit", the default
  }

  sink "null" "k1" {
    channel = "c1"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
