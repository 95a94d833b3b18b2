# Failover, agent 2 of 3: the standby. A durable file channel keeps what it acknowledged
# through a crash.
agent "agent2" {
  source "avro" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_AVRO_PORT", "4141")
    channels = ["c1"]
  }

  channel "file" "c1" {
    dir                    = env("FLUMEGO_CHANNEL_DIR", "/var/lib/flumego/agent2")
    capacity               = 1000000
    transaction_capacity   = 1000
    minimum_required_space = env("FLUMEGO_MIN_SPACE", "512MiB")
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
