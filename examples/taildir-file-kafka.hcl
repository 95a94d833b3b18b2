# Durable log shipping: taildir → file channel → Kafka. A line is in the topic once; after a
# kill -9 of the agent only the batch in flight can arrive twice. acks = "all" with the
# idempotent producer: a record acknowledged is on every in-sync replica.
agent "a1" {
  source "taildir" "r1" {
    channels      = ["durable"]
    position_file = env("FLUMEGO_POSITION_FILE", "/var/lib/flumego/taildir-kafka.json")
    batch_size    = env("FLUMEGO_SOURCE_BATCH", "1000")

    filegroup "app" {
      path    = env("FLUMEGO_TAIL_PATH", "/var/log/app/*.log")
      headers = { service = "app" }
    }
  }

  channel "file" "durable" {
    dir                    = env("FLUMEGO_CHANNEL_DIR", "/var/lib/flumego/taildir-kafka")
    capacity               = 1000000
    transaction_capacity   = 10000
    fsync                  = "commit"
    minimum_required_space = env("FLUMEGO_MIN_SPACE", "512MiB")
  }

  sink "kafka" "k1" {
    channel     = "durable"
    brokers     = [env("FLUMEGO_KAFKA_BROKERS", "localhost:9092")]
    topic       = env("FLUMEGO_KAFKA_TOPIC", "app-logs")
    acks        = env("FLUMEGO_KAFKA_ACKS", "all")
    compression = env("FLUMEGO_KAFKA_COMPRESSION", "lz4")
    batch_size  = env("FLUMEGO_SINK_BATCH", "10000")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
