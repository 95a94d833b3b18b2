# Converted from spooldir-java-pattern.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  # flume: a1.sources.r1.ignorePattern (line 11): not carried over: without this pattern flumego's
  #   spooldir source would consume (rename or delete) files Flume left alone: left out — write the
  #   pattern in RE2 syntax, and the source, by hand
  #   a1.sources.r1.type = spooldir
  #   a1.sources.r1.spoolDir = /var/spool/flume
  #   a1.sources.r1.deletePolicy = immediate
  #   a1.sources.r1.ignorePattern = ^(?!.*\.log$).*$
  #   a1.sources.r1.channels = c1

  channel "memory" "c1" {
    capacity             = 100 # Flume's default
    transaction_capacity = 100 # Flume's default
  }

  sink "logger" "k1" {
    channel    = "c1"
    batch_size = 1 # Flume's default
  }
}
