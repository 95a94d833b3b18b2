# Converted from prospectors-6x.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
  # filebeat: filebeat.prospectors (line 4): changed: Filebeat 6's name for filebeat.inputs: read as
  #   inputs
  # filebeat: filebeat.prospectors.0.document_type (line 7): not carried over: Filebeat 5's
  #   document_type (the type field) is gone since Filebeat 6, which ignores it: add type under fields
  #   if a pipeline keys on it
  # filebeat: filebeat.prospectors.1 (line 11): not carried over: the log input is not enabled
  #   (enabled: false): left out, as Filebeat leaves it
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
  # filebeat: filebeat.config.prospectors.path (line 15): not carried over: inputs loaded from other
  #   files are not read: convert those files (or paste their inputs under filebeat.inputs)
  # filebeat: filebeat.registry_file (line 16): not carried over: flumego keeps file positions in
  #   data_dir, not Filebeat's registry
  # filebeat: filebeat.max_procs (line 17): not carried over: set GOMAXPROCS in the agent's
  #   environment
  data_dir = "/var/lib/flumego"

  source "taildir" "log_1" {
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    multiline {
      pattern = "^\\["
      negate  = true
      match   = "after"
    }
    filegroup "log_1" {
      path = "/var/log/app/*.log"
    }
  }

  channel "memory" "queue" {
    capacity = 4096 # Filebeat's queue.mem.events
  }

  sink "file_roll" "file" {
    # filebeat: output.file (line 18): changed: flumego's file_roll names files
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
