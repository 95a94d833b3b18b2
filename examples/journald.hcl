# The systemd journal of a host → file channel → file_roll. The journald source runs
# `journalctl --follow --output=export` (the agent needs root or the systemd-journal group) and
# saves its cursor only after a batch is in the channel, so a restart resumes where delivery
# stopped. Here it keeps two units' entries; drop `units` to ship everything.
agent "a1" {
  source "journald" "journal" {
    channels          = ["durable"]
    directory         = env("FLUMEGO_JOURNAL_DIR", "") # "": the system's journal
    units             = ["nginx.service", "ssh.service"]
    current_boot_only = true
    since_now         = false # a first start reads this boot's journal from its beginning
    exclude_fields    = ["_CAP_EFFECTIVE", "_SELINUX_CONTEXT", "_STREAM_ID"]
    cursor_file       = env("FLUMEGO_CURSOR_FILE", "/var/lib/flumego/journald-journal.cursor")
    batch_size        = 500
    max_field_bytes   = "1MiB"
  }

  channel "file" "durable" {
    dir = env("FLUMEGO_CHANNEL_DIR", "/var/lib/flumego/journal-channel")
  }

  sink "file_roll" "out" {
    channel    = "durable"
    directory  = env("FLUMEGO_OUT", "/var/log/flumego/journal")
    batch_size = 500
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
