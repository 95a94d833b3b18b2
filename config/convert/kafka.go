package convert

import (
	"regexp"
	"strings"
)

// Kafka clients: Flume passes kafka.producer.* and kafka.consumer.* to Kafka's Java client;
// flumego has first-class settings for the common ones, a producer map for rarer producer
// properties, and tls / sasl blocks for security.

// kafkaProducerMap are the producer properties the kafka sink's producer map accepts.
var kafkaProducerMap = []string{
	"client.id", "delivery.timeout.ms", "request.timeout.ms", "retries", "retry.backoff.ms",
	"metadata.max.age.ms", "connections.max.idle.ms", "max.in.flight.requests.per.connection",
	"buffer.memory", "allow.auto.create.topics",
}

var kafkaCompressions = map[string]string{"none": "none", "gzip": "gzip", "snappy": "snappy", "lz4": "lz4", "zstd": "zstd"}

// kafkaAcks converts acks (kafka.producer.acks, or the old requiredAcks): -1 is all.
func kafkaAcks(x *cc, p Property) {
	v, ok := x.literal(p)
	if !ok {
		x.set("acks", x.tmpl(p))
		return
	}
	switch strings.ToLower(v) {
	case "-1", "all":
		v = "all"
	case "0", "1":
	default:
		x.drop(p, "acks %q is not 0, 1, -1 or all", v)
		return
	}
	if x.sp.ours == "kafka" && x.c.kind == "channels" && v == "0" {
		x.drop(p, "a Kafka channel cannot commit a put the broker did not acknowledge: acks stays all")
		return
	}
	x.set("acks", str(v))
}

// kafkaClientProp converts one kafka.producer.* or kafka.consumer.* property.
func kafkaClientProp(x *cc, p Property) {
	role, k, _ := strings.Cut(strings.TrimPrefix(p.Key, "kafka."), ".")
	switch k {
	case "security.protocol", "sasl.mechanism", "sasl.jaas.config":
		x.st[k] = p
		return
	case "ssl.truststore.location":
		x.drop(p, "%q is a Java truststore; flumego reads PEM: export its CA with `keytool -exportcert -rfc` and set tls { ca_file } (until then the system's roots are trusted)", p.Value)
		return
	case "ssl.keystore.location":
		x.drop(p, "%q is a Java keystore; flumego reads a PEM client certificate and key: set tls { cert_file, key_file }", p.Value)
		return
	case "ssl.truststore.password", "ssl.truststore.type", "ssl.keystore.password", "ssl.keystore.type", "ssl.key.password":
		x.drop(p, "flumego reads PEM files (see the truststore and keystore)")
		return
	case "ssl.endpoint.identification.algorithm":
		if v, _ := x.literal(p); strings.EqualFold(v, "https") {
			return
		}
		x.drop(p, "flumego always checks the broker's host name; set tls { server_name } when the certificate names another")
		return
	case "sasl.kerberos.service.name":
		x.drop(p, "Kerberos (GSSAPI) is not supported by flumego")
		return
	}
	switch {
	case role == "producer" && k == "acks":
		kafkaAcks(x, p)
	case role == "producer" && k == "compression.type":
		lowerOneOf("compression", kafkaCompressions)(x, p)
	case role == "producer" && x.c.kind == "sinks" && k == "linger.ms":
		x.set("linger", x.conv(p, cMillis))
	case role == "producer" && x.c.kind == "sinks" && k == "max.request.size":
		x.set("max_message_bytes", x.conv(p, cBytes))
	case role == "producer" && x.c.kind == "sinks" && k == "enable.idempotence":
		x.set("idempotent", x.conv(p, cBool))
	case role == "producer" && x.c.kind == "sinks" && contains(kafkaProducerMap, k):
		m, _ := x.st["producer"].(*objVal)
		if m == nil {
			m = &objVal{}
			x.st["producer"] = m
		}
		m.set(k, x.tmpl(p))
	case role == "producer" && k == "batch.size":
		x.drop(p, "flumego sends each take as one batch of records; its size is bounded by max_message_bytes")
	case k == "key.serializer" || k == "value.serializer" || k == "key.deserializer" || k == "value.deserializer":
		x.drop(p, "flumego writes and reads keys and values as bytes")
	case role == "consumer" && k == "auto.offset.reset" && x.c.kind == "sources":
		lowerOneOf("start_offset", map[string]string{"earliest": "earliest", "latest": "latest"})(x, p)
	case role == "consumer" && k == "auto.offset.reset":
		x.drop(p, "flumego's Kafka channel starts a new consumer group at the earliest offset, so nothing put is skipped")
	default:
		x.drop(p, "Kafka %s property %q is not supported by this flumego component", role, k)
	}
}

// kafkaOther handles kafka.* keys that are neither producer nor consumer properties.
func kafkaOther(x *cc, p Property) {
	if p.Key == "kafka.flumeBatchSize" {
		x.drop(p, "Flume's Kafka sink reads flumeBatchSize, not kafka.flumeBatchSize (a slip copied from Flume's user guide), so Flume ignored it too: batch_size stays at its default, 100, as in Flume")
		return
	}
	x.drop(p, "not a Kafka setting flumego knows (Flume passes only kafka.producer.* and kafka.consumer.* to the client)")
}

var (
	jaasUser = regexp.MustCompile(`username\s*=\s*"([^"]*)"`)
	jaasPass = regexp.MustCompile(`password\s*=\s*"([^"]*)"`)
)

// finishKafka writes the producer map and the tls and sasl blocks.
func finishKafka(x *cc) {
	if m, ok := x.st["producer"].(*objVal); ok {
		x.set("producer", m)
	}
	protoP, _ := x.st["security.protocol"].(Property)
	proto, _ := x.literal(protoP)
	proto = strings.ToUpper(proto)
	mechP, hasMech := x.st["sasl.mechanism"].(Property)
	jaasP, hasJaas := x.st["sasl.jaas.config"].(Property)
	switch proto {
	case "", "PLAINTEXT", "SSL", "SASL_SSL", "SASL_PLAINTEXT":
	default:
		x.drop(protoP, "unknown security.protocol %q", proto)
	}
	if proto == "SSL" || proto == "SASL_SSL" {
		x.b.add(newBlock("tls"))
	}
	if !strings.HasPrefix(proto, "SASL_") {
		if hasMech {
			x.drop(mechP, "used only with security.protocol SASL_SSL or SASL_PLAINTEXT")
		}
		if hasJaas {
			x.drop(jaasP, "used only with security.protocol SASL_SSL or SASL_PLAINTEXT")
		}
		return
	}
	mech := "GSSAPI" // Kafka's default
	if hasMech {
		mech, _ = x.literal(mechP)
		mech = strings.ToUpper(mech)
	}
	switch mech {
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		at := mechP
		if !hasMech {
			at = protoP
		}
		x.drop(at, "SASL mechanism %s is not supported by flumego (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512): no sasl block is written", mech)
		return
	}
	if !hasJaas {
		x.drop(protoP, "SASL without sasl.jaas.config: write the sasl block's username and password by hand")
		return
	}
	j := jaasP.Value
	u, pw := jaasUser.FindStringSubmatch(j), jaasPass.FindStringSubmatch(j)
	if u == nil || pw == nil {
		x.drop(jaasP, "no username=\"...\" and password=\"...\" found in the JAAS configuration: write the sasl block by hand")
		return
	}
	sb := newBlock("sasl")
	sb.set("mechanism", str(mech))
	sb.set("username", x.tmpl(Property{Key: jaasP.Key, Value: u[1], Line: jaasP.Line}))
	sb.set("password", x.tmpl(Property{Key: jaasP.Key, Value: pw[1], Line: jaasP.Line}))
	x.b.add(sb)
	x.note(jaasP, true, "the JAAS login module's username and password are written into the sasl block; consider password = env(\"KAFKA_PASSWORD\")")
}
