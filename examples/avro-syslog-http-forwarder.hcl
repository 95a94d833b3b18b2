# Ingest tier: receives syslog over TCP and UDP (RFC 3164 and 5424) and JSON events over HTTP,
# and forwards everything to a collector (avro-collector.hcl) over Flume's Avro RPC.
agent "ingest" {
  source "syslog" "syslog_tcp" {
    host             = "127.0.0.1"
    port             = env("FLUMEGO_SYSLOG_PORT", "5140")
    protocol         = "tcp"
    channels         = ["c1"]
    client_ip_header = "client"
  }
  source "syslog" "syslog_udp" {
    host     = "127.0.0.1"
    port     = env("FLUMEGO_SYSLOG_PORT", "5140")
    protocol = "udp"
    channels = ["c1"]
  }
  source "http" "json" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_HTTP_PORT", "8080")
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "avro" "k1" {
    channel  = "c1"
    hostname = env("FLUMEGO_AVRO_HOST", "127.0.0.1")
    port     = env("FLUMEGO_AVRO_PORT", "4141")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41415")
  }
}
