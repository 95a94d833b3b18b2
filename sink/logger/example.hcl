# logger sink example: logs every event at Info, as Flume's LoggerSink prints it. For test
# flows only: one log record per event.
sink "logger" "k1" {
  channel          = "c1"
  max_bytes_to_log = 16 # body bytes dumped in hex and text
}

# Logs each event as a serializer writes it (text, json or format), to see what a kafka or file
# sink with the same block would send.
sink "logger" "json" {
  channel = "c1"
  serializer "json" {
    preset = "flume"
  }
}
