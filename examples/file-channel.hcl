# Durable flow: netcat → file channel → file_roll. A line answered "OK" is on disk in the
# channel; it survives kill -9 and a power cut and is written out after the restart.
agent "a1" {
  source "netcat" "r1" {
    bind       = "127.0.0.1"
    port       = env("FLUMEGO_PORT", "44444")
    channels   = ["durable"]
    batch_size = 100
  }

  channel "file" "durable" {
    dir                    = env("FLUMEGO_CHANNEL_DIR", "/var/lib/flumego/durable")
    capacity               = 1000000
    transaction_capacity   = 1000
    fsync                  = "commit"
    minimum_required_space = env("FLUMEGO_MIN_SPACE", "512MiB")
  }

  sink "file_roll" "k1" {
    channel       = "durable"
    directory     = env("FLUMEGO_OUT", "/var/log/flumego/out")
    batch_size    = env("FLUMEGO_SINK_BATCH", "100")
    roll_interval = "1m"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
