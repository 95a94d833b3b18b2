# Converted from processors.yml (Filebeat) by `agent convert`.
# Comments starting with "filebeat:" mark what was not carried over or was changed.

agent "filebeat" {
  # filebeat: path.data (line 1): changed: not set: flumego keeps its file positions and agent.id in
  #   data_dir = "/var/lib/flumego"; it does not read Filebeat's registry, so every file is read again
  #   from its start once (set skip_to_end = true on a source to start at the end instead)
  data_dir = "/var/lib/flumego"

  source "taildir" "log_1" {
    # filebeat: filebeat.inputs.0.processors.4.drop_event.when (line 27): not carried over: the and
    #   condition has no flumego equivalent: the events are not dropped
    # filebeat: filebeat.inputs.0.processors.5.drop_event.when (line 32): not carried over: the range
    #   condition has no flumego equivalent: the events are not dropped
    # filebeat: processors.5.drop_fields.fields.0 (line 53): not carried over: agent.ephemeral_id is
    #   written by the filebeat serializer itself, not an event header an interceptor could remove
    # filebeat: processors.6.add_fields (line 55): not carried over: the processor applies only when
    #   its condition holds, which flumego's interceptors cannot say: left out (write it with a script
    #   interceptor, or route with a multiplexing selector)
    # filebeat: processors.7.rename (line 61): not carried over: Filebeat's rename processor has no
    #   flumego equivalent: write its logic with a script interceptor (Filebeat's JavaScript API)
    ecs_headers     = true
    max_line_length = "10MiB"
    line_overflow   = "truncate" # Filebeat discards what is past max_bytes
    idle_timeout    = "5m"       # Filebeat's close_inactive
    channels        = ["queue"]
    filegroup "log_1" {
      path    = "/var/log/web/access.log"
      headers = { tags = "web,edge" }
    }
    interceptor "regex_extractor" {
      # filebeat: filebeat.inputs.0.processors.0.dissect.tokenizer (line 7): changed: the tokenizer
      #   becomes a regular expression; a line it does not match gets no http.* headers (Filebeat adds a
      #   dissect_parsing_error flag)
      regex = "^(.*?) - (?:.*?) \\[(.*?)\\] \"(.*?) (.*?) (.*?)\" (.*?) (.*)$"
      serializer "s1" {
        name = "http.client"
      }
      serializer "s2" {
        name = "http.ts"
      }
      serializer "s3" {
        name = "http.method"
      }
      serializer "s4" {
        name = "http.path"
      }
      serializer "s5" {
        name = "http.proto"
      }
      serializer "s6" {
        name = "http.status"
      }
      serializer "s7" {
        name = "http.size"
      }
    }
    interceptor "regex_filter" {
      regex          = "^#"
      exclude_events = true
    }
    interceptor "regex_filter" {
      header         = "http.status"
      regex          = "^200$"
      exclude_events = true
    }
    interceptor "regex_filter" {
      header         = "http.path"
      regex          = "/healthz"
      exclude_events = true
    }
    interceptor "regex_filter" {
      regex          = "GET"
      exclude_events = false
    }
    interceptor "host" {
      # filebeat: processors.0.add_host_metadata (line 36): changed: only host.hostname is added
      #   (host.name is the serializer's name); host.architecture, host.os.*, host.id, host.ip and
      #   host.mac are not
      # filebeat: processors.0.add_host_metadata.netinfo (line 37): not carried over: no flumego
      #   equivalent
      host_header       = "host.hostname"
      preserve_existing = false
    }
    interceptor "static" {
      key               = "project.name"
      value             = "shop"
      preserve_existing = false
    }
    interceptor "static" {
      key               = "project.id"
      value             = "574734885120952459"
      preserve_existing = false
    }
    interceptor "static" {
      key               = "datacenter"
      value             = "eu-1"
      preserve_existing = false
    }
    interceptor "static" {
      key               = "labels.tier"
      value             = "web"
      preserve_existing = false
    }
    interceptor "remove_header" {
      from_list = "log.offset"
      matching  = "(?:log\\.offset)\\..+"
    }
    interceptor "remove_header" {
      matching = "^fields\\.tmp"
    }
    interceptor "script" {
      # filebeat: processors.8.script (line 65): changed: the script sees the event's headers as its
      #   fields and the body as message: fields the filebeat serializer adds (agent.*, host.name,
      #   @timestamp) are not there yet
      source  = "var threshold; function register(params) { threshold = params.threshold; } function process(event) {\n  event.Put(\"processed\", \"yes\");\n}\n"
      params  = { threshold = 15 }
      timeout = "2s"
    }
    interceptor "json" {
      # filebeat: processors.9.decode_json_fields (line 76): changed: the decoded fields become
      #   headers, written as strings (a number or a nested object is its JSON text); the body stays the
      #   message
      max_depth = 2
    }
  }

  channel "memory" "queue" {
    capacity = 4096 # Filebeat's queue.mem.events
  }

  sink "kafka" "kafka" {
    channel                   = "queue"
    brokers                   = ["kafka1:9092"]
    topic                     = "web"
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
