# Converted from top-level-input-settings.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
  # filebeat: scan_frequency (line 2): not carried over: an input's setting at the top level, where
  #   Filebeat does not read it either: set it under the inputs
  # filebeat: ignore_older (line 3): not carried over: an input's setting at the top level, where
  #   Filebeat does not read it either: set it under the inputs
  data_dir = "/var/lib/flumego"

  source "taildir" "log_1" {
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "log_1" {
      path = "/var/log/app.log"
    }
  }

  channel "memory" "queue" {
    capacity = 4096 # Filebeat's queue.mem.events
  }

  sink "file_roll" "file" {
    # filebeat: output.file (line 7): changed: flumego's file_roll names files
    #   filebeat-<start-millis>-<n> and rolls them by time (roll_interval, 0 = one file per start) where
    #   Filebeat rotates by size (rotate_every_kb, 10 MiB) keeping number_of_files (7): rotate them with
    #   logrotate, or set roll_interval
    channel       = "queue"
    directory     = "/tmp/filebeat"
    prefix        = "filebeat-"
    roll_interval = "0s"
    serializer "json" {
      preset = "filebeat"
    }
  }
}
