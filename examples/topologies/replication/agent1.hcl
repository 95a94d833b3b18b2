# Replication, agent 1 of 3 (Flume's exec-replicating-avro case): taildir follows the
# application's log, the replicating selector puts every line into two channels, and each
# channel's avro sink forwards to its own next hop — agent 2 (the archive; file_roll stands in
# for HDFS) and agent 3 (file_roll).
agent "agent1" {
  source "taildir" "r1" {
    channels      = ["c1", "c2"]
    position_file = env("FLUMEGO_POSITION_FILE", "/var/lib/flumego/agent1/taildir.json")
    filegroup "app" {
      path = env("FLUMEGO_TAIL_PATH", "/var/log/app/*.log")
    }
    selector "replicating" {}
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 1000
  }
  channel "memory" "c2" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "avro" "k1" {
    channel  = "c1"
    hostname = "127.0.0.1"
    port     = env("FLUMEGO_AGENT2_PORT", "4141")
  }
  sink "avro" "k2" {
    channel  = "c2"
    hostname = "127.0.0.1"
    port     = env("FLUMEGO_AGENT3_PORT", "4142")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
