# exec `tail -F` as Flume users run it (see ../shared/flume-configs/exec-replicating-avro.conf),
# into file_roll. exec gives no delivery guarantee: lines written while the agent is down are
# never read, and lines in memory at a crash are lost. Prefer taildir (examples/taildir-file.hcl).
agent "a1" {
  source "exec" "r1" {
    channels         = ["c1"]
    command          = env("FLUMEGO_EXEC_COMMAND", "tail -F /var/log/app/app.log")
    shell            = "/bin/sh -c"
    restart          = env("FLUMEGO_EXEC_RESTART", "true")
    restart_throttle = env("FLUMEGO_EXEC_THROTTLE", "10s")
    log_stderr       = true
    batch_size       = 20
    batch_timeout    = "200ms"
  }

  channel "memory" "c1" {
    capacity             = 10000
    transaction_capacity = 100
  }

  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT", "/var/log/flumego/exec")
    batch_size    = 100
    roll_interval = "1h"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
