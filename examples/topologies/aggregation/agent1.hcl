# Aggregation, agent 1 of 3 (Flume's exec-avro-aggregation case): follows a log file and
# forwards it to the collector, agent 3.
agent "agent1" {
  source "taildir" "r1" {
    channels      = ["c1"]
    position_file = env("FLUMEGO_POSITION_FILE", "/var/lib/flumego/agent1/taildir.json")
    filegroup "app" {
      path = env("FLUMEGO_TAIL_PATH", "/var/log/app/*.log")
    }
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
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
