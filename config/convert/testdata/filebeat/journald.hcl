# Converted from journald.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
  data_dir = "/var/lib/flumego"

  source "journald" "system" {
    # filebeat: filebeat.inputs.0 (line 3): changed: the journal's fields are headers under their
    #   journal names (_SYSTEMD_UNIT, _PID, SYSLOG_IDENTIFIER ...) and MESSAGE is the body, where
    #   Filebeat writes ECS names (systemd.unit, process.pid, message)
    current_boot_only = false # Filebeat reads every boot's entries
    matches           = ["_SYSTEMD_UNIT=sshd.service"]
    channels          = ["queue"]
    interceptor "static" {
      key               = "input.type"
      value             = "journald"
      preserve_existing = false
    }
    interceptor "static" {
      key               = "tags"
      value             = "journal"
      preserve_existing = false
    }
  }

  channel "memory" "queue" {
    capacity = 4096 # Filebeat's queue.mem.events
  }

  sink "kafka" "kafka" {
    channel                   = "queue"
    brokers                   = ["kafka1:9092"]
    topic                     = "journal"
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
