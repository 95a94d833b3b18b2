# Replaying dead letters: the file channel dead-letter-collect.hcl kept its dead letters in,
# drained by a kafka sink once their cause is fixed. Run it after that agent stopped, on the
# same directory. A dead letter keeps its headers (and gains flumego.dead_letter.*), so it is
# routed by the header it carried, and one that named no topic goes to the topic chosen now.
agent "replay" {
  channel "file" "dead" {
    dir = env("FLUMEGO_DEAD_LETTER_DIR", "/var/lib/flumego/dead-letters")
  }

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
