# Converted from notes.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "http" "web" {
    # flume: a1.sources.web.handler (line 11): not carried over: handler
    #   com.example.flume.TokenAuthJSONHandler is a Java class flumego cannot run: flumego's http source
    #   takes Flume's JSON handler format (an array of {headers, body}); the handler appears to
    #   authenticate its clients (com.example.flume.TokenAuthJSONHandler, handler.token), and flumego's
    #   http source does not: the converted endpoint accepts every request unauthenticated — bind it
    #   to a trusted interface or put an authenticating proxy in front before it takes traffic
    # flume: a1.sources.web.handler.token (line 12): not carried over: a setting of the custom handler
    #   com.example.flume.TokenAuthJSONHandler, which cannot run in flumego
    bind     = "0.0.0.0"
    port     = 8080
    channels = ["c1"]
  }

  source "netcat" "r1" {
    # flume: a1.sources.r1.maxLineLength (line 19): not carried over: not a setting of Flume's netcat
    #   source, so Flume ignores it too
    bind     = "0.0.0.0"
    port     = 44444
    channels = ["c1", "c2"]
  }

  channel "memory" "c1" {
    capacity             = 100 # Flume's default
    transaction_capacity = 100 # Flume's default
  }

  channel "file" "c2" {
    # flume: a1.channels.c2.dataDirs (line 24): changed: events still in Flume's file channel are not
    #   read by flumego (its own format, in bbolt): drain the Flume agent before switching
    # flume: a1.channels.c2.checkpointDir (line 25): not carried over: flumego's file channel (bbolt)
    #   commits every transaction in place and needs no checkpoint
    dir                  = "/var/lib/flume/c2"
    capacity             = 1000000 # Flume's default
    transaction_capacity = 10000   # Flume's default
  }

  sink "logger" "k1" {
    channel    = "c1"
    batch_size = 1 # Flume's default
  }

  # flume: a1.sinks.k2 (line 29): not carried over: Flume sink type "hbase" has no flumego equivalent
  #   (flumego converts Flume's avro, file_roll, hdfs, kafka, logger, null sinks)
  #   a1.sinks.k2.type = hbase
  #   a1.sinks.k2.table = logs
  #   a1.sinks.k2.columnFamily = cf
  #   a1.sinks.k2.channel = c2
}
