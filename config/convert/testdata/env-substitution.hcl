# Converted from env-substitution.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "netcat" "r1" {
    # flume: a1.sources.r1.port (line 10): changed: Flume reads ${NC_PORT} from the environment only
    #   when started with -DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties
    #   (otherwise the text stays as written): converted into env("NC_PORT"), which refuses to start
    #   while NC_PORT is unset where Flume used an empty value (write env("NC_PORT", "") to keep that)
    bind     = "0.0.0.0"
    port     = env("NC_PORT")
    channels = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 1000
    transaction_capacity = 100
  }

  sink "kafka" "k1" {
    # flume: a1.sinks.k1.kafka.topic (line 20): changed: Flume reads ${TOPIC_SUFFIX} from the
    #   environment only when started with
    #   -DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties (otherwise the text
    #   stays as written): converted into env("TOPIC_SUFFIX"), which refuses to start while TOPIC_SUFFIX
    #   is unset where Flume used an empty value (write env("TOPIC_SUFFIX", "") to keep that)
    channel                   = "c1"
    brokers                   = [env("KAFKA_BROKERS")]
    topic                     = "logs-${env("TOPIC_SUFFIX")}"
    batch_size                = 100   # Flume's default
    headers_as_record_headers = false # as Flume, which sends only the headers mapped with header.NAME (1.11)
  }
}
