# kafka sink examples: paste a block into an agent "..." { } block.

# Flume's defaults, written out.
sink "kafka" "k1" {
  channel                   = "c1"
  batch_size                = 100                  # Flume's flumeBatchSize
  brokers                   = ["kafka1:9092", "kafka2:9092"]
  topic                     = "default-flume-topic" # "%%{name}" (HCL for %{name}): the event's header
  allow_topic_override      = true                 # the "topic" header, when present, wins
  topic_header              = "topic"
  key_header                = "key"                # the record key
  acks                      = "1"                  # "0", "1" or "all"
  compression               = "none"               # gzip, snappy, lz4, zstd
  linger                    = "0s"
  max_message_bytes         = "1MiB"
  oversize                  = "drop"               # refused for good (on_permanent_error); or "truncate"
  headers_as_record_headers = true
  use_flume_event_format    = false
}

# Durable and compact: every in-sync replica acknowledges (idempotent producer), zstd, topic per
# service, partition chosen by header, TLS with client certificates and SCRAM.
sink "kafka" "k2" {
  channel                = "c1"
  batch_size             = 1000
  brokers                = ["kafka1:9093"]
  topic                  = "logs-%%{service}"  # HCL: %%{ writes %{
  fallback_topic         = "logs-unrouted"     # events without a service header; without it they are refused for good
  acks                   = "all"
  idempotent             = true
  compression            = "zstd"
  partition_id_header    = "partition"
  default_partition_id   = 0
  use_flume_event_format = true
  # Only these event headers go along, as record headers under their Kafka names (Flume
  # 1.11's header.NAME = KAFKA_NAME).
  headers_as_record_headers = false
  record_headers            = { host = "origin-host" }
  tls {
    ca_file   = "/etc/flumego/kafka-ca.pem"
    cert_file = "/etc/flumego/client.pem"
    key_file  = "/etc/flumego/client-key.pem"
  }
  sasl {
    mechanism = "SCRAM-SHA-512"
    username  = "flume"
    password  = "change-me"
  }
  producer = {
    "client.id"           = "flumego-edge"
    "delivery.timeout.ms" = "30000"
  }
}

# JSON documents as Filebeat's Kafka output writes them, for a Logstash `kafka { codec => json }`
# input: topic from a header, the record time from the event's "timestamp" header, no record
# headers (Filebeat sends none). See the README's Serializers and examples/filebeat-kafka.hcl.
sink "kafka" "k3" {
  channel                   = "c1"
  brokers                   = ["kafka1:9092"]
  topic                     = "%%{fields.log_topic}"
  headers_as_record_headers = false
  serializer "json" {
    preset = "filebeat"
  }
}
