# Files with Filebeat's metadata: ecs_headers adds to each event the headers log.file.path,
# log.offset, log.flags ("multiline" for a joined stack trace) and timestamp (the read time),
# which a Filebeat-compatible serializer writes as log.file.path, log.offset, log.flags and
# @timestamp. The logger sink prints them.
agent "a1" {
  source "taildir" "app" {
    channels      = ["c1"]
    position_file = env("FLUMEGO_POSITION_FILE", "/var/lib/flumego/taildir-app.json")
    ecs_headers   = true
    filegroup "app" {
      path = env("FLUMEGO_TAIL_PATH", "/var/log/app/*.log")
    }
    multiline {
      pattern = "^\\s"
      match   = "after"
      timeout = "1s"
    }
  }

  channel "memory" "c1" {}

  sink "logger" "k1" {
    channel          = "c1"
    max_bytes_to_log = 256
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
