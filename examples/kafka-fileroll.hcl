# Reading Kafka: kafka source → memory → file_roll. Offsets are committed only after the batch is
# in the channel, so a restart resumes exactly after what was delivered.
agent "a1" {
  source "kafka" "r1" {
    channels       = ["c1"]
    brokers        = [env("FLUMEGO_KAFKA_BROKERS", "localhost:9092")]
    topics         = [env("FLUMEGO_KAFKA_TOPIC", "app-logs")]
    group_id       = env("FLUMEGO_KAFKA_GROUP", "flume")
    start_offset   = "earliest"
    batch_size     = 1000
    batch_duration = "1s"
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT", "/var/log/flumego/from-kafka")
    batch_size    = 1000
    roll_interval = "0"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
