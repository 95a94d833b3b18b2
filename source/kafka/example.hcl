# kafka source examples: paste a block into an agent "..." { } block.

# Flume's defaults, written out.
source "kafka" "r1" {
  channels               = ["c1"]
  brokers                = ["kafka1:9092", "kafka2:9092"]
  topics                 = ["app-logs"]
  group_id               = "flume"
  batch_size             = 1000
  batch_duration         = "1s"
  set_topic_header       = true
  topic_header           = "topic"
  use_flume_event_format = false
  start_offset           = "latest"  # where a new group starts: "earliest" or "latest"
}

# Every topic named audit-*, from the beginning for a new group, over TLS with SASL/PLAIN.
source "kafka" "r2" {
  channels     = ["c1"]
  brokers      = ["kafka1:9093"]
  topics_regex = "^audit-.*"
  group_id     = "flumego-audit"
  start_offset = "earliest"
  tls {
    ca_file = "/etc/flumego/kafka-ca.pem"
  }
  sasl {
    mechanism = "PLAIN"
    username  = "flume"
    password  = "change-me"
  }
}
