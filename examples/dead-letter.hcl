# Dead letters: a Kafka sink whose topic comes from each event ("topic=NAME message"). An event
# that names no topic (or a name Kafka cannot hold, or is too large) can never be delivered:
# the runner puts it into the dead-letter channel "dead", with the headers
# flumego.dead_letter.sink, flumego.dead_letter.error and flumego.dead_letter.time, and the rest
# of its batch goes on. Set FLUMEGO_FALLBACK_TOPIC to send the events without a topic there
# instead. The logger sink drains the dead letters into the agent's log for inspection; any
# sink can drain them (file_roll into files), or leave them in a file channel and replay them
# later (dead-letter-collect.hcl, dead-letter-replay.hcl).
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["c1"]

    interceptor "regex_extractor" {
      regex = "^topic=(\\S+) "
      serializer "t" {
        name = "log_topic"
      }
    }
  }

  channel "memory" "c1" {
    capacity             = 10000
    transaction_capacity = 100
  }

  # Dead letters are kept on disk: nothing the sink refused is lost before someone looks.
  channel "file" "dead" {
    dir                  = env("FLUMEGO_DEAD_LETTER_DIR", "/var/lib/flumego/dead-letters")
    capacity             = 100000
    transaction_capacity = 100
  }

  sink "kafka" "k1" {
    channel             = "c1"
    batch_size          = 100
    brokers             = [env("FLUMEGO_KAFKA_BROKERS", "localhost:9092")]
    topic               = "%%{log_topic}" # HCL: %%{ writes %{, the header's value
    fallback_topic      = env("FLUMEGO_FALLBACK_TOPIC", "")
    allow_topic_override = false
    dead_letter_channel = "dead"
    on_permanent_error  = "dead_letter" # the default with a dead_letter_channel; or "drop"
  }

  sink "logger" "dead_letters" {
    channel          = "dead"
    max_bytes_to_log = 64
  }

  metrics {
    listen          = env("FLUMEGO_METRICS", "127.0.0.1:41414")
    unhealthy_after = env("FLUMEGO_UNHEALTHY_AFTER", "30s") # /healthz 503 after failing this long
  }
}
