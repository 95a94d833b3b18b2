# /etc/flumego/flume.hcl — the configuration the flumego package installs (a conffile: an
# upgrade never overwrites your edits). As shipped it only listens on the loopback interface:
# lines sent to `nc 127.0.0.1 44444` go to the agent's log (journalctl -u flumego-agent).
#
# Replace it with your flow, check it, then start the agent:
#   agent validate -f /etc/flumego/flume.hcl
#   systemctl start flumego-agent        (the package enables the unit but does not start it)
#
# State (taildir positions, file channels) belongs under /var/lib/flumego, which the unit makes
# writable for the flumego user. A typical host flow, for example:
#
#   source "taildir" "logs" {
#     channels      = ["durable"]
#     position_file = "/var/lib/flumego/taildir-logs.json"
#     filegroup "app" { path = "/var/log/app/*.log" }
#   }
#   channel "file" "durable" { dir = "/var/lib/flumego/durable" }
#   sink "kafka" "k1" {
#     channel = "durable"
#     brokers = ["kafka1:9092"]
#     topic   = "logs"
#   }
#
# The README's component reference lists every source, channel and sink.
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = 44444
    channels = ["c1"]
  }

  channel "memory" "c1" {}

  sink "logger" "k1" {
    channel = "c1"
  }

  metrics {
    listen = "127.0.0.1:41414" # /metrics, /status, /healthz
  }
}
