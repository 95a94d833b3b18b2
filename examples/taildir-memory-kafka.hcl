# Fast log shipping: taildir → memory channel → Kafka (what a kill -9 leaves in memory is read
# again from the files, since positions advance only with the puts: duplicates, not loss,
# unless the files were rotated away meanwhile).
agent "a1" {
  source "taildir" "r1" {
    channels      = ["c1"]
    position_file = env("FLUMEGO_POSITION_FILE", "/var/lib/flumego/taildir-kafka.json")
    batch_size    = env("FLUMEGO_SOURCE_BATCH", "1000")

    filegroup "app" {
      path = env("FLUMEGO_TAIL_PATH", "/var/log/app/*.log")
    }
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 10000
  }

  sink "kafka" "k1" {
    channel     = "c1"
    brokers     = [env("FLUMEGO_KAFKA_BROKERS", "localhost:9092")]
    topic       = env("FLUMEGO_KAFKA_TOPIC", "app-logs")
    acks        = env("FLUMEGO_KAFKA_ACKS", "1")
    compression = env("FLUMEGO_KAFKA_COMPRESSION", "none")
    batch_size  = env("FLUMEGO_SINK_BATCH", "10000")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
