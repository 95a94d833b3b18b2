# Benchmark flow (bash bench/run.sh -only kafka): taildir → a memory channel → Kafka, the same
# flow as kafka-file.hcl but for the channel; sizes at their defaults, acks = "all" as kcat -P
# is measured with.
agent "bench" {
  source "taildir" "r1" {
    channels      = ["c1"]
    position_file = env("FLUMEGO_POSITION_FILE", "/tmp/flumego-bench/taildir.json")
    filegroup "bench" {
      path = env("FLUMEGO_TAIL_PATH", "/tmp/flumego-bench/*.log")
    }
  }

  channel "memory" "c1" {}

  sink "kafka" "k1" {
    channel     = "c1"
    brokers     = [env("FLUMEGO_KAFKA_BROKERS", "localhost:9092")]
    topic       = "app-logs"
    acks        = "all"
    compression = env("FLUMEGO_KAFKA_COMPRESSION", "none")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
