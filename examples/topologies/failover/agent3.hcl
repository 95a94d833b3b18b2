# Failover, agent 3 of 3: the primary. What it acknowledged is in its file channel, so
# killing it loses nothing: the rest is written out when it comes back.
agent "agent3" {
  source "avro" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_AVRO_PORT", "4142")
    channels = ["c1"]
  }

  channel "file" "c1" {
    dir                    = env("FLUMEGO_CHANNEL_DIR", "/var/lib/flumego/agent3")
    capacity               = 1000000
    transaction_capacity   = 1000
    minimum_required_space = env("FLUMEGO_MIN_SPACE", "512MiB")
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
