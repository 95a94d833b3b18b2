# Text lines in a layout of your own (Filebeat's codec.format): each line is written as
# "<timestamp as ISO date and time> <host> <the line>", through the format serializer with the
# escapes of the hdfs path. HCL writes %{ as %%{.
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["c1"]
    interceptor "timestamp" {}
    interceptor "static" {
      key   = "host"
      value = env("FLUMEGO_HOST", "web1")
    }
  }

  channel "memory" "c1" {}

  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT", "/var/log/flumego/formatted")
    roll_interval = 0
    serializer "format" {
      format    = "%Y-%m-%dT%H:%M:%S %%{host} %%{body}"
      time_zone = "UTC"
    }
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
