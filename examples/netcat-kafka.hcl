# Flume's netcat → memory → Kafka flow (../shared/flume-configs/netcat-kafka.conf, converted):
# every line sent to the port becomes one record in the topic, produced with acks = 1 in batches
# of 20. Event headers travel as Kafka record headers.
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "33333")
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 1000000
    transaction_capacity = 1000000
  }

  sink "kafka" "k1" {
    channel    = "c1"
    brokers    = [env("FLUMEGO_KAFKA_BROKERS", "localhost:9092")]
    topic      = env("FLUMEGO_KAFKA_TOPIC", "test")
    acks       = "1"
    batch_size = 20
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
