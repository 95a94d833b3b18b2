# Converted from container-log-settings.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
  data_dir = "/var/lib/flumego"

  source "taildir" "container_1" {
    ecs_headers     = true
    max_line_length = "100KiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "1h"
    channels        = ["queue"]
    multiline {
      pattern = "^[[:space:]]"
      match   = "after"
    }
    filegroup "container_1" {
      path    = "/var/log/containers/*.log"
      headers = { "input.type" = "container", body_type = "json" }
      format  = "auto"
    }
  }

  source "taildir" "docker_2" {
    # filebeat: filebeat.inputs.1 (line 14): changed: Filebeat's docker input reads
    #   /var/lib/docker/containers/*/*.log: a container input with format = "docker"
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "docker_2" {
      path    = "/var/lib/docker/containers/*/*.log"
      headers = { "input.type" = "docker" }
      format  = "docker"
    }
    interceptor "regex_filter" {
      header = "stream"
      regex  = "^stderr$"
    }
  }

  source "taildir" "log_3" {
    # filebeat: filebeat.inputs.2.multiline (line 19): changed: multiline type count with count_lines
    #   1 joins nothing: every line is an event, as without multiline
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "log_3" {
      path = "/var/log/audit/*.json"
    }
  }

  channel "memory" "queue" {
    capacity = 4096 # Filebeat's queue.mem.events
  }

  sink "file_roll" "file" {
    # filebeat: output.file (line 21): changed: flumego's file_roll names files
    #   filebeat-<start-millis>-<n> and rolls them by time (roll_interval, 0 = one file per start) where
    #   Filebeat rotates by size (rotate_every_kb, 10 MiB) keeping number_of_files (7): rotate them with
    #   logrotate, or set roll_interval
    channel       = "queue"
    directory     = "/tmp/filebeat"
    prefix        = "filebeat-"
    roll_interval = "0s"
    serializer "json" {
      preset          = "filebeat"
      body_header     = "body_type"
      body_under_root = true
      add_error_key   = true
    }
  }
}
