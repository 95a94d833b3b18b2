# Applications POST structured logs as newline-delimited JSON (one object per line):
#
#   curl --data-binary @- http://127.0.0.1:8080/ <<< '{"level":"error","service":"api","message":"db down"}'
#
# Each line's fields become headers (level, service, http.status ...), its "message" the body.
# A request is all or nothing: a bad line answers 400 naming it, and nothing is put. A
# regex_header on the level header sets priority; events are kept in files and shown by the
# logger sink.
agent "a1" {
  source "http" "r1" {
    bind        = "127.0.0.1"
    port        = env("FLUMEGO_HTTP_PORT", "8080")
    channels    = ["files", "console"]
    handler     = "ndjson"  # or "json" (one object per request), "flume" (Flume's array)
    message_key = "message" # an object without it is the body whole
    max_depth   = 5

    max_request_bytes = "4MiB"
    max_batch_events  = 10000

    interceptor "regex_header" {
      header      = "priority"
      from_header = "level" # test this header, not the body
      default     = "normal"
      rule "high" { regex = "(?i)^(error|fatal)$" }
    }
  }

  channel "memory" "files" {
    capacity             = 100000
    transaction_capacity = 10000
  }
  channel "memory" "console" {
    capacity             = 100000
    transaction_capacity = 10000
  }

  sink "file_roll" "k_files" {
    channel       = "files"
    directory     = env("FLUMEGO_OUT", "/var/log/flumego/http")
    roll_interval = "1h"
  }
  sink "logger" "k_console" {
    channel          = "console"
    max_bytes_to_log = 64
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
