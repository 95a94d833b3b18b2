# Converted from multiport-port-header.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "syslog" "r1_5140" {
    # flume: a1.sources.r1 (line 8): changed: multiport_syslogtcp listens on 2 ports: converted into
    #   one syslog source per port, named r1_PORT
    # flume: a1.sources.r1.portHeader (line 11): changed: flumego's syslog source sets no port header:
    #   each port's source sets header "port" to its port with a static interceptor, first in its chain
    host       = "0.0.0.0"
    port       = 5140
    batch_size = 100 # Flume's default
    channels   = ["fw", "app"]
    interceptor "static" {
      key               = "port"
      value             = "5140"
      preserve_existing = false
    }
    selector "multiplexing" {
      header  = "port"
      mapping = { "5140" = ["fw"] }
      default = ["app"]
    }
  }

  source "syslog" "r1_5141" {
    host       = "0.0.0.0"
    port       = 5141
    batch_size = 100 # Flume's default
    channels   = ["fw", "app"]
    interceptor "static" {
      key               = "port"
      value             = "5141"
      preserve_existing = false
    }
    selector "multiplexing" {
      header  = "port"
      mapping = { "5140" = ["fw"] }
      default = ["app"]
    }
  }

  channel "memory" "fw" {
    capacity             = 100 # Flume's default
    transaction_capacity = 100 # Flume's default
  }

  channel "memory" "app" {
    capacity             = 100 # Flume's default
    transaction_capacity = 100 # Flume's default
  }

  sink "file_roll" "k1" {
    channel    = "fw"
    directory  = "/var/log/flume/firewall"
    batch_size = 100 # Flume's default
  }

  sink "file_roll" "k2" {
    channel    = "app"
    directory  = "/var/log/flume/app"
    batch_size = 100 # Flume's default
  }
}
