# Converted from filestream.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "edge-7" {
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
  data_dir = "/var/lib/flumego"

  source "taildir" "nginx-access" {
    ecs_headers     = true
    max_line_length = "64KiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "2m"
    poll_interval   = "2s"
    channels        = ["queue"]
    multiline {
      pattern = "^\\d{4}-"
      negate  = true
      match   = "after"
    }
    filegroup "nginx-access" {
      path         = "/var/log/nginx/access.log*"
      headers      = { "input.type" = "filestream" }
      exclude      = ["*.gz"]
      ignore_older = "24h"
    }
  }

  source "taildir" "orders" {
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "orders" {
      path    = "/var/log/orders/*.ndjson"
      headers = { "input.type" = "filestream", body_type = "json" }
    }
  }

  source "taildir" "nginx-access_2" {
    # filebeat: filebeat.inputs.2.parsers.0 (line 30): not carried over: this parser has no flumego
    #   equivalent (multiline, ndjson and container convert)
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "nginx-access_2" {
      path     = "/var/log/nginx/error.log"
      headers  = { "input.type" = "filestream" }
      encoding = "utf-16le"
    }
  }

  channel "memory" "queue" {
    capacity = 4096 # Filebeat's queue.mem.events
  }

  sink "file_roll" "file" {
    # filebeat: output.file.rotate_every_kb (line 35): not carried over: flumego's file_roll names
    #   files docs-<start-millis>-<n> and rolls them by time (roll_interval, 0 = one file per start)
    #   where Filebeat rotates by size (rotate_every_kb, 10 MiB) keeping number_of_files (7): rotate
    #   them with logrotate, or set roll_interval
    # filebeat: output.file.number_of_files (line 36): not carried over: flumego's file_roll names
    #   files docs-<start-millis>-<n> and rolls them by time (roll_interval, 0 = one file per start)
    #   where Filebeat rotates by size (rotate_every_kb, 10 MiB) keeping number_of_files (7): rotate
    #   them with logrotate, or set roll_interval
    # filebeat: output.file.permissions (line 37): not carried over: file_roll creates its files with
    #   mode 0644 less the umask
    channel       = "queue"
    directory     = "/var/lib/filebeat/out"
    prefix        = "docs-"
    roll_interval = "0s"
    serializer "json" {
      preset          = "filebeat"
      name            = "edge-7"
      body_header     = "body_type"
      body_under_root = true
      overwrite_keys  = true
      add_error_key   = true
    }
  }
}
