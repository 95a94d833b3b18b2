# A crawler drops finished CSV files; every line (the header line too) becomes an event that
# carries the file's path and name, printed by the logger sink.
agent "a1" {
  source "spooldir" "crawl" {
    channels        = ["c1"]
    spool_dir       = env("FLUMEGO_SPOOL_DIR", "/var/spool/crawler")
    include_pattern = "\\.csv$"
    file_header     = true
    basename_header = true
    poll_delay      = "100ms"
  }

  channel "memory" "c1" {
    capacity             = 10000
    transaction_capacity = 100
  }

  sink "logger" "k1" {
    channel          = "c1"
    max_bytes_to_log = 256
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
