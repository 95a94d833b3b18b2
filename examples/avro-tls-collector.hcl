# Collector with TLS and deflate: like avro-collector.hcl, for senders across an untrusted
# network. With both on, TLS runs inside the zlib stream, as Flume 1.10 and later do.
agent "collector" {
  source "avro" "r1" {
    bind             = "127.0.0.1"
    port             = env("FLUMEGO_AVRO_PORT", "4141")
    channels         = ["c1"]
    compression_type = "deflate"
    ssl              = true
    cert_file        = env("FLUMEGO_CERT_FILE", "/etc/flumego/collector.pem")
    key_file         = env("FLUMEGO_KEY_FILE", "/etc/flumego/collector.key")
    ip_filter        = true
    ip_filter_rules  = ["allow:127.0.0.0/8", "deny:0.0.0.0/0", "deny:::/0"]
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 1000
  }

  sink "file_roll" "k1" {
    channel       = "c1"
    directory     = env("FLUMEGO_OUT", "/tmp/flumego/collector")
    roll_interval = 0
    batch_size    = 1000
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
