# Converted from kafka-hosts-env.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
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

  sink "kafka" "kafka" {
    # filebeat: output.kafka.hosts (line 6): changed: Filebeat splits a comma-separated value of
    #   ${KAFKA_HOSTS:kafka:9092} into several hosts; brokers takes it as one host:port: list the
    #   brokers if it holds several
    channel                   = "queue"
    brokers                   = [env("KAFKA_HOSTS", "kafka:9092")]
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
