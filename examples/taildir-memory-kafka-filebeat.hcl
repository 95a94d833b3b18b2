# taildir-memory-kafka.hcl writing Filebeat's JSON documents (the benchmark of the filebeat
# preset against text: bash bench/run.sh -only kafka -serializers text,filebeat).
agent "a1" {
  data_dir = env("FLUMEGO_DATA", "/var/lib/flumego")

  source "taildir" "r1" {
    channels      = ["c1"]
    position_file = env("FLUMEGO_POSITION_FILE", "/var/lib/flumego/taildir-kafka.json")
    ecs_headers   = true

    filegroup "app" {
      path    = env("FLUMEGO_TAIL_PATH", "/var/log/app/*.log")
      headers = { "fields.log_topic" = "app-logs", "fields.env" = "prod" }
    }
  }

  channel "memory" "c1" {}

  sink "kafka" "k1" {
    channel                   = "c1"
    brokers                   = [env("FLUMEGO_KAFKA_BROKERS", "localhost:9092")]
    topic                     = env("FLUMEGO_KAFKA_TOPIC", "app-logs")
    acks                      = env("FLUMEGO_KAFKA_ACKS", "1")
    compression               = env("FLUMEGO_KAFKA_COMPRESSION", "none")
    headers_as_record_headers = false
    serializer "json" {
      preset = "filebeat"
    }
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
