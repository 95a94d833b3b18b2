# Converted from listener-defaults.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "http" "http" {
    # flume: a1.sources.http (line 7): changed: bind is not set, so Flume listens on 0.0.0.0 (its
    #   default); flumego needs it written: bind = "0.0.0.0"
    port     = 8080
    bind     = "0.0.0.0"
    channels = ["c1"]
  }

  source "syslog" "syslog" {
    # flume: a1.sources.syslog (line 11): changed: host is not set, so Flume listens on every
    #   interface; flumego needs it written: host = "0.0.0.0" (every IPv4 interface; "::" adds IPv6)
    port     = 5140
    host     = "0.0.0.0"
    channels = ["c1"]
  }

  source "syslog" "udp" {
    # flume: a1.sources.udp (line 15): changed: host is not set, so Flume listens on every interface;
    #   flumego needs it written: host = "0.0.0.0" (every IPv4 interface; "::" adds IPv6)
    port     = 5141
    protocol = "udp"
    host     = "0.0.0.0"
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 10000
    transaction_capacity = 1000
  }

  sink "null" "k1" {
    channel    = "c1"
    batch_size = 100 # Flume's default
  }
}
