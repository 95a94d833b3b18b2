# Load balancing, agent 1 of 3 (Flume's netcat-load-balance case): batches alternate between
# agent 2 and agent 3 (round_robin); a next hop that fails is left out for a back-off that
# grows up to max_timeout, and its batch goes to the other at once.
agent "agent1" {
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
    hostname        = "127.0.0.1"
    port            = env("FLUMEGO_AGENT2_PORT", "4141")
    connect_timeout = "5s"
  }
  sink "avro" "k2" {
    channel         = "c1"
    hostname        = "127.0.0.1"
    port            = env("FLUMEGO_AGENT3_PORT", "4142")
    connect_timeout = "5s"
  }

  sink_group "g1" {
    sinks = ["k1", "k2"]
    processor "load_balance" {
      selector    = "round_robin"
      backoff     = true
      max_timeout = "10s"
    }
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
