# Durable flow into HDFS-style hourly directories: netcat → file channel → hdfs (file://, a
# local disk or HDFS mounted through its NFS gateway or FUSE). Each line's own time (a leading
# "2024-03-05 07:13:00") becomes the timestamp header that buckets it, as in the field
# configuration hdfs://hadoop102:9820/flume2/%Y%m%d%H with hourly rounding. A batch is committed
# only once it is fsynced; files are renamed from .tmp when rolled, and a kill -9 leaves nothing
# in use after the next start.
agent "a1" {
  source "netcat" "r1" {
    bind       = "127.0.0.1"
    port       = env("FLUMEGO_PORT", "44444")
    channels   = ["durable"]
    batch_size = 100

    interceptor "regex_extractor" {
      regex = "^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d) "
      serializer "ts" {
        name    = "timestamp"
        type    = "millis"
        pattern = "yyyy-MM-dd HH:mm:ss"
      }
    }
  }

  channel "file" "durable" {
    dir                    = env("FLUMEGO_CHANNEL_DIR", "/var/lib/flumego/hdfs-channel")
    capacity               = 1000000
    transaction_capacity   = 1000
    minimum_required_space = env("FLUMEGO_MIN_SPACE", "512MiB")
  }

  sink "hdfs" "k1" {
    channel       = "durable"
    batch_size    = env("FLUMEGO_SINK_BATCH", "1000")
    path          = env("FLUMEGO_HDFS_PATH", "file:///var/lib/flumego/flume2/%Y%m%d%H")
    file_prefix   = "flume2-"
    round         = true
    round_value   = 1
    round_unit    = "hour"
    time_zone     = "UTC"
    codec         = env("FLUMEGO_CODEC", "")   # gzip, zstd, snappy, lz4; "" writes plain text
    roll_interval = env("FLUMEGO_ROLL_INTERVAL", "1h")
    roll_size     = env("FLUMEGO_ROLL_SIZE", "128MiB")
    roll_count    = env("FLUMEGO_ROLL_COUNT", "0")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
