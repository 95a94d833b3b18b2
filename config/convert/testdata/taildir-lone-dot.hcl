# Converted from taildir-lone-dot.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "taildir" "r1" {
    # flume: a1.sources.r1.filegroups.access (line 9): changed: Flume reads the file name ".*.log" as
    #   a regular expression, where a lone . is any character: written as the glob "*?log", which
    #   matches as much (a name such as "x_log" too); write \. in the expression, or . in the glob, for
    #   a dot
    # flume: a1.sources.r1.filegroups.app (line 10): changed: Flume reads the file name "app-d+.log"
    #   as a regular expression; flumego takes a glob, and "app-d*?log" is the nearest one that matches
    #   every name the expression did (and more): check it
    # flume: a1.sources.r1.filegroups.rotated (line 11): changed: Flume reads the file name
    #   "app.log.[0-9]" as a regular expression, where a lone . is any character: written as the glob
    #   "app?log?[0-9]", which matches as much (a name such as "app_log_[0-9]" too); write \. in the
    #   expression, or . in the glob, for a dot
    position_file = "/var/lib/flume/taildir_position.json"
    file_header   = true
    batch_size    = 100 # Flume's default
    channels      = ["c1"]
    filegroup "access" {
      path = "/var/log/nginx/*?log"
    }
    filegroup "app" {
      path = "/var/log/app/app-d*?log"
    }
    filegroup "rotated" {
      path = "/var/log/app/app?log?[0-9]"
    }
  }

  channel "memory" "c1" {
    capacity             = 1000
    transaction_capacity = 100 # Flume's default
  }

  sink "null" "k1" {
    channel    = "c1"
    batch_size = 100 # Flume's default
  }
}
