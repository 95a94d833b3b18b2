# File channel examples: paste a block into an agent "..." { } block.
# A file channel keeps every event whose put committed on disk until a sink's take commits:
# it survives kill -9, and with fsync = "commit" an OS crash or a power cut.

# Flume's defaults, written out; only dir is required.
channel "file" "durable" {
  dir                    = "/var/lib/flumego/durable" # one database file, channel.db; created with its parents
  capacity               = 1000000  # events held, counting those taken but not committed
  transaction_capacity   = 10000    # events per put or take transaction, at most capacity
  keep_alive             = "3s"     # how long a put waits for room before the source backs off
  minimum_required_space = "512MiB" # puts are refused while the disk has less free; 0 = no check
  fsync                  = "commit" # a commit returns once it is on disk
}

# Throughput over power-cut safety: commits survive a kill of the agent at once, and reach the
# disk within a second; an OS crash or power cut may lose the last second of commits.
channel "file" "fast" {
  dir                  = "/var/lib/flumego/fast"
  transaction_capacity = 1000
  fsync                = "interval"
  fsync_interval       = "1s"
}
