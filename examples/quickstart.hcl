# The smallest useful agent: type lines into `nc 127.0.0.1 44444` and watch them in the log.
#   go run ./cmd/agent -f examples/quickstart.hcl
#   nc 127.0.0.1 44444        (each line is answered "OK" once it is in the channel)
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 1000
    transaction_capacity = 100
  }

  sink "logger" "k1" {
    channel = "c1"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
