# Converted from no-inputs.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

# agent "filebeat" {
#   # filebeat: filebeat.inputs (line 1): not carried over: no inputs: nothing to read (this file starts
#   #   its inputs from filebeat.config.inputs, filebeat.autodiscover, filebeat.modules, which do not
#   #   convert: see their notes)
#   # filebeat: processors (line 12): not carried over: no input converts, so there are no events for it
#   # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
#   #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
#   #   from its start once (set skip_to_end = true on a source to start at the end instead)
#   # filebeat: filebeat.config.inputs.enabled (line 4): not carried over: inputs loaded from other
#   #   files are not read: convert those files (or paste their inputs under filebeat.inputs)
#   # filebeat: filebeat.config.inputs.path (line 5): not carried over: inputs loaded from other files
#   #   are not read: convert those files (or paste their inputs under filebeat.inputs)
#   # filebeat: filebeat.autodiscover.providers (line 7): not carried over: autodiscover starts inputs
#   #   as Docker or Kubernetes report containers, which flumego does not ask: read every container's log
#   #   with a container input (paths /var/log/containers/*.log) and add_kubernetes_metadata, which names
#   #   pods from the log file paths
#   # filebeat: filebeat.modules (line 10): not carried over: Filebeat modules are not carried over:
#   #   write their inputs in filebeat.inputs (or in flumego) by hand; their ingest pipelines run in
#   #   Elasticsearch
#   data_dir = "/var/lib/flumego"
#
#   channel "memory" "queue" {
#     capacity = 4096 # Filebeat's queue.mem.events
#   }
#
#   sink "kafka" "kafka" {
#     channel = "queue"
#     brokers = ["kafka:9092"]
#     topic = "logs"
#     allow_topic_override = false # Filebeat takes the topic from its topic setting only
#     key_header = "" # Filebeat sends keyless records unless key is set
#     acks = "1"
#     compression = "gzip"
#     max_message_bytes = 1000000
#     batch_size = 2048
#     headers_as_record_headers = false # Filebeat sends no record headers
#     serializer "json" {
#       preset = "filebeat"
#     }
#   }
# }
