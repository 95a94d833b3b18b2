# Replication, agent 3 of 3: receives the other full copy from agent 1 and writes it to files.
agent "agent3" {
  source "avro" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_AVRO_PORT", "4142")
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT", "/tmp/flumego/agent3")
    roll_interval = 0
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41416")
  }
}
