# Forwarder with TLS and deflate, the sending half of avro-tls-collector.hcl. The collector's
# certificate chain is checked against the truststore (PEM); its host name is not, as Flume.
agent "forwarder" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "avro" "k1" {
    channel           = "c1"
    hostname          = env("FLUMEGO_AVRO_HOST", "127.0.0.1")
    port              = env("FLUMEGO_AVRO_PORT", "4141")
    batch_size        = 100
    compression_type  = "deflate"
    compression_level = 6
    ssl               = true
    truststore        = env("FLUMEGO_TRUSTSTORE", "/etc/flumego/ca.pem")
    max_in_flight     = 2
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41415")
  }
}
