# Converted from avro-hdfs.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a2" {
  source "avro" "r1" {
    bind     = "hadoop102"
    port     = 4141
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 1000
    transaction_capacity = 100
  }

  sink "hdfs" "k1" {
    # flume: a2.sinks.k1 (line 12): changed: hdfs.fileType is not set: Flume writes SequenceFile by
    #   default, flumego does not; it writes DataStream (plain text, one event per line)
    # flume: a2.sinks.k1.hdfs (line 21): not carried over: malformed key: Flume reads "fileType =
    #   DataStream" as the value of "a2.sinks.k1.hdfs" (a space where a dot belongs?), which is no
    #   setting; fix the key in the Flume file, or write the setting here by hand
    channel             = "c1"
    path                = "hdfs://hadoop102:9820/flume2/%Y%m%d%H"
    file_prefix         = "flume2-"
    round               = true
    round_value         = 1
    round_unit          = "hour"
    use_local_timestamp = true
    batch_size          = 100
    roll_interval       = "30s"
    roll_size           = 134217700
    roll_count          = 0
  }
}
