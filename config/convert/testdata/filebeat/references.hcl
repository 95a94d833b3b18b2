# Converted from references.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
  # filebeat: output.file.path (line 14): changed: ${path.data} is the setting path.data:
  #   "/opt/filebeat/data" (Filebeat resolves a reference against its settings before the environment)
  # filebeat: filebeat.inputs.0.fields.host (line 10): changed: the default of
  #   ${FILEBEAT_HOST:${HOSTNAME}} is itself a reference, which env() cannot take: env("FILEBEAT_HOST")
  #   has no default
  # filebeat: filebeat.inputs.0.paths.0 (line 7): changed: ${path.home} is the setting path.home:
  #   "/opt/filebeat" (Filebeat resolves a reference against its settings before the environment)
  # filebeat: filebeat.inputs.0.paths.1 (line 8): changed: ${path.logs} is the setting path.logs:
  #   "/opt/filebeat/logs" (Filebeat resolves a reference against its settings before the environment)
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
  # filebeat: path.home (line 3): not carried over: flumego has no home directory: data_dir holds its
  #   state
  data_dir = "/var/lib/flumego"

  source "taildir" "log_1" {
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "log_1_1" {
      path    = "/opt/filebeat/logs/*.log"
      headers = { "fields.host" = env("FILEBEAT_HOST"), "fields.user" = env("KAFKA_USER"), "fields.literal" = "$${NOT_A_REFERENCE}" }
    }
    filegroup "log_1_2" {
      path    = "/opt/filebeat/logs/filebeat*"
      headers = { "fields.host" = env("FILEBEAT_HOST"), "fields.user" = env("KAFKA_USER"), "fields.literal" = "$${NOT_A_REFERENCE}" }
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
    directory     = "/opt/filebeat/data/out"
    prefix        = "filebeat-"
    roll_interval = "0s"
    serializer "json" {
      preset = "filebeat"
      name   = env("AGENT_NAME", "edge-1")
    }
  }
}
