# Choosing files as Filebeat's log input does: "**" matches any depth of directories, rotated
# and compressed files are left out by name, files nobody wrote to for a day are not opened at
# start-up (they are read from their end once written again), and a legacy application's
# UTF-16 log is decoded to UTF-8.
agent "a1" {
  source "taildir" "r1" {
    channels      = ["c1"]
    position_file  = env("FLUMEGO_POSITION_FILE", "/var/lib/flumego/taildir-selection.json")
    max_open_files = env("FLUMEGO_MAX_OPEN_FILES", "1000")

    filegroup "apps" {
      path         = env("FLUMEGO_TAIL_PATH", "/var/log/apps/**/*.log*")
      exclude      = ["*.gz", "*.[0-9]"]
      ignore_older = "24h"
    }
    filegroup "legacy" {
      path     = env("FLUMEGO_LEGACY_PATH", "/var/log/legacy/*.log")
      encoding = "utf-16le"
    }
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "file_roll" "k1" {
    channel       = "c1"
    batch_size    = 1000
    directory     = env("FLUMEGO_OUT", "/var/log/flumego/selection")
    roll_interval = 0
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
