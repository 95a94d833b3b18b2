# hdfs sink examples: paste a block into an agent "..." { } block.

# The field configuration (hourly directories on HDFS through its native RPC), with flumego's
# defaults written out.
sink "hdfs" "k1" {
  channel             = "c1"
  batch_size          = 1000
  path                = "hdfs://hadoop102:9820/flume2/%Y%m%d%H"
  file_prefix         = "flume2-"
  file_suffix         = ""                # none: a codec's extension (.gz, .zst, ...)
  in_use_prefix       = ""
  in_use_suffix       = ".tmp"
  round               = true
  round_value         = 1
  round_unit          = "hour"
  use_local_timestamp = true
  time_zone           = ""                # the host's; or "UTC", "Asia/Shanghai"
  roll_interval       = "1h"              # Flume: 30s
  roll_size           = "128MiB"          # Flume: 1024 bytes
  roll_count          = 0                 # Flume: 10 events
  idle_timeout        = 0
  max_open_files      = 5000
  file_type           = "DataStream"
  close_tries         = 0                 # retry closing and renaming until it works
  retry_interval      = "180s"
  call_timeout        = "10s"
  missing_timestamp   = "local_time"      # or "drop"; counted either way
  serializer "text" {                     # the body, as is
    append_newline = true
  }
}

# Local disk (or an HDFS NFS gateway / FUSE mount), zstd-compressed, a directory per service
# header and day, files named after the host so several agents can share the directory.
# In HCL a header escape is written %%{name} (HCL reads %{ as a template directive).
sink "hdfs" "local" {
  channel     = "c1"
  batch_size  = 1000
  path        = "file:///var/lib/flumego/hdfs/%%{service}/%Y-%m-%d"
  file_prefix = "%[localhost]"
  codec       = "zstd"
  time_zone   = "UTC"
}

# WebHDFS (or an HttpFS gateway), Avro container files of whole events (headers and body).
sink "hdfs" "web" {
  channel    = "c1"
  batch_size = 1000
  path       = "webhdfs://namenode:9870/flume/events/%Y%m%d"
  user       = "flume"
  serializer "avro_event" {
    compression_codec   = "deflate"            # null, deflate or snappy
    sync_interval_bytes = 2048000              # a block ends at this size, and with every batch
  }
}
