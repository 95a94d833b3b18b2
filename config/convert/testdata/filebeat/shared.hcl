# Converted from shared.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "web1" {
  # filebeat: path.data (line 20): changed: flumego keeps its file positions and agent.id in data_dir,
  #   not in Filebeat's registry: it does not read the registry, so every file is read again from its
  #   start once (set skip_to_end = true on a source to start at the end instead)
  # filebeat: path.logs (line 21): not carried over: flumego logs to standard error
  # filebeat: logging.level (line 22): not carried over: flumego logs to standard error in its own
  #   format: choose the level with `agent --log-level` and the format with --log-format
  data_dir = "/data/data"

  source "taildir" "log_1" {
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "log_1" {
      path    = "/data/in/app.log"
      headers = { "fields.log_topic" = "app-web", "fields.env" = "prod" }
    }
  }

  source "taildir" "log_2" {
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    multiline {
      pattern = "^\\d{4}-\\d{2}-\\d{2} "
      negate  = true
      match   = "after"
    }
    filegroup "log_2" {
      path    = "/data/in/java.log"
      headers = { service = "billing" }
    }
  }

  source "taildir" "log_3" {
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "log_3" {
      path    = "/data/in/json.log"
      headers = { body_type = "json" }
    }
  }

  source "taildir" "fs1" {
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "fs1" {
      path    = "/data/in/app.log"
      headers = { "input.type" = "filestream", tags = "web" }
    }
  }

  channel "memory" "queue" {
    capacity = 4096 # Filebeat's queue.mem.events
  }

  sink "file_roll" "file" {
    # filebeat: output.file (line 24): changed: flumego's file_roll names files
    #   events-<start-millis>-<n> and rolls them by time (roll_interval, 0 = one file per start) where
    #   Filebeat rotates by size (rotate_every_kb, 10 MiB) keeping number_of_files (7): rotate them with
    #   logrotate, or set roll_interval
    channel       = "queue"
    directory     = "/data/out"
    prefix        = "events-"
    roll_interval = "0s"
    serializer "json" {
      preset          = "filebeat"
      name            = "web1"
      body_header     = "body_type"
      body_under_root = true
      add_error_key   = true
    }
  }
}
