# Dead letters kept for a replay: the flow of dead-letter.hcl, with its dead letters left in a
# file channel that no sink drains. Once the cause is fixed (the topic exists, a fallback is
# chosen), stop this agent and run dead-letter-replay.hcl on the same directory:
#
#   agent -f dead-letter-collect.hcl   # until the problem is seen and fixed
#   agent -f dead-letter-replay.hcl    # delivers the dead letters, then idles
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
