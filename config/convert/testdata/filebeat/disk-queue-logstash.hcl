# Converted from disk-queue-logstash.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
  # filebeat: output.logstash (line 10): not carried over: flumego has no Logstash (Beats protocol)
  #   output: send to Kafka and read it with Logstash's kafka input, whose codec => json reads the same
  #   documents: the converted agent has no sink, and its channel fills up
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
  # filebeat: filebeat.modules (line 5): not carried over: Filebeat modules are not carried over:
  #   write their inputs in filebeat.inputs (or in flumego) by hand; their ingest pipelines run in
  #   Elasticsearch
  # filebeat: setup.template.enabled (line 13): not carried over: index templates, ILM and dashboards
  #   belong to Elasticsearch and Kibana: flumego sets none up
  # filebeat: logging.level (line 14): not carried over: flumego logs to standard error in its own
  #   format: choose the level with `agent --log-level` and the format with --log-format
  # filebeat: logging.to_files (line 15): not carried over: flumego logs to standard error in its own
  #   format: choose the level with `agent --log-level` and the format with --log-format
  # filebeat: monitoring.enabled (line 16): not carried over: flumego serves its counters itself
  #   (metrics { listen = ... }): Prometheus, Flume's JSON, /status
  data_dir = "/var/lib/flumego"

  source "taildir" "log_1" {
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "log_1" {
      path = "/var/log/syslog"
    }
  }

  channel "file" "queue" {
    # filebeat: queue.disk (line 7): changed: Filebeat's disk queue becomes a file channel: events
    #   survive a crash; it does not read what Filebeat's queue still holds (drain Filebeat first)
    # filebeat: queue.disk.max_size (line 9): not carried over: flumego's file channel (bbolt, fsync
    #   per commit) bounds events by capacity and keeps minimum_required_space free on its disk; it has
    #   no max_size
    dir = "/var/lib/filebeat/queue"
  }
}
