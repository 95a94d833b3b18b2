# Converted from multiplexing-no-route.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "seq" "r1" {
    total      = 100
    batch_size = 1 # Flume's default
    channels   = ["c1"]
    selector "multiplexing" {
      # flume: a1.sources.r1.selector (line 10): changed: the multiplexing selector has neither a
      #   mapping nor a default, so Flume puts every event into no channel: kept so — flumego drops
      #   each and counts it (EventUnroutedCount), and `agent validate` warns
      header = "state"
    }
  }

  channel "memory" "c1" {
    capacity             = 100 # Flume's default
    transaction_capacity = 100 # Flume's default
  }

  sink "logger" "k1" {
    channel    = "c1"
    batch_size = 1 # Flume's default
  }
}
