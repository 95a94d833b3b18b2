# Chart the agent in Ganglia, as Flume's `flume.monitoring.type = ganglia` did: every counter of
# every component goes to gmond every poll_frequency, named like Flume's
# ("flume.CHANNEL.c1.EventPutSuccessCount", group "flume").
#   FLUMEGO_GMOND=gmond.example.com:8649 go run ./cmd/agent -f examples/ganglia.hcl
#   nc 127.0.0.1 44444
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 10000
    transaction_capacity = 100
  }

  sink "null" "k1" {
    channel = "c1"
  }

  monitoring "ganglia" {
    hosts          = [env("FLUMEGO_GMOND", "127.0.0.1:8649")]
    poll_frequency = env("FLUMEGO_GANGLIA_POLL", "60s")
    # false (Flume's default): Ganglia 3.1's format, for gmond 3.1 and later.
    # true: the Ganglia 3.0 format, for gmond 3.0 collectors.
    is_ganglia3 = false
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
