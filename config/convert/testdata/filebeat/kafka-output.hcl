# Converted from kafka-output.yml (Filebeat) by `agent convert`.
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
      path    = "/var/log/app/*.log"
      headers = { "fields.log_topic" = "app-logs", "fields.id" = "42" }
    }
  }

  channel "memory" "queue" {
    # filebeat: queue.mem.flush.min_events (line 9): not carried over: flumego's sinks take what the
    #   channel holds, up to their batch, without waiting for a batch to fill
    # filebeat: queue.mem.flush.timeout (line 10): not carried over: flumego's sinks take what the
    #   channel holds, up to their batch, without waiting for a batch to fill
    capacity = 8192 # Filebeat's queue.mem.events
  }

  sink "kafka" "kafka" {
    # filebeat: output.kafka.partition (line 18): not carried over: flumego partitions by key
    #   (murmur2, as Kafka's Java client) and spreads keyless records batch by batch
    # filebeat: output.kafka.compression_level (line 22): not carried over: flumego compresses with
    #   each codec's default level
    # filebeat: output.kafka.version (line 27): not carried over: flumego's Kafka client negotiates
    #   the protocol version with each broker
    # filebeat: output.kafka.max_retries (line 28): not carried over: flumego retries a failed batch
    #   with back-off until the brokers take it: events wait in the channel and are not dropped after a
    #   number of tries
    # filebeat: output.kafka.ssl.certificate_authorities (line 29): not carried over: flumego reads
    #   one CA file: ca_file is the first; concatenate the others into it
    # filebeat: output.kafka.ssl.verification_mode (line 32): changed: the brokers' certificates are
    #   not checked (insecure_skip_verify), as with Filebeat's none
    # filebeat: output.kafka.codec.json.pretty (line 37): not carried over: flumego writes each
    #   document on one line, HTML characters unescaped, as Filebeat's defaults
    channel                   = "queue"
    brokers                   = [env("KAFKA_HOST", "kafka1:9093")]
    topic                     = "%%{fields.log_topic}"
    allow_topic_override      = false # Filebeat takes the topic from its topic setting only
    key_header                = "fields.id"
    acks                      = "all"
    compression               = "lz4"
    max_message_bytes         = 2000000
    batch_size                = 4096
    headers_as_record_headers = false # Filebeat sends no record headers
    producer                  = { "client.id" = "edge-7", "request.timeout.ms" = "45000" }
    tls {
      ca_file              = "/etc/pki/ca.pem"
      cert_file            = "/etc/pki/client.pem"
      key_file             = "/etc/pki/client.key"
      insecure_skip_verify = true
    }
    sasl {
      mechanism = "SCRAM-SHA-512"
      username  = env("KAFKA_USER")
      password  = env("KAFKA_PASSWORD")
    }
    serializer "json" {
      preset = "filebeat"
    }
  }

  metrics {
    # filebeat: http (line 11): changed: Filebeat's HTTP endpoint becomes flumego's metrics listener:
    #   /metrics (Prometheus), /metrics.json (Flume's counters), /status and /healthz, not Filebeat's
    #   /stats
    listen = "0.0.0.0:5067"
  }
}
