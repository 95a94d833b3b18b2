# file_roll sink examples: paste a block into an agent "..." { } block.

# Flume's defaults, written out (fsync is flumego's: every batch is on disk before its take
# is committed).
sink "file_roll" "k1" {
  channel        = "c1"
  batch_size     = 100
  directory      = "/var/lib/flumego/out"  # created with parents if missing
  roll_interval  = "30s"                   # 0 = one file for the life of the sink
  prefix         = ""
  extension      = ""
  fsync          = true                    # false: flush only, faster, a power cut may lose the last seconds
  serializer "text" {                      # the body, as is (the default)
    append_newline = true
  }
}

# Hourly files named app-<start-millis>-<n>.log, written in large batches.
sink "file_roll" "hourly" {
  channel       = "c1"
  batch_size    = 1000
  directory     = "/var/log/collected"
  roll_interval = "1h"
  prefix        = "app-"
  extension     = "log"
}

# One JSON document a line, as Filebeat writes them (see the README's Serializers).
sink "file_roll" "json" {
  channel   = "c1"
  directory = "/var/log/collected/json"
  serializer "json" {
    preset = "filebeat"
  }
}

# Text lines built from a template: the header "host" (HCL writes %{ as %%{), then the body.
sink "file_roll" "format" {
  channel   = "c1"
  directory = "/var/log/collected/format"
  serializer "format" {
    format = "%%{host} %%{body}"
  }
}
