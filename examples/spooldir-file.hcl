# Spooling directory: spooldir → durable file channel → file_roll. Drop finished files into the
# spool directory (write them elsewhere, then rename them in); each is read once and renamed
# to NAME.COMPLETED once all its lines are in the channel (or deleted, or tracked).
agent "a1" {
  source "spooldir" "r1" {
    channels        = ["durable"]
    spool_dir       = env("FLUMEGO_SPOOL_DIR", "/var/spool/flumego")
    delete_policy   = env("FLUMEGO_DELETE_POLICY", "never")
    tracking_policy = env("FLUMEGO_TRACKING_POLICY", "rename")
    ignore_pattern  = "\\.tmp$"
    batch_size      = 100
    poll_delay      = "100ms"
  }

  channel "file" "durable" {
    dir                    = env("FLUMEGO_CHANNEL_DIR", "/var/lib/flumego/spool-channel")
    capacity               = 1000000
    transaction_capacity   = 1000
    minimum_required_space = env("FLUMEGO_MIN_SPACE", "512MiB")
  }

  sink "file_roll" "k1" {
    channel       = "durable"
    directory     = env("FLUMEGO_OUT", "/var/log/flumego/spool")
    batch_size    = 1000
    roll_interval = "1h"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
