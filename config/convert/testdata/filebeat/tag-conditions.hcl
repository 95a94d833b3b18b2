# Converted from tag-conditions.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
  data_dir = "/var/lib/flumego"

  source "taildir" "app" {
    # filebeat: processors.0.add_host_metadata.when (line 17): changed: the condition tests only the
    #   tags, which are [] for every event of input app: it always holds there, so the processor applies
    #   to all of them
    # filebeat: processors.1.add_cloud_metadata (line 18): not carried over: Filebeat's
    #   add_cloud_metadata processor has no flumego equivalent: flumego does not ask the cloud
    #   provider's metadata service: the documents have no cloud.* fields
    # filebeat: processors.2.add_docker_metadata (line 19): not carried over: Filebeat's
    #   add_docker_metadata processor has no flumego equivalent: flumego does not ask the Docker daemon:
    #   the documents have no container.* names, images or labels (a container input with
    #   add_kubernetes_metadata takes pod and container names from the log file paths)
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "app" {
      path    = "/var/log/app.log"
      headers = { "input.type" = "filestream" }
    }
    interceptor "host" {
      # filebeat: processors.0.add_host_metadata (line 16): changed: only host.hostname is added
      #   (host.name is the serializer's name); host.architecture, host.os.*, host.id, host.ip and
      #   host.mac are not
      host_header       = "host.hostname"
      preserve_existing = false
    }
  }

  source "taildir" "log_2" {
    # filebeat: filebeat.inputs.1.processors.0.add_fields.when (line 12): changed: the condition tests
    #   only the tags, which are ["forwarded"] for every event of input log_2: it always holds there, so
    #   the processor applies to all of them
    # filebeat: processors.0.add_host_metadata.when (line 17): not carried over: the condition tests
    #   only the tags, which are ["forwarded"] for every event of input log_2: it never holds there, so
    #   the processor is left out of log_2 (Filebeat never runs it either)
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "log_2" {
      path    = "/var/log/relay.log"
      headers = { tags = "forwarded" }
    }
    interceptor "static" {
      key               = "fields.relay"
      value             = "true"
      preserve_existing = false
    }
  }

  channel "memory" "queue" {
    capacity = 4096 # Filebeat's queue.mem.events
  }

  sink "file_roll" "file" {
    # filebeat: output.file (line 20): changed: flumego's file_roll names files
    #   filebeat-<start-millis>-<n> and rolls them by time (roll_interval, 0 = one file per start) where
    #   Filebeat rotates by size (rotate_every_kb, 10 MiB) keeping number_of_files (7): rotate them with
    #   logrotate, or set roll_interval
    channel       = "queue"
    directory     = "/tmp/filebeat"
    prefix        = "filebeat-"
    roll_interval = "0s"
    serializer "json" {
      preset = "filebeat"
    }
  }
}
