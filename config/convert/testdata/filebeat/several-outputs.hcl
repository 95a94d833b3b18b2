# Converted from several-outputs.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
  # filebeat: output.kafka (line 14): not carried over: Filebeat runs one output and refuses a file
  #   that enables several: the sink is output.file's
  # filebeat: output.logstash (line 7): not carried over: flumego has no Logstash (Beats protocol)
  #   output: send to Kafka and read it with Logstash's kafka input, whose codec => json reads the same
  #   documents: the sink is output.file's (Filebeat refuses a file that enables several outputs)
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
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
    # filebeat: output.file (line 12): changed: flumego's file_roll names files
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
