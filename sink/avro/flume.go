package avro

import "github.com/flumego/flumego/config/flume"

// flumeAvro converts Flume's avro sink; its truststore is a Java one, reported.
var flumeAvro = &flume.Mapping{
	Flume:   "avro sink",
	Aliases: []string{"avro", "org.apache.flume.sink.AvroSink"},
	Settings: []flume.Setting{
		flume.Map("hostname", flume.AsString, "hostname"), flume.Map("port", flume.AsInt, "port"), flume.Map("batch_size", flume.AsInt, "batch-size"),
		flume.Map("connect_timeout", flume.AsMillis, "connect-timeout"), flume.Map("request_timeout", flume.AsMillis, "request-timeout"),
		flume.Map("reset_connection_interval", flume.AsSeconds, "reset-connection-interval"),
		flume.Func(flume.LowerOneOf("compression_type", map[string]string{"none": "none", "deflate": "deflate"}), "compression-type"),
		flume.Map("compression_level", flume.AsInt, "compression-level"),
		flume.Map("ssl", flume.AsBool, "ssl"), flume.Map("trust_all_certs", flume.AsBool, "trust-all-certs"),
		flume.Func(func(c *flume.Conv, p flume.Property) {
			c.Drop(p, "%q is a Java truststore; flumego reads PEM: export it with `keytool -exportcert -rfc -keystore %s` and set truststore to the PEM file (until then the system's roots are trusted)", p.Value, p.Value)
		}, "truststore"),
	},
	Dropped: map[string]string{
		"truststore-password": "flumego reads a PEM truststore (see truststore)",
		"truststore-type":     "flumego reads a PEM truststore (see truststore)",
		"exclude-protocols":   flume.WhyTLS, "include-protocols": flume.WhyTLS,
		"exclude-cipher-suites": flume.WhyTLS, "include-cipher-suites": flume.WhyTLS,
		"maxIoWorkers": "flumego needs no I/O worker pool",
	},
	Defaults: []flume.Default{{Attr: "batch_size", Value: flume.Int(100)}},
}
