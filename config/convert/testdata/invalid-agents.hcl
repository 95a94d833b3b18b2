# Converted from invalid-agents.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.
# flume: log4j.rootLogger (line 19): not carried over: not a key of any Flume agent (want
#   AGENT.sources, AGENT.channels, AGENT.sinks or AGENT.sinkgroups ...)

# agent "agent" {
#   # flume: agent.sources.r1: not carried over: has no channels: Flume drops it too
#   # source "netcat" "r1" {
#   #   bind = "0.0.0.0"
#   #   port = 44444
#   # }
# }

# agent "spare" {
#   channel "memory" "c1" {
#     capacity = 100 # Flume's default
#     transaction_capacity = 100 # Flume's default
#   }
# }

agent "good" {
  source "seq" "r1" {
    batch_size = 1 # Flume's default
    channels   = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 100 # Flume's default
    transaction_capacity = 100 # Flume's default
  }

  sink "null" "k1" {
    channel    = "c1"
    batch_size = 100 # Flume's default
  }
}
