# Aggregation, agent 2 of 3 (Flume's netcat-avro-aggregation case): lines from netcat,
# forwarded to the same collector, agent 3.
agent "agent2" {
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
    channel  = "c1"
    hostname = env("FLUMEGO_COLLECTOR_HOST", "127.0.0.1")
    port     = env("FLUMEGO_COLLECTOR_PORT", "4141")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41415")
  }
}
