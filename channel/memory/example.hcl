# Memory channel examples: paste a block into an agent "..." { } block.
# A memory channel is fast and loses what it holds if the agent dies; use the file channel
# where that is not acceptable.

# Flume's defaults, written out.
channel "memory" "c1" {
  capacity                        = 100  # events held, counting those taken but not committed
  transaction_capacity            = 100  # events per put or take transaction, at most capacity
  byte_capacity                   = 0    # body bytes held; 0 = no limit (Flume: 80% of -Xmx)
  byte_capacity_buffer_percentage = 20   # share of byte_capacity kept for headers
  keep_alive                      = "3s" # how long a put waits for room before the source backs off
}

# A buffer for bursts: up to 100000 events or 256 MiB of bodies (of which 80% for bodies),
# taken by sinks in batches of up to 1000.
channel "memory" "burst" {
  capacity             = 100000
  transaction_capacity = 1000
  byte_capacity        = "256MiB"
  keep_alive           = "1s"
}
