# Multiplexing, agent 1 of 3 (Flume's netcat-interceptor-multiplexing case, without a custom
# Java interceptor): regex_header sets "type" from the line, and the multiplexing selector
# routes letters to agent 2 and numbers to agent 3.
agent "agent1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["c1", "c2"]

    interceptor "regex_header" {
      header = "type"
      rule "letter" { regex = "^[A-Za-z]" }
      rule "number" { regex = "^[0-9]" }
    }
    selector "multiplexing" {
      header  = "type"
      mapping = { letter = ["c1"], number = ["c2"] }
      default = ["c1"]
    }
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
