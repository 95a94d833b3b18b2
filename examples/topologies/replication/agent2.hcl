# Replication, agent 2 of 3: receives a full copy from agent 1 and archives it (file_roll
# stands in for the hdfs sink of the Flume original).
agent "agent2" {
  source "avro" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_AVRO_PORT", "4141")
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT", "/tmp/flumego/agent2")
    roll_interval = 0
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41415")
  }
}
