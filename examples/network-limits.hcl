# An ingest tier whose memory has a bound however many clients connect: syslog over TCP, JSON
# over HTTP, Flume's Avro RPC and netcat lines → memory → file_roll.
#
# The network sources together hold at most max_inflight_bytes of calls read from clients and
# not yet in the channel (each source may also have a smaller share of its own). Beyond it avro,
# syslog and netcat stop reading, so TCP slows their clients down, and http answers 503 with
# Retry-After. Over-long input is cut once and counted, never multiplied: a syslog message above
# event_size is one event (Incomplete) and the rest of it is discarded; an http request whose
# Content-Length is above max_request_bytes is answered 413 before its body is read.
agent "edge" {
  max_inflight_bytes = env("FLUMEGO_MAX_INFLIGHT", "256MiB")

  source "syslog" "syslog" {
    host               = "127.0.0.1"
    port               = env("FLUMEGO_SYSLOG_PORT", "5140")
    protocol           = "tcp"
    channels           = ["c1"]
    event_size         = 4096
    max_inflight_bytes = "32MiB"
  }
  source "http" "json" {
    bind               = "127.0.0.1"
    port               = env("FLUMEGO_HTTP_PORT", "8080")
    channels           = ["c1"]
    max_request_bytes  = "16MiB"
    max_batch_events   = 1000 # at most c1's transaction_capacity: a request is all or nothing
    max_inflight_bytes = "64MiB"
  }
  source "avro" "avro" {
    bind             = "127.0.0.1"
    port             = env("FLUMEGO_AVRO_PORT", "4141")
    channels         = ["c1"]
    max_batch_events = 1000
  }
  source "netcat" "lines" {
    bind               = "127.0.0.1"
    port               = env("FLUMEGO_PORT", "44444")
    channels           = ["c1"]
    max_inflight_bytes = "16MiB"
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT", "/var/lib/flumego/edge")
    roll_interval = 0
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
