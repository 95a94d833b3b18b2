# Converted from container.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
  data_dir = "/var/lib/flumego"

  source "taildir" "container_1" {
    # filebeat: filebeat.inputs.0.processors.0.add_kubernetes_metadata (line 8): changed: the pod,
    #   namespace and container names and ids come from the log file's path
    #   (/var/log/containers/POD_NAMESPACE_CONTAINER-ID.log), not from the API server: no labels,
    #   annotations or node; they are the headers k8s.pod.name, k8s.namespace.name, k8s.container.name,
    #   container.id and k8s.pod.uid
    # filebeat: filebeat.inputs.0.processors.0.add_kubernetes_metadata.host (line 9): not carried
    #   over: flumego does not ask the Kubernetes API
    # filebeat: filebeat.inputs.0.processors.0.add_kubernetes_metadata.matchers (line 10): not carried
    #   over: flumego does not ask the Kubernetes API
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "container_1" {
      path                = "/var/log/containers/*.log"
      headers             = { "input.type" = "container" }
      format              = "cri"
      kubernetes_metadata = true
    }
    interceptor "regex_filter" {
      header = "stream"
      regex  = "^stdout$"
    }
  }

  source "taildir" "container_2" {
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "container_2" {
      path    = "/var/log/containers/ingress-*.log"
      headers = { "input.type" = "container" }
      format  = "auto"
    }
  }

  channel "memory" "queue" {
    capacity = 4096 # Filebeat's queue.mem.events
  }

  sink "kafka" "kafka" {
    channel                   = "queue"
    brokers                   = [env("KAFKA_HOST", "kafka.logging:9092")]
    topic                     = "k8s-%%{k8s.namespace.name}"
    allow_topic_override      = false # Filebeat takes the topic from its topic setting only
    key_header                = ""    # Filebeat sends keyless records unless key is set
    acks                      = "1"
    compression               = "gzip"
    max_message_bytes         = 1000000
    batch_size                = 2048
    headers_as_record_headers = false # Filebeat sends no record headers
    serializer "json" {
      preset = "filebeat"
    }
  }
}
