# Benchmark and everyday flow: taildir → memory → hdfs (file://), daily directories by the
# agent's clock, compressed as FLUMEGO_CODEC says (zstd by default).
agent "a1" {
  source "taildir" "r1" {
    channels      = ["c1"]
    position_file = env("FLUMEGO_POSITION_FILE", "/var/lib/flumego/taildir-hdfs.json")
    batch_size    = 1000

    filegroup "app" {
      path = env("FLUMEGO_TAIL_PATH", "/var/log/app/*.log")
    }
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 5000
  }

  sink "hdfs" "k1" {
    channel             = "c1"
    batch_size          = 5000
    path                = env("FLUMEGO_HDFS_PATH", "file:///var/lib/flumego/app/%Y-%m-%d")
    use_local_timestamp = true
    codec               = env("FLUMEGO_CODEC", "zstd")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
