# A Kafka topic as the channel (Flume's KafkaChannel): netcat → kafka channel → file_roll. The
# events survive the agent in the topic; several agents may share it through group_id.
agent "a1" {
  source "netcat" "r1" {
    bind       = "127.0.0.1"
    port       = env("FLUMEGO_PORT", "44444")
    channels   = ["k"]
    batch_size = 100
  }

  channel "kafka" "k" {
    brokers              = [env("FLUMEGO_KAFKA_BROKERS", "localhost:9092")]
    topic                = env("FLUMEGO_KAFKA_TOPIC", "flume-channel")
    group_id             = "flume"
    parse_as_flume_event = true
    transaction_capacity = 1000
  }

  sink "file_roll" "k1" {
    channel       = "k"
    directory     = env("FLUMEGO_OUT", "/var/log/flumego/out")
    batch_size    = 100
    roll_interval = "0"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
