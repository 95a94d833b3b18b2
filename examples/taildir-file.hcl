# Durable file tailing: taildir → file channel → file_roll. Every line of the matched files
# arrives once, through rename and copytruncate rotation, truncation and deletion; after a
# kill -9 only the batch in flight can come twice. Positions are in Flume's JSON format, so a
# Flume TAILDIR position file can be pointed at on migration.
agent "a1" {
  source "taildir" "r1" {
    channels           = ["durable"]
    position_file      = env("FLUMEGO_POSITION_FILE", "/var/lib/flumego/taildir-r1.json")
    batch_size         = 500
    max_open_files     = env("FLUMEGO_MAX_OPEN_FILES", "1000")
    idle_timeout       = env("FLUMEGO_IDLE_TIMEOUT", "120s")
    rotate_wait        = env("FLUMEGO_ROTATE_WAIT", "5s")
    write_pos_interval = "3s"

    filegroup "app" {
      path    = env("FLUMEGO_TAIL_PATH", "/var/log/app/*.log")
      headers = { service = "app" }
    }
  }

  channel "file" "durable" {
    dir                    = env("FLUMEGO_CHANNEL_DIR", "/var/lib/flumego/taildir-channel")
    capacity               = 1000000
    transaction_capacity   = 1000
    minimum_required_space = env("FLUMEGO_MIN_SPACE", "512MiB")
  }

  sink "file_roll" "k1" {
    channel       = "durable"
    directory     = env("FLUMEGO_OUT", "/var/log/flumego/taildir")
    batch_size    = 1000
    roll_interval = "1h"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
