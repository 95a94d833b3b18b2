# A Flume 1.11 Kafka sink with header mappings, converted (`agent convert`): the host and
# timestamp interceptors set headers on each line, and only the mapped ones travel as Kafka
# record headers, under their Kafka names (Flume's header.host = origin-host); the others stay
# in the agent, as Flume sends no unmapped header.
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "33333")
    channels = ["c1"]
    interceptor "host" {}
    interceptor "timestamp" {}
  }

  channel "memory" "c1" {}

  sink "kafka" "k1" {
    channel                   = "c1"
    brokers                   = [env("FLUMEGO_KAFKA_BROKERS", "localhost:9092")]
    topic                     = env("FLUMEGO_KAFKA_TOPIC", "weblogs")
    headers_as_record_headers = false
    record_headers            = { host = "origin-host", timestamp = "event-time" }
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
