# netcat → memory → hdfs through WebHDFS (a namenode's REST API, or an HttpFS gateway):
# gzip-compressed hourly files by the agent's clock. Each batch is one APPEND, so keep
# batches large.
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "hdfs" "k1" {
    channel             = "c1"
    batch_size          = 1000
    path                = env("FLUMEGO_HDFS_PATH", "webhdfs://namenode:9870/flume/%Y%m%d%H")
    user                = env("FLUMEGO_HDFS_USER", "flume")
    use_local_timestamp = true
    codec               = "gzip"
    roll_size           = "128MiB"
    roll_interval       = "1h"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
