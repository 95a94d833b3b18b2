# Converted from taildir-literal-dir.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "taildir" "r1" {
    # flume: a1.sources.r1.filegroups.apps (line 12): changed: Flume reads the file name "app\\.log"
    #   as a regular expression; written as the glob "app.log"
    # flume: a1.sources.r1.filegroups.apps (line 12): changed: Flume takes the directory
    #   "/data/logs/.*/" literally (only the file name is a regular expression), and its source fails to
    #   start when no directory has that name: written escaped, "/data/logs/.\\*/"; if the directories
    #   were meant to match, write a glob such as /var/log/*/ by hand
    position_file = "/var/lib/flume/taildir_position.json"
    batch_size    = 100 # Flume's default
    channels      = ["c1"]
    filegroup "apps" {
      path = "/data/logs/.\\*/app.log"
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
