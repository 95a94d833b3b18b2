# Converted from drop-fields.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
  data_dir = "/var/lib/flumego"

  source "taildir" "app" {
    # filebeat: filebeat.inputs.0.json (line 8): not carried over: filestream has no json settings, so
    #   Filebeat does not decode these lines either: decode them with parsers: [ndjson: {...}]
    # filebeat: filebeat.inputs.0.processors.0.drop_fields.fields.0 (line 11): not carried over: agent
    #   is written by the filebeat serializer itself, not an event header an interceptor could remove
    # filebeat: filebeat.inputs.0.processors.0.drop_fields.fields.1 (line 11): not carried over: ecs
    #   is written by the filebeat serializer itself, not an event header an interceptor could remove
    # filebeat: filebeat.inputs.0.processors.0.drop_fields.fields.2 (line 11): not carried over: host
    #   is written by the filebeat serializer itself, not an event header an interceptor could remove
    # filebeat: filebeat.inputs.0.processors.0.drop_fields.fields.3 (line 11): not carried over: input
    #   is written by the filebeat serializer itself, not an event header an interceptor could remove
    # filebeat: filebeat.inputs.0.processors.0.drop_fields.fields.5 (line 11): not carried over:
    #   @metadata is written by the filebeat serializer itself, not an event header an interceptor could
    #   remove
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "app" {
      path    = "/var/log/app.log"
      headers = { "input.type" = "filestream" }
    }
    interceptor "remove_header" {
      from_list = "log,fields.tmp"
      matching  = "(?:log|fields\\.tmp)\\..+"
    }
  }

  channel "memory" "queue" {
    capacity = 4096 # Filebeat's queue.mem.events
  }

  sink "file_roll" "file" {
    # filebeat: output.file (line 13): changed: flumego's file_roll names files
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
