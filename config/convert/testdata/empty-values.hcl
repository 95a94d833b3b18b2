# Converted from empty-values.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  # flume: a1.sources.r1.fileSuffix (line 10): not carried over: has no value: Flume ignores a key
  #   whose value is empty (with a warning), and so does the conversion
  # flume: a1.channels.c1.byteCapacity (line 16): not carried over: has no value: Flume ignores a key
  #   whose value is empty (with a warning), and so does the conversion
  # flume: a1.sinks.k1.hdfs.codeC (line 21): changed: set again on line 22; the last value wins, as in
  #   Flume
  # flume: a1.sinks.k1.hdfs.inUsePrefix (line 23): not carried over: has no value: Flume ignores a key
  #   whose value is empty (with a warning), and so does the conversion

  source "spooldir" "r1" {
    spool_dir  = "/var/spool/flume"
    batch_size = 100 # Flume's default
    channels   = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 10000
    transaction_capacity = 1000
  }

  sink "hdfs" "k1" {
    channel             = "c1"
    path                = "hdfs://namenode:8020/flume/%Y%m%d"
    use_local_timestamp = true
    batch_size          = 100    # Flume's default
    roll_interval       = "30s"  # Flume's default
    roll_size           = "1KiB" # Flume's default
    roll_count          = 10     # Flume's default
    codec               = "gzip"
    file_type           = "CompressedStream"
  }
}
