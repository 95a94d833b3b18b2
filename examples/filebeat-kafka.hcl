# Filebeat → Kafka → Logstash, with flumego in Filebeat's place and nothing changed downstream:
# Logstash's `input { kafka { codec => json } }` reads the same documents (@timestamp, message,
# host.name, log.file.path, log.offset, fields ...), from the same topics. This is the
# filebeat.yml of a typical ELK deployment with Kafka:
#
#   filebeat.inputs:
#     - type: log
#       paths: ["/var/log/app/*.log"]
#       fields: {log_topic: app-logs, env: prod}
#       multiline.pattern: '^\d{4}-\d{2}-\d{2} '
#       multiline.negate: true
#       multiline.match: after
#     - type: log
#       paths: ["/var/log/nginx/access.log"]
#       fields: {log_topic: nginx-access, env: prod}
#       tags: ["nginx"]
#   output.kafka:
#     hosts: ["kafka1:9092", "kafka2:9092"]
#     topic: '%{[fields.log_topic]}'
#     required_acks: 1
#     compression: gzip
#     max_message_bytes: 1000000
#
# See the README's "Coming from Filebeat" for every setting.
agent "a1" {
  data_dir = env("FLUMEGO_DATA", "/var/lib/flumego") # file positions (Filebeat's registry), agent.id

  # An input is a taildir source; its fields are headers named fields.NAME (fields_under_root:
  # name them without the prefix). Multiline is per source.
  source "taildir" "app" {
    channels    = ["c1"]
    ecs_headers = true # log.file.path, log.offset, log.flags, and the read time for @timestamp
    filegroup "app" {
      path    = env("FLUMEGO_APP_LOGS", "/var/log/app/*.log")
      headers = { "fields.log_topic" = "app-logs", "fields.env" = "prod" }
    }
    multiline {
      pattern = "^\\d{4}-\\d{2}-\\d{2} "
      negate  = true
      match   = "after"
    }
  }

  source "taildir" "nginx" {
    channels    = ["c1"]
    ecs_headers = true
    filegroup "access" {
      path    = env("FLUMEGO_NGINX_LOG", "/var/log/nginx/access.log")
      headers = { "fields.log_topic" = "nginx-access", "fields.env" = "prod", tags = "nginx" }
    }
  }

  # Filebeat's memory queue: positions advance only once Kafka has the events, so a crash
  # re-reads what was not delivered (at least once), as Filebeat's registry does.
  channel "memory" "c1" {}

  sink "kafka" "k1" {
    channel                   = "c1"
    brokers                   = [env("FLUMEGO_KAFKA_BROKERS", "kafka1:9092")] # list every broker: ["kafka1:9092", "kafka2:9092"]
    topic                     = "%%{fields.log_topic}"                       # HCL writes %{ as %%{
    allow_topic_override      = false
    acks                      = "1"
    compression               = env("FLUMEGO_KAFKA_COMPRESSION", "gzip")
    max_message_bytes         = "1MB"
    headers_as_record_headers = false # Filebeat sends no record headers
    serializer "json" {
      preset = "filebeat"
      # name = "web1"                 # Filebeat's name: host.name and agent.name (default: the host name)
      # beat_version = "7.17.29"      # @metadata.version, which Logstash index names often use
    }
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
