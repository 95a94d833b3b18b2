# Failover, agent 1 of 3 (Flume's netcat-failover case): every batch goes to k2 (priority 10,
# agent 3) while it is healthy. When agent 3 dies the batch in flight rolls back and goes to
# k1 (priority 5, agent 2) at once; agent 3 is retried after a penalty that doubles up to
# max_penalty, and takes the traffic back as soon as it answers again.
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
    batch_size      = 100 # what a failover re-sends at most: the batch in flight
  }
  sink "avro" "k2" {
    channel         = "c1"
    hostname        = "127.0.0.1"
    port            = env("FLUMEGO_AGENT3_PORT", "4142")
    connect_timeout = "5s"
    batch_size      = 100
  }

  sink_group "g1" {
    sinks = ["k1", "k2"]
    processor "failover" {
      priority    = { k1 = 5, k2 = 10 }
      max_penalty = env("FLUMEGO_MAX_PENALTY", "10s")
    }
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
