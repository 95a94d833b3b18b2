# JSON application logs routed by a parsed field: the json interceptor lifts each line's fields
# into headers (app.level, app.http.status ...) and makes its "message" the body; debug lines
# are dropped by a condition on the level header, errors go to one channel, the rest to another.
# A line that is not JSON is kept as it is, marked with error.message and counted
# (flumego_source_json_parse_fail_total), and goes with the rest.
agent "a1" {
  source "taildir" "r1" {
    channels      = ["errors", "rest"]
    position_file = env("FLUMEGO_POSITION_FILE", "/var/lib/flumego/json-routing.json")

    filegroup "app" {
      path = env("FLUMEGO_TAIL_PATH", "/var/log/app/*.json")
    }

    interceptor "json" {
      target         = "app"     # headers app.level, app.http.status ...
      fields         = []        # every field (or a list: ["level", "http.status"])
      message_key    = "message" # the body becomes the log message
      add_error_key  = true      # a line that is not JSON gets error.message and error.type
      overwrite_keys = false     # a parsed field never replaces a header the source set
      max_depth      = 3         # app.a.b.c at most; deeper objects stay JSON text
    }
    interceptor "regex_filter" {
      header         = "app.level" # test this header, not the body
      regex          = "^debug$"
      exclude_events = true
    }
    selector "multiplexing" {
      header  = "app.level"
      mapping = { error = ["errors"] }
      default = ["rest"]
    }
  }

  channel "memory" "errors" {
    capacity             = 10000
    transaction_capacity = 1000
  }
  channel "memory" "rest" {
    capacity             = 10000
    transaction_capacity = 1000
  }

  sink "file_roll" "k_errors" {
    channel       = "errors"
    directory     = env("FLUMEGO_OUT_ERRORS", "/var/log/flumego/errors")
    roll_interval = "1h"
  }
  sink "file_roll" "k_rest" {
    channel       = "rest"
    directory     = env("FLUMEGO_OUT_REST", "/var/log/flumego/rest")
    roll_interval = "1h"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
