# Filebeat's inputs in flumego: the filebeat.yml below, written as one agent, writes the same
# documents (an end-to-end test compares them with real Filebeat 7.17 output). Each Filebeat input
# is a taildir source; what an input adds to its events (fields, tags, input.type, "this file is
# JSON") is headers its filegroup sets; one json serializer with preset = "filebeat" in each sink
# turns every event into Filebeat's document. Both sinks get every event: a file of documents
# one a line (Filebeat's output.file) and a Kafka topic (output.kafka).
#
#   filebeat.inputs:
#     - type: log
#       paths: ["/data/in/app.log"]
#       fields: {log_topic: app-web, env: prod}
#     - type: log
#       paths: ["/data/in/java.log"]
#       fields: {service: billing}
#       fields_under_root: true
#       multiline.pattern: '^\d{4}-\d{2}-\d{2} '
#       multiline.negate: true
#       multiline.match: after
#     - type: log
#       paths: ["/data/in/json.log"]
#       json.keys_under_root: true
#       json.add_error_key: true
#     - type: filestream
#       id: fs1
#       paths: ["/data/in/app.log"]
#       tags: ["web"]
#   name: web1
agent "a1" {
  data_dir = env("FLUMEGO_DATA", "/var/lib/flumego") # positions, and the agent.id of the documents

  # fields: {...} → headers named fields.NAME, written under "fields".
  source "taildir" "app" {
    channels    = ["file", "kafka"]
    ecs_headers = true # log.file.path, log.offset, log.flags and the read time
    filegroup "app" {
      path    = "${env("FLUMEGO_IN", "/data/in")}/app.log"
      headers = { "fields.log_topic" = "app-web", "fields.env" = "prod" }
    }
  }

  # fields_under_root: true → headers without the prefix. Multiline is per source, so the file
  # that needs it has a source of its own.
  source "taildir" "java" {
    channels    = ["file", "kafka"]
    ecs_headers = true
    filegroup "java" {
      path    = "${env("FLUMEGO_IN", "/data/in")}/java.log"
      headers = { service = "billing" }
    }
    multiline {
      pattern = "^\\d{4}-\\d{2}-\\d{2} "
      negate  = true
      match   = "after"
      timeout = "1s"
    }
  }

  # json.keys_under_root: true → the serializer's body_header (below) names the header that
  # marks an event's body as JSON, and body_under_root merges it at the top.
  source "taildir" "json" {
    channels    = ["file", "kafka"]
    ecs_headers = true
    filegroup "json" {
      path    = "${env("FLUMEGO_IN", "/data/in")}/json.log"
      headers = { body_type = "json" }
    }
  }

  # A second input on the same file: its own source (its own positions), input.type and tags
  # (a comma-separated list) as headers.
  source "taildir" "fs1" {
    channels    = ["file", "kafka"]
    ecs_headers = true
    filegroup "fs1" {
      path    = "${env("FLUMEGO_IN", "/data/in")}/app.log"
      headers = { "input.type" = "filestream", tags = "web" }
    }
  }

  channel "memory" "file" {}
  channel "memory" "kafka" {}

  # output.file
  sink "file_roll" "file" {
    channel       = "file"
    directory     = env("FLUMEGO_OUT", "/var/lib/flumego/out")
    roll_interval = 0
    serializer "json" {
      preset          = "filebeat"
      name            = "web1"      # Filebeat's name: host.name and agent.name
      body_header     = "body_type" # "json" on an event: its body is JSON ...
      body_under_root = true        # ... merged at the top (json.keys_under_root)
      add_error_key   = true        # json.add_error_key
    }
  }

  # output.kafka
  sink "kafka" "kafka" {
    channel                   = "kafka"
    brokers                   = [env("FLUMEGO_KAFKA_BROKERS", "localhost:9092")]
    topic                     = env("FLUMEGO_KAFKA_TOPIC", "filebeat")
    headers_as_record_headers = false
    serializer "json" {
      preset          = "filebeat"
      name            = "web1"
      body_header     = "body_type"
      body_under_root = true
      add_error_key   = true
    }
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
