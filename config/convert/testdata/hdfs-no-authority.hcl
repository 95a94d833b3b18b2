# Converted from hdfs-no-authority.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = 44444
    channels = ["c1"]
  }

  channel "file" "c1" {
    # flume: a1.channels.c1.checkpointDir (line 12): not carried over: flumego's file channel (bbolt)
    #   commits every transaction in place and needs no checkpoint
    # flume: a1.channels.c1.dataDirs (line 13): changed: events still in Flume's file channel are not
    #   read by flumego (its own format, in bbolt): drain the Flume agent before switching
    dir                  = "/var/lib/flume/data"
    capacity             = 1000000 # Flume's default
    transaction_capacity = 10000   # Flume's default
  }

  sink "hdfs" "k1" {
    # flume: a1.sinks.k1.hdfs.path (line 17): changed: the path names no namenode (hdfs:///), so Flume
    #   took it from fs.defaultFS (core-site.xml); flumego needs it in the URL: written as
    #   hdfs://namenode:8020/flume/events/%Y-%m-%d — replace namenode:8020
    channel             = "c1"
    path                = "hdfs://namenode:8020/flume/events/%Y-%m-%d"
    use_local_timestamp = true
    batch_size          = 100    # Flume's default
    roll_interval       = "30s"  # Flume's default
    roll_size           = "1KiB" # Flume's default
    roll_count          = 10     # Flume's default
    file_type           = "DataStream"
  }

  sink "hdfs" "k2" {
    # flume: a1.sinks.k2.hdfs.path (line 23): changed: the path has no scheme, so Flume took the
    #   namenode from fs.defaultFS (core-site.xml); flumego needs it in the URL: written as
    #   hdfs://namenode:8020/flume/archive — replace namenode:8020
    channel       = "c1"
    path          = "hdfs://namenode:8020/flume/archive"
    roll_interval = "1h"
    roll_size     = 0
    roll_count    = 0
    batch_size    = 100 # Flume's default
    codec         = "gzip"
    file_type     = "CompressedStream"
  }
}
