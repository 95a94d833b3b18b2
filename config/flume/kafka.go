package flume

import (
	"regexp"
	"slices"
	"strings"
)

// Kafka clients: Flume passes kafka.producer.* and kafka.consumer.* to Kafka's Java client;
// flumego has first-class settings for the common ones, a producer map for rarer producer
// properties, and tls / sasl blocks for security. These helpers are shared by the Kafka
// source, channel and sink mappings.

// kafkaProducerMap are the producer properties the kafka sink's producer map accepts.
var kafkaProducerMap = []string{
	"client.id", "delivery.timeout.ms", "request.timeout.ms", "retries", "retry.backoff.ms",
	"metadata.max.age.ms", "connections.max.idle.ms", "max.in.flight.requests.per.connection",
	"buffer.memory", "allow.auto.create.topics",
}

// KafkaCompressions are the compression codecs flumego's Kafka clients know.
var KafkaCompressions = map[string]string{"none": "none", "gzip": "gzip", "snappy": "snappy", "lz4": "lz4", "zstd": "zstd"}

// KafkaPlaceholderBroker is written when Flume found the brokers through ZooKeeper.
const KafkaPlaceholderBroker = "kafka-broker:9092"

// KafkaAcks converts acks (kafka.producer.acks, or the old requiredAcks): -1 is all.
func KafkaAcks(c *Conv, p Property) {
	v, ok := c.Literal(p)
	if !ok {
		c.Set("acks", c.Tmpl(p))
		return
	}
	switch strings.ToLower(v) {
	case "-1", "all":
		v = "all"
	case "0", "1":
	default:
		c.Drop(p, "acks %q is not 0, 1, -1 or all", v)
		return
	}
	if c.Kind == "channels" && v == "0" {
		c.Drop(p, "a Kafka channel cannot commit a put the broker did not acknowledge: acks stays all")
		return
	}
	c.Set("acks", String(v))
}

// KafkaZooKeeper remembers zookeeperConnect: Flume 1.9–1.11 look the brokers up there when
// kafka.bootstrap.servers is not set (see FinishKafka).
func KafkaZooKeeper(c *Conv, p Property) { c.State["zookeeper"] = p }

// KafkaClientProp converts one kafka.producer.* or kafka.consumer.* property.
func KafkaClientProp(c *Conv, p Property) {
	role, k, _ := strings.Cut(strings.TrimPrefix(p.Key, "kafka."), ".")
	switch k {
	case "security.protocol", "sasl.mechanism", "sasl.jaas.config":
		c.State[k] = p
		return
	case "ssl.truststore.location":
		c.Drop(p, "%q is a Java truststore; flumego reads PEM: export its CA with `keytool -exportcert -rfc` and set tls { ca_file } (until then the system's roots are trusted)", p.Value)
		return
	case "ssl.keystore.location":
		c.Drop(p, "%q is a Java keystore; flumego reads a PEM client certificate and key: set tls { cert_file, key_file }", p.Value)
		return
	case "ssl.truststore.password", "ssl.truststore.type", "ssl.keystore.password", "ssl.keystore.type", "ssl.key.password":
		c.Drop(p, "flumego reads PEM files (see the truststore and keystore)")
		return
	case "ssl.endpoint.identification.algorithm":
		if v, _ := c.Literal(p); strings.EqualFold(v, "https") {
			return
		}
		c.Drop(p, "flumego always checks the broker's host name; set tls { server_name } when the certificate names another")
		return
	case "sasl.kerberos.service.name":
		c.Drop(p, "Kerberos (GSSAPI) is not supported by flumego")
		return
	}
	switch {
	case role == "producer" && k == "acks":
		KafkaAcks(c, p)
	case role == "producer" && k == "compression.type":
		LowerOneOf("compression", KafkaCompressions)(c, p)
	case role == "producer" && c.Kind == "sinks" && k == "linger.ms":
		c.Set("linger", c.Convert(p, AsMillis))
	case role == "producer" && c.Kind == "sinks" && k == "max.request.size":
		c.Set("max_message_bytes", c.Convert(p, AsBytes))
	case role == "producer" && c.Kind == "sinks" && k == "enable.idempotence":
		c.Set("idempotent", c.Convert(p, AsBool))
	case role == "producer" && c.Kind == "sinks" && slices.Contains(kafkaProducerMap, k):
		m, _ := c.State["producer"].(*Object)
		if m == nil {
			m = &Object{}
			c.State["producer"] = m
		}
		m.Set(k, c.Tmpl(p))
	case role == "producer" && k == "batch.size":
		c.Drop(p, "flumego sends each take as one batch of records; its size is bounded by max_message_bytes")
	case k == "key.serializer" || k == "value.serializer" || k == "key.deserializer" || k == "value.deserializer":
		c.Drop(p, "flumego writes and reads keys and values as bytes")
	case role == "consumer" && k == "auto.offset.reset" && c.Kind == "sources":
		LowerOneOf("start_offset", map[string]string{"earliest": "earliest", "latest": "latest"})(c, p)
	case role == "consumer" && k == "auto.offset.reset":
		c.Drop(p, "flumego's Kafka channel starts a new consumer group at the earliest offset, so nothing put is skipped")
	default:
		c.Drop(p, "Kafka %s property %q is not supported by this flumego component", role, k)
	}
}

// KafkaOther handles kafka.* keys that are neither producer nor consumer properties.
func KafkaOther(c *Conv, p Property) {
	if p.Key == "kafka.flumeBatchSize" {
		c.Drop(p, "Flume's Kafka sink reads flumeBatchSize, not kafka.flumeBatchSize (a slip copied from Flume's user guide), so Flume ignored it too: batch_size stays at Flume's default, 100")
		return
	}
	c.Drop(p, "not a Kafka setting of Flume's (Flume passes only kafka.producer.* and kafka.consumer.* to the client), so Flume ignores it too")
}

var (
	jaasUser = regexp.MustCompile(`username\s*=\s*"([^"]*)"`)
	jaasPass = regexp.MustCompile(`password\s*=\s*"([^"]*)"`)
)

// FinishKafka writes the brokers found through ZooKeeper as a placeholder, the producer map,
// and the tls and sasl blocks.
func FinishKafka(c *Conv) {
	if zk, ok := c.State["zookeeper"].(Property); ok {
		if c.Block.Attr("brokers") == nil {
			c.Set("brokers", Strings([]string{KafkaPlaceholderBroker}))
			c.Note(zk, true, "Flume looked the Kafka brokers up in ZooKeeper at %s (kafka.bootstrap.servers is not set); flumego talks to the brokers directly: brokers is set to %q — replace it with the brokers' host:port (`zookeeper-shell %s get /brokers/ids/ID` for each id of `ls /brokers/ids`)", strings.TrimSpace(zk.Value), KafkaPlaceholderBroker, strings.TrimSpace(zk.Value))
		} else {
			c.Drop(zk, "Flume uses kafka.bootstrap.servers when it is set, and so does flumego: ZooKeeper is not needed")
		}
	}
	if m, ok := c.State["producer"].(*Object); ok {
		c.Set("producer", m)
	}
	protoP, _ := c.State["security.protocol"].(Property)
	proto, _ := c.Literal(protoP)
	proto = strings.ToUpper(proto)
	mechP, hasMech := c.State["sasl.mechanism"].(Property)
	jaasP, hasJaas := c.State["sasl.jaas.config"].(Property)
	switch proto {
	case "", "PLAINTEXT", "SSL", "SASL_SSL", "SASL_PLAINTEXT":
	default:
		c.Drop(protoP, "unknown security.protocol %q", proto)
	}
	if proto == "SSL" || proto == "SASL_SSL" {
		c.Block.Add(NewBlock("tls"))
	}
	if !strings.HasPrefix(proto, "SASL_") {
		if hasMech {
			c.Drop(mechP, "used only with security.protocol SASL_SSL or SASL_PLAINTEXT")
		}
		if hasJaas {
			c.Drop(jaasP, "used only with security.protocol SASL_SSL or SASL_PLAINTEXT")
		}
		return
	}
	mech := "GSSAPI" // Kafka's default
	if hasMech {
		mech, _ = c.Literal(mechP)
		mech = strings.ToUpper(mech)
	}
	switch mech {
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		at := mechP
		if !hasMech {
			at = protoP
		}
		c.Drop(at, "SASL mechanism %s is not supported by flumego (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512): no sasl block is written", mech)
		return
	}
	if !hasJaas {
		c.Drop(protoP, "SASL without sasl.jaas.config: write the sasl block's username and password by hand")
		return
	}
	j := jaasP.Value
	u, pw := jaasUser.FindStringSubmatch(j), jaasPass.FindStringSubmatch(j)
	if u == nil || pw == nil {
		c.Drop(jaasP, "no username=\"...\" and password=\"...\" found in the JAAS configuration: write the sasl block by hand")
		return
	}
	sb := NewBlock("sasl")
	sb.Set("mechanism", String(mech))
	sb.Set("username", c.Tmpl(Property{Key: jaasP.Key, Value: u[1], Line: jaasP.Line}))
	sb.Set("password", c.Tmpl(Property{Key: jaasP.Key, Value: pw[1], Line: jaasP.Line}))
	c.Block.Add(sb)
	c.Note(jaasP, true, "the JAAS login module's username and password are written into the sasl block; consider password = env(\"KAFKA_PASSWORD\")")
}
