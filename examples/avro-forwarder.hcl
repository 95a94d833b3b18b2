# Forwarder: a per-host agent that reads lines from netcat and forwards them to a collector
# (avro-collector.hcl, or an Apache Flume agent's avro source) over Flume's Avro RPC.
agent "forwarder" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "avro" "k1" {
    channel         = "c1"
    hostname        = env("FLUMEGO_AVRO_HOST", "127.0.0.1")
    port            = env("FLUMEGO_AVRO_PORT", "4141")
    batch_size      = 100
    connect_timeout = "5s"
    # Calls of a batch sent before their answers; one answered FAILED is sent again alone.
    max_in_flight = env("FLUMEGO_AVRO_MAX_IN_FLIGHT", "1")
  }

  metrics {
    listen          = env("FLUMEGO_METRICS", "127.0.0.1:41415")
    unhealthy_after = env("FLUMEGO_UNHEALTHY_AFTER", "30s")
  }
}
