# Replaying dead letters. Run the flow with its dead letters kept in a file channel that no sink
# drains (agent "collect"); once the cause is fixed (the topic exists, the fallback is set),
# stop it and run agent "replay" on the same file channel directory: its kafka sink delivers
# what was set aside, routed by the header the dead letters kept, or into the topic they name.
#
#   agent -f dead-letter-replay.hcl -n collect   # until the problem is seen and fixed
#   agent -f dead-letter-replay.hcl -n replay    # drains the dead letters, then idles
agent "collect" {
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

  channel "memory" "c1" {}

  channel "file" "dead" {
    dir = env("FLUMEGO_DEAD_LETTER_DIR", "/var/lib/flumego/dead-letters")
  }

  sink "kafka" "k1" {
    channel             = "c1"
    brokers             = [env("FLUMEGO_KAFKA_BROKERS", "localhost:9092")]
    topic               = "%%{log_topic}"
    dead_letter_channel = "dead"
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}

agent "replay" {
  channel "file" "dead" {
    dir = env("FLUMEGO_DEAD_LETTER_DIR", "/var/lib/flumego/dead-letters")
  }

  # The dead letters carry their original headers: route them as before, and send the ones
  # that named no topic to the topic chosen for them now.
  sink "kafka" "replayed" {
    channel              = "dead"
    brokers              = [env("FLUMEGO_KAFKA_BROKERS", "localhost:9092")]
    topic                = "%%{log_topic}"
    fallback_topic       = env("FLUMEGO_REPLAY_TOPIC", "replayed")
    allow_topic_override = false
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
