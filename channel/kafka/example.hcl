# kafka channel examples: paste a block into an agent "..." { } block.

# Flume's KafkaChannel defaults, written out, with flumego's transaction limit.
channel "kafka" "k1" {
  brokers              = ["kafka1:9092", "kafka2:9092"]
  topic                = "flume-channel"
  group_id             = "flume"
  parse_as_flume_event = true     # values are Avro Flume events (headers and body)
  acks                 = "all"
  compression          = "none"
  poll_timeout         = "500ms"
  capacity             = 0        # 0: unbounded, the topic's retention is the limit
  transaction_capacity = 10000
  keep_alive           = "3s"
}

# A bounded channel shared by several agents over TLS: at most 100000 events put by this agent
# and not yet taken.
channel "kafka" "shared" {
  brokers              = ["kafka1:9093"]
  topic                = "edge-buffer"
  group_id             = "edge-agents"
  compression          = "lz4"
  capacity             = 100000
  transaction_capacity = 1000
  tls {
    ca_file = "/etc/flumego/kafka-ca.pem"
  }
}
