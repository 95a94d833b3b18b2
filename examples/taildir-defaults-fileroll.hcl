# Benchmark flow: taildir → memory → file_roll with every setting at its default (bench/run.sh
# -only default), to compare with the tuned taildir-fileroll.hcl: only what has no default is set.
agent "bench" {
  source "taildir" "r1" {
    channels      = ["c1"]
    position_file = env("FLUMEGO_POSITION_FILE", "/tmp/flumego-bench/taildir.json")
    filegroup "bench" {
      path = env("FLUMEGO_TAIL_PATH", "/tmp/flumego-bench/*.log")
    }
  }

  channel "memory" "c1" {}

  sink "file_roll" "k1" {
    channel   = "c1"
    directory = env("FLUMEGO_OUT", "/tmp/flumego-bench/out")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
