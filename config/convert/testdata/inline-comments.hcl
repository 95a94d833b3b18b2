# Converted from inline-comments.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  # flume: a1.sinks (line 5): not carried over: sink "#" is listed but has no properties (no type):
  #   Flume drops it too (Java properties have no comments after a value: "# the sinks" is part of it)
  # flume: a1.sinks (line 5): not carried over: sink "the" is listed but has no properties (no type):
  #   Flume drops it too (Java properties have no comments after a value: "# the sinks" is part of it)
  # flume: a1.sinks (line 5): not carried over: sink "sinks" is listed but has no properties (no
  #   type): Flume drops it too (Java properties have no comments after a value: "# the sinks" is part
  #   of it)

  source "exec" "r2" {
    # flume: a1.sources.r2.command (line 13): changed: Java properties have no comments after a value,
    #   so Flume reads "# follow the app" as part of the value, and so does the conversion: remove it
    #   from the Flume file if it was meant as a comment
    command    = "tail -F /var/log/app.log   # follow the app"
    batch_size = 20 # Flume's default
    channels   = ["c1"]
  }

  # flume: a1.sources.r1.port (line 9): not carried over: "44444 # the netcat port" is not a whole
  #   number (Java properties have no comments after a value: "# the netcat port" is part of it): Flume
  #   fails to configure the component and removes it at start-up, so it is left out here too (fix the
  #   value in the Flume file, or write the component by hand)
  #   a1.sources.r1.type = netcat
  #   a1.sources.r1.bind = 0.0.0.0
  #   a1.sources.r1.port = 44444    # the netcat port
  #   a1.sources.r1.channels = c1

  channel "memory" "c1" {
    # flume: a1.channels.c1.capacity (line 17): changed: "10000 # events" is not a whole number (Java
    #   properties have no comments after a value: "# events" is part of it): Flume warns and uses its
    #   default, 100, and so does the conversion
    # flume: a1.channels.c1.transactionCapacity (line 18): changed: "1000 # per transaction" is not a
    #   whole number (Java properties have no comments after a value: "# per transaction" is part of
    #   it): Flume warns and uses its default, 100, and so does the conversion
    capacity             = 100
    transaction_capacity = 100
  }

  sink "logger" "k1" {
    channel    = "c1"
    batch_size = 1 # Flume's default
  }

  # flume: a1.sinks.k2 (line 23): not carried over: Flume sink type "file_roll # roll files" has no
  #   flumego equivalent (Java properties have no comments after a value: "# roll files" is part of it)
  #   (flumego converts Flume's avro, file_roll, hdfs, kafka, logger, null sinks)
  #   a1.sinks.k2.type = file_roll   # roll files
  #   a1.sinks.k2.sink.directory = /var/log/flume
  #   a1.sinks.k2.channel = c1
}
