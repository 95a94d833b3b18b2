# Converted from log-input.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
  # filebeat: filebeat.inputs.2 (line 38): not carried over: the log input is not enabled (enabled:
  #   false): left out, as Filebeat leaves it
  # filebeat: filebeat.inputs.3 (line 41): not carried over: Filebeat's stdin input has no flumego
  #   equivalent (log, filestream, container, docker and journald inputs convert)
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
  data_dir = "/var/lib/flumego"

  source "taildir" "log_1" {
    # filebeat: filebeat.inputs.0.exclude_files (line 8): not carried over: the exclude_files
    #   expression "tmp" has no exact glob: write it as an exclude glob by hand (a name without / is
    #   matched against the base name, one with / against the path)
    # filebeat: filebeat.inputs.0.close_renamed (line 23): not carried over: flumego's taildir source
    #   follows a renamed or removed file for rotate_wait (5s) after it stops growing, and closes idle
    #   files after idle_timeout
    # filebeat: filebeat.inputs.0.clean_inactive (line 24): not carried over: flumego forgets a file's
    #   position once the file is gone and keeps it while it exists
    # filebeat: filebeat.inputs.0.backoff (line 25): not carried over: flumego's taildir source learns
    #   of new lines from file change notifications, with poll_interval as the fallback
    # filebeat: filebeat.inputs.0.multiline.flush_pattern (line 31): not carried over: no flumego
    #   equivalent: lines are joined by pattern, match, max_lines and timeout
    ecs_headers     = true
    max_line_length = "1MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "10m"
    poll_interval   = "5s"
    skip_to_end     = true
    max_open_files  = 64
    channels        = ["queue"]
    multiline {
      pattern   = "^\\["
      negate    = true
      match     = "after"
      max_lines = 200
      timeout   = "3s"
    }
    filegroup "log_1_1" {
      path         = "/var/log/app/*.log"
      headers      = { "fields.env" = "prod", "fields.team.name" = "payments", tags = "app,prod" }
      exclude      = ["*.gz", "*?bak", "/var/log/app/debug.log"]
      ignore_older = "48h"
      encoding     = "iso-8859-1"
    }
    filegroup "log_1_2" {
      path         = "/var/log/app/**/audit-*.log"
      headers      = { "fields.env" = "prod", "fields.team.name" = "payments", tags = "app,prod" }
      exclude      = ["*.gz", "*?bak", "/var/log/app/debug.log"]
      ignore_older = "48h"
      encoding     = "iso-8859-1"
    }
    interceptor "regex_filter" {
      regex          = "(?:^ERR)|(?:^WARN)"
      exclude_events = false
    }
    interceptor "regex_filter" {
      regex          = "(?:^DBG)"
      exclude_events = true
    }
  }

  source "taildir" "log_2" {
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "log_2" {
      path = "/var/log/orders/*.json"
    }
    interceptor "json" {
      # filebeat: filebeat.inputs.1.json (line 34): changed: the decoded fields become headers
      #   json.NAME, written as strings (a number or a nested object is its JSON text); the line stays
      #   the message
      target         = "json"
      overwrite_keys = true
      add_error_key  = true
      message_key    = "msg"
    }
  }

  channel "memory" "queue" {
    capacity = 4096 # Filebeat's queue.mem.events
  }

  sink "kafka" "kafka" {
    channel                   = "queue"
    brokers                   = ["kafka1:9092"]
    topic                     = "logs"
    allow_topic_override      = false # Filebeat takes the topic from its topic setting only
    key_header                = ""    # Filebeat sends keyless records unless key is set
    acks                      = "1"
    compression               = "gzip"
    max_message_bytes         = 1000000
    batch_size                = 2048
    headers_as_record_headers = false # Filebeat sends no record headers
    serializer "json" {
      preset = "filebeat"
    }
  }
}
