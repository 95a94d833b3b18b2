# Converted from spillable-memory.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "taildir" "r1" {
    # flume: a1.sources.r1.filegroups.f1 (line 9): changed: Flume reads the file name "app.log" as a
    #   regular expression, where a lone . is any character: written as the glob "app?log", which
    #   matches as much (a name such as "app_log" too); write \. in the expression, or . in the glob,
    #   for a dot
    position_file = "/var/lib/flume/taildir_position.json"
    batch_size    = 100 # Flume's default
    channels      = ["spill", "small"]
    filegroup "f1" {
      path = "/var/log/app/app?log"
    }
  }

  channel "memory" "spill" {
    # flume: a1.channels.spill (line 12): changed: Flume's SPILLABLEMEMORY channel keeps up to
    #   memoryCapacity 10000 events in memory and spills up to overflowCapacity 1000000 more to a file
    #   channel on disk; flumego has no spilling channel, so this is a memory channel of capacity
    #   1010000 (memory plus overflow), bounded by byte_capacity: when that is full puts wait where
    #   Flume spilled, and what it holds is lost on a crash. Where the overflow was the point (riding
    #   out a slow or dead sink, or surviving a restart), use a file channel instead: channel "file"
    #   "spill" { dir = "/var/lib/flume/spill/data" }
    # flume: a1.channels.spill.overflowTimeout (line 16): not carried over: flumego's memory channel
    #   has no overflow to switch to: a full channel makes puts wait keep_alive
    # flume: a1.channels.spill.checkpointDir (line 17): not carried over: a setting of the overflow's
    #   file channel, and flumego's memory channel keeps no overflow on disk (for a durable channel, see
    #   the note on the channel)
    # flume: a1.channels.spill.dataDirs (line 18): not carried over: a setting of the overflow's file
    #   channel, and flumego's memory channel keeps no overflow on disk (for a durable channel, see the
    #   note on the channel)
    byte_capacity        = 800000
    transaction_capacity = 10000 # Flume's default
    capacity             = 1010000
  }

  channel "memory" "small" {
    # flume: a1.channels.small (line 20): changed: transaction_capacity 10000 is above the channel's
    #   capacity 500, which flumego refuses (a transaction could never fit): lowered to 500
    # flume: a1.channels.small (line 20): changed: Flume's SPILLABLEMEMORY channel with
    #   overflowCapacity 0 keeps memoryCapacity 500 events in memory, as this memory channel does
    transaction_capacity = 500
    capacity             = 500
  }

  sink "logger" "k1" {
    channel    = "spill"
    batch_size = 1 # Flume's default
  }

  sink "logger" "k2" {
    channel    = "small"
    batch_size = 1 # Flume's default
  }
}
