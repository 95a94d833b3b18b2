package convert

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// The tables below map Flume's component types (their aliases and class names) and properties
// (Flume user guide, 1.9–1.11) onto flumego's. Units: Flume gives some durations in seconds
// (cSecs) and others in milliseconds (cMillis).

// s is shorthand for a setting with its Flume names.
func s(attr string, kind convKind, keys ...string) setting {
	return setting{keys: keys, attr: attr, kind: kind}
}

func f(fn func(x *cc, p Property), keys ...string) setting {
	return setting{keys: keys, fn: fn}
}

const (
	whyTLS     = "Flume's TLS protocol and cipher lists are not configurable in flumego (TLS 1.2 or later, Go's cipher suites)"
	whyBackoff = "flumego's source backs off on its own (capped exponential back-off)"
)

// utf8Only accepts a charset setting that asks for UTF-8, which is all flumego reads.
func utf8Only(x *cc, p Property) {
	if v, ok := x.literal(p); ok && (strings.EqualFold(v, "UTF-8") || strings.EqualFold(v, "UTF8")) {
		return
	}
	x.drop(p, "charset %q: this flumego component reads UTF-8 only", p.Value)
}

// keystore remembers a Java keystore; finishTLS turns it into PEM file placeholders.
func keystore(x *cc, p Property) { x.st["keystore"] = p }

// finishTLS writes cert_file and key_file for a listener with ssl = true: flumego reads PEM
// files, not Java keystores, so the names are derived from the keystore's and the conversion
// is reported.
func finishTLS(x *cc) {
	on, _ := x.b.attr("ssl").valOrNil().(boolVal)
	ks, hasKS := x.st["keystore"].(Property)
	if !on {
		if hasKS {
			x.drop(ks, "a keystore is only used with ssl = true")
		}
		return
	}
	base := "/etc/flumego/tls/" + x.c.name
	if hasKS {
		if v, ok := x.literal(ks); ok && v != "" {
			base = strings.TrimSuffix(v, filepath.Ext(v))
		}
	}
	x.set("cert_file", str(base+".crt.pem"))
	x.set("key_file", str(base+".key.pem"))
	what := ks
	if !hasKS {
		what = Property{Key: "ssl", Line: x.c.line}
	}
	x.note(what, true, "flumego reads a PEM certificate chain and key, not a Java keystore: cert_file and key_file are set to %s.crt.pem and %s.key.pem; create them with `keytool -importkeystore -srckeystore KEYSTORE -destkeystore k.p12 -deststoretype PKCS12`, then `openssl pkcs12 -in k.p12 -nokeys -out CERT` and `openssl pkcs12 -in k.p12 -nocerts -nodes -out KEY`", base, base)
}

func (a *attr) valOrNil() value {
	if a == nil {
		return nil
	}
	return a.val
}

// re2 checks that a Java regular expression is also valid RE2 (Go) syntax.
func re2(x *cc, p Property, attr string) bool {
	v, ok := x.literal(p)
	if !ok {
		x.set(attr, x.tmpl(p))
		return true
	}
	if _, err := regexp.Compile(v); err != nil {
		x.drop(p, "the Java regular expression %q is not valid in flumego's RE2 syntax (no look-around, no back-references): %v", v, err)
		return false
	}
	x.set(attr, str(v))
	return true
}

func regexSetting(attr string) func(x *cc, p Property) {
	return func(x *cc, p Property) {
		if !re2(x, p, attr) {
			x.st["invalid"] = true
		}
	}
}

// lowerOneOf writes an enum setting when its lower-cased value is one flumego knows.
func lowerOneOf(attr string, m map[string]string) func(x *cc, p Property) {
	return func(x *cc, p Property) {
		v, ok := x.literal(p)
		if !ok {
			x.set(attr, x.tmpl(p))
			return
		}
		if ours, ok := m[strings.ToLower(v)]; ok {
			x.set(attr, str(ours))
			return
		}
		x.drop(p, "value %q has no flumego equivalent", v)
	}
}

var sourceSpecs = []*spec{
	{
		flume: "netcat source", ours: "netcat", aliases: []string{"netcat", "org.apache.flume.source.NetcatSource"},
		batch: 100,
		settings: []setting{
			s("bind", cStr, "bind"), s("port", cInt, "port"),
			s("max_line_length", cInt, "max-line-length"),
			s("ack_every_event", cBool, "ack-every-event"),
			f(utf8Only, "encoding"),
		},
	},
	{
		flume: "seq source", ours: "seq", aliases: []string{"seq", "org.apache.flume.source.SequenceGeneratorSource"},
		batch: 1,
		settings: []setting{
			s("batch_size", cInt, "batchSize"), s("total", cInt, "totalEvents"),
		},
	},
	{
		flume: "exec source", ours: "exec", aliases: []string{"exec", "org.apache.flume.source.ExecSource"},
		batch: 20,
		settings: []setting{
			s("command", cStr, "command"), s("shell", cStr, "shell"),
			s("restart_throttle", cMillis, "restartThrottle"), s("restart", cBool, "restart"),
			s("log_stderr", cBool, "logStdErr"), s("batch_size", cInt, "batchSize"),
			s("batch_timeout", cMillis, "batchTimeout"), f(utf8Only, "charset"),
		},
	},
	{
		flume: "spooldir source", ours: "spooldir", aliases: []string{"spooldir", "org.apache.flume.source.SpoolDirectorySource"},
		batch: 100,
		settings: []setting{
			s("spool_dir", cStr, "spoolDir"), s("file_suffix", cStr, "fileSuffix"),
			f(lowerOneOf("delete_policy", map[string]string{"never": "never", "immediate": "immediate"}), "deletePolicy"),
			s("file_header", cBool, "fileHeader"), s("file_header_key", cStr, "fileHeaderKey"),
			s("basename_header", cBool, "basenameHeader"), s("basename_header_key", cStr, "basenameHeaderKey"),
			f(regexSetting("include_pattern"), "includePattern"), f(regexSetting("ignore_pattern"), "ignorePattern"),
			s("tracker_dir", cStr, "trackerDir"),
			f(lowerOneOf("tracking_policy", map[string]string{"rename": "rename", "tracker_dir": "tracker_dir"}), "trackingPolicy"),
			f(lowerOneOf("consume_order", map[string]string{"oldest": "oldest", "youngest": "youngest", "random": "random"}), "consumeOrder"),
			s("poll_delay", cMillis, "pollDelay"),
			s("recursive_directory_search", cBool, "recursiveDirectorySearch"),
			s("batch_size", cInt, "batchSize"),
			f(lowerOneOf("input_charset", map[string]string{"utf-8": "UTF-8", "utf8": "UTF-8", "us-ascii": "US-ASCII", "iso-8859-1": "ISO-8859-1"}), "inputCharset"),
			f(lowerOneOf("decode_error_policy", map[string]string{"fail": "fail", "replace": "replace", "ignore": "ignore"}), "decodeErrorPolicy"),
			f(func(x *cc, p Property) {
				switch v, _ := x.literal(p); strings.ToLower(v) {
				case "line", "org.apache.flume.serialization.linedeserializer$builder":
					x.set("deserializer", str("line"))
				case "org.apache.flume.sink.solr.morphline.blobdeserializer$builder", "blob":
					x.set("deserializer", str("blob"))
				default:
					x.drop(p, "deserializer %q has no flumego equivalent (line, or BlobDeserializer as blob): lines are read", p.Value)
				}
			}, "deserializer"),
			s("max_line_length", cInt, "deserializer.maxLineLength", "bufferMaxLineLength"),
			s("max_blob_length", cInt, "deserializer.maxBlobLength"),
			f(utf8Only, "deserializer.outputCharset"),
		},
		dropped: map[string]string{
			"maxBackoff":     whyBackoff,
			"bufferMaxLines": "obsolete in Flume, and not used",
		},
	},
	{
		flume: "avro source", ours: "avro", aliases: []string{"avro", "org.apache.flume.source.AvroSource"},
		settings: []setting{
			s("bind", cStr, "bind"), s("port", cInt, "port"), s("threads", cInt, "threads"),
			f(lowerOneOf("compression_type", map[string]string{"none": "none", "deflate": "deflate"}), "compression-type"),
			s("ssl", cBool, "ssl"), f(keystore, "keystore"),
			s("ip_filter", cBool, "ipFilter"), s("ip_filter_rules", cCommas, "ipFilterRules"),
		},
		dropped: map[string]string{
			"keystore-password": "flumego reads an unencrypted PEM key (see keystore)",
			"keystore-type":     "flumego reads PEM files (see keystore)",
			"exclude-protocols": whyTLS, "include-protocols": whyTLS,
			"exclude-cipher-suites": whyTLS, "include-cipher-suites": whyTLS,
		},
		finish: finishTLS,
	},
	syslogSpec("syslogtcp source", []string{"syslogtcp", "org.apache.flume.source.SyslogTcpSource"}, "tcp"),
	syslogSpec("syslogudp source", []string{"syslogudp", "org.apache.flume.source.SyslogUDPSource"}, "udp"),
	syslogSpec("multiport_syslogtcp source", []string{"multiport_syslogtcp", "org.apache.flume.source.MultiportSyslogTCPSource"}, "tcp"),
	{
		flume: "http source", ours: "http", aliases: []string{"http", "org.apache.flume.source.http.HTTPSource"},
		settings: []setting{
			s("bind", cStr, "bind"), s("port", cInt, "port"),
			f(func(x *cc, p Property) {
				switch v, _ := x.literal(p); v {
				case "org.apache.flume.source.http.JSONHandler", "JSONHandler", "json":
				default:
					x.drop(p, "handler %q cannot run in flumego, which has Flume's JSON handler only", p.Value)
				}
			}, "handler"),
			s("ssl", cBool, "ssl", "enableSSL"), f(keystore, "keystore"),
		},
		prefixes: []prefix{
			dropPrefix("handler.", "settings of a custom handler: flumego has the JSON handler only"),
			dropPrefix("QueuedThreadPool.", "Jetty tuning does not apply to flumego's HTTP server"),
			dropPrefix("HttpConfiguration.", "Jetty tuning does not apply to flumego's HTTP server"),
			dropPrefix("SslContextFactory.", "Jetty tuning does not apply to flumego's HTTP server"),
			dropPrefix("ServerConnector.", "Jetty tuning does not apply to flumego's HTTP server"),
		},
		dropped: map[string]string{
			"keystorePassword": "flumego reads an unencrypted PEM key (see keystore)", "keystore-password": "flumego reads an unencrypted PEM key (see keystore)",
			"keystoreType": "flumego reads PEM files (see keystore)", "keystore-type": "flumego reads PEM files (see keystore)",
			"excludeProtocols": whyTLS, "exclude-protocols": whyTLS, "include-protocols": whyTLS,
			"exclude-cipher-suites": whyTLS, "include-cipher-suites": whyTLS,
		},
		finish: finishTLS,
	},
	{
		flume: "TAILDIR source", ours: "taildir", aliases: []string{"taildir", "org.apache.flume.source.taildir.TaildirSource"},
		batch: 100,
		settings: []setting{
			f(func(x *cc, p Property) { x.st["filegroups"] = p }, "filegroups"),
			s("position_file", cStr, "positionFile"),
			s("byte_offset_header", cBool, "byteOffsetHeader"), s("skip_to_end", cBool, "skipToEnd"),
			f(func(x *cc, p Property) {
				v := x.conv(p, cMillis)
				if d, ok := v.(durVal); ok && time.Duration(d) < time.Second {
					x.note(p, true, "idle_timeout raised from %v to flumego's minimum of 1s", time.Duration(d))
					v = durVal(time.Second)
				}
				x.set("idle_timeout", v)
			}, "idleTimeout"),
			s("write_pos_interval", cMillis, "writePosInterval"),
			s("batch_size", cInt, "batchSize"), s("max_batch_count", cInt, "maxBatchCount"),
			s("file_header", cBool, "fileHeader"), s("file_header_key", cStr, "fileHeaderKey"),
		},
		prefixes: []prefix{
			{"filegroups.", func(x *cc, p Property) { x.st["fg."+strings.TrimPrefix(p.Key, "filegroups.")] = p }},
			{"headers.", func(x *cc, p Property) {
				g, k, ok := strings.Cut(strings.TrimPrefix(p.Key, "headers."), ".")
				if !ok || k == "" {
					x.unknown(p)
					return
				}
				hs, _ := x.st["headers."+g].(*objVal)
				if hs == nil {
					hs = &objVal{}
					x.st["headers."+g] = hs
				}
				hs.set(k, x.tmpl(p))
			}},
		},
		dropped: map[string]string{
			"backoffSleepIncrement": whyBackoff, "maxBackoffSleep": whyBackoff, "maxBackOffSleep": whyBackoff,
			"cachePatternMatching": "flumego matches its globs again every poll_interval and on change notifications",
		},
		finish: finishTaildir,
	},
	{
		flume: "Kafka source", ours: "kafka", aliases: []string{"kafka", "org.apache.flume.source.kafka.KafkaSource"},
		batch: 1000,
		settings: []setting{
			s("brokers", cCommas, "kafka.bootstrap.servers"),
			s("topics", cCommas, "kafka.topics", "topic"),
			f(regexSetting("topics_regex"), "kafka.topics.regex"),
			s("group_id", cStr, "kafka.consumer.group.id", "groupId"),
			s("batch_size", cInt, "batchSize"), s("batch_duration", cMillis, "batchDurationMillis"),
			s("use_flume_event_format", cBool, "useFlumeEventFormat"),
			s("set_topic_header", cBool, "setTopicHeader"), s("topic_header", cStr, "topicHeader"),
		},
		prefixes: []prefix{{"kafka.consumer.", kafkaClientProp}, {"kafka.", kafkaOther}},
		dropped: map[string]string{
			"zookeeperConnect":        "flumego talks to the brokers only: set kafka.bootstrap.servers",
			"migrateZookeeperOffsets": "flumego reads offsets committed to Kafka only",
			"backoffSleepIncrement":   whyBackoff, "maxBackoffSleep": whyBackoff,
		},
		finish: finishKafka,
	},
}

func syslogSpec(flume string, aliases []string, protocol string) *spec {
	sp := &spec{
		flume: flume, ours: "syslog", aliases: aliases, batch: 100,
		settings: []setting{
			s("host", cStr, "host"), s("port", cInt, "port"), s("event_size", cInt, "eventSize"),
			f(func(x *cc, p Property) {
				v, ok := x.literal(p)
				if !ok {
					x.set("keep_fields", x.tmpl(p))
					return
				}
				switch strings.ToLower(v) {
				case "true":
					v = "all"
				case "false", "":
					v = "none"
				default:
					v = strings.ToLower(v)
				}
				x.set("keep_fields", str(v))
			}, "keepFields"),
			s("client_ip_header", cStr, "clientIPHeader"),
		},
		dropped: map[string]string{
			"clientHostnameHeader": "flumego does not resolve client host names; use clientIPHeader (client_ip_header)",
		},
		finish: func(x *cc) {
			if protocol == "udp" {
				x.set("protocol", str("udp"))
			}
		},
	}
	if strings.HasPrefix(flume, "multiport") {
		sp.settings = append(sp.settings,
			f(func(x *cc, p Property) {
				ports := strings.Fields(p.Value)
				x.st["ports"] = ports
				if len(ports) > 0 {
					x.set("port", portValue(ports[0]))
				}
			}, "ports"),
			s("batch_size", cInt, "batchSize"))
		sp.dropped["portHeader"] = "flumego's syslog source sets no port header; each port is its own source (name it in a static interceptor if you need the port)"
		sp.dropped["numProcessors"] = "flumego serves connections with goroutines"
		sp.dropped["readBufferSize"] = "flumego sizes its read buffers itself"
		sp.prefixes = []prefix{dropPrefix("charset.", "flumego's syslog source reads UTF-8")}
	}
	return sp
}

// finishTaildir builds the filegroup blocks from Flume's filegroups, filegroups.NAME and
// headers.NAME.KEY, turning each file-name regular expression into a glob.
func finishTaildir(x *cc) {
	list, ok := x.st["filegroups"].(Property)
	var names []string
	if ok {
		names = strings.Fields(list.Value)
	}
	for _, n := range names {
		p, ok := x.st["fg."+n].(Property)
		if !ok {
			x.drop(list, "file group %q has no filegroups.%s path: Flume fails on it", n, n)
			continue
		}
		g := newBlock("filegroup", n)
		path := p.Value
		dir, file := filepath.Split(path)
		glob, exact := regexToGlob(file)
		switch {
		case !exact:
			x.note(p, true, "Flume reads the file name %q as a regular expression; flumego takes a glob, and %q is the closest one (it may match more): check it", file, glob)
		case glob != file:
			x.note(p, true, "Flume reads the file name %q as a regular expression; written as the glob %q", file, glob)
		}
		g.set("path", str(dir+glob))
		if hs, ok := x.st["headers."+n].(*objVal); ok {
			g.set("headers", hs)
		}
		x.b.add(g)
	}
	for k, v := range x.st {
		if g, ok := strings.CutPrefix(k, "fg."); ok && !contains(names, g) {
			x.drop(v.(Property), "file group %q is not listed in filegroups: Flume ignores it", g)
		}
		if g, ok := strings.CutPrefix(k, "headers."); ok && !contains(names, g) {
			x.compNote(false, "headers.%s: file group %q is not listed in filegroups: Flume ignores its headers", g, g)
		}
	}
	if x.b.attr("position_file") == nil {
		x.a.dataDir = "/var/lib/flumego"
		x.compNote(true, "positionFile is not set: Flume keeps positions in ~/.flume/taildir_position.json, flumego in data_dir (taildir-%s.json); to resume where Flume stopped, set position_file to Flume's file (flumego reads its format)", x.c.name)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ---- channels ----

var channelSpecs = []*spec{
	{
		flume: "memory channel", ours: "memory", aliases: []string{"memory", "org.apache.flume.channel.MemoryChannel"},
		batch: 100,
		settings: []setting{
			s("capacity", cInt, "capacity"), s("transaction_capacity", cInt, "transactionCapacity"),
			s("keep_alive", cSecs, "keep-alive"), s("byte_capacity_buffer_percentage", cInt, "byteCapacityBufferPercentage"),
			s("byte_capacity", cBytes, "byteCapacity"),
		},
	},
	{
		flume: "file channel", ours: "file", aliases: []string{"file", "org.apache.flume.channel.file.FileChannel"},
		batch: 10000,
		settings: []setting{
			f(func(x *cc, p Property) {
				dirs := splitCommas(p.Value)
				if len(dirs) == 0 {
					return
				}
				x.set("dir", x.tmpl(Property{Key: p.Key, Value: dirs[0], Line: p.Line}))
				why := "events still in Flume's file channel are not read by flumego (its own format, in bbolt): drain the Flume agent before switching"
				if len(dirs) > 1 {
					why = fmt.Sprintf("flumego keeps the channel in one directory: dir is the first of the %d dataDirs; %s", len(dirs), why)
				}
				x.note(p, true, "%s", why)
			}, "dataDirs"),
			s("capacity", cInt, "capacity"), s("transaction_capacity", cInt, "transactionCapacity"),
			s("minimum_required_space", cBytes, "minimumRequiredSpace"), s("keep_alive", cSecs, "keep-alive"),
			f(func(x *cc, p Property) {
				if b, ok := x.conv(p, cBool).(boolVal); ok && !bool(b) {
					x.set("fsync", str("interval"))
				}
			}, "fsyncPerTransaction"),
			s("fsync_interval", cSecs, "fsyncInterval"),
		},
		prefixes: []prefix{dropPrefix("encryption.", "flumego's file channel does not encrypt: put dir on an encrypted file system")},
		dropped: map[string]string{
			"checkpointDir":       "flumego's file channel (bbolt) commits every transaction in place and needs no checkpoint",
			"useDualCheckpoints":  "no checkpoints in flumego's file channel",
			"backupCheckpointDir": "no checkpoints in flumego's file channel",
			"checkpointInterval":  "no checkpoints in flumego's file channel",
			"checkpointOnClose":   "no checkpoints in flumego's file channel",
			"maxFileSize":         "flumego's file channel is one database file, compacted as it drains",
			"use-log-replay-v1":   "no log replay in flumego's file channel",
			"use-fast-replay":     "no log replay in flumego's file channel",
			"maxBatchSize":        "bounded by transaction_capacity in flumego",
		},
		finish: func(x *cc) {
			if x.b.attr("dir") == nil {
				dir := "/var/lib/flumego/" + x.c.name
				x.set("dir", str(dir))
				x.compNote(true, "dataDirs is not set (Flume's default is ~/.flume/file-channel/data): flumego needs a directory, set to %s", dir)
			}
		},
	},
	{
		flume: "Kafka channel", ours: "kafka", aliases: []string{"kafka", "org.apache.flume.channel.kafka.KafkaChannel"},
		batch: 10000,
		settings: []setting{
			s("brokers", cCommas, "kafka.bootstrap.servers", "brokerList"),
			s("topic", cStr, "kafka.topic", "topic"),
			s("group_id", cStr, "kafka.consumer.group.id", "groupId"),
			s("parse_as_flume_event", cBool, "parseAsFlumeEvent"),
			s("poll_timeout", cMillis, "pollTimeout", "kafka.pollTimeout"),
		},
		prefixes: []prefix{{"kafka.producer.", kafkaClientProp}, {"kafka.consumer.", kafkaClientProp}, {"kafka.", kafkaOther}},
		dropped: map[string]string{
			"zookeeperConnect":        "flumego talks to the brokers only: set kafka.bootstrap.servers",
			"migrateZookeeperOffsets": "flumego reads offsets committed to Kafka only",
			"readSmallestOffset":      "flumego's Kafka channel starts a new consumer group at the earliest offset",
			"defaultPartitionId":      "flumego's Kafka channel partitions by itself",
			"partitionIdHeader":       "flumego's Kafka channel partitions by itself",
		},
		finish: finishKafka,
	},
}

// substituteChannel converts an unsupported channel type into a memory channel, keeping its
// sizes (SPILLABLEMEMORY's memoryCapacity is its in-memory part).
var substituteChannel = &spec{
	flume: "channel", ours: "memory", batch: 100,
	settings: []setting{
		s("capacity", cInt, "capacity", "memoryCapacity"), s("transaction_capacity", cInt, "transactionCapacity"),
		s("keep_alive", cSecs, "keep-alive"),
	},
}

// ---- sinks ----

var sinkSpecs = []*spec{
	{
		flume: "logger sink", ours: "logger", aliases: []string{"logger", "org.apache.flume.sink.LoggerSink"},
		settings: []setting{s("max_bytes_to_log", cInt, "maxBytesToLog"), s("batch_size", cInt, "batchSize")},
	},
	{
		flume: "null sink", ours: "null", aliases: []string{"null", "org.apache.flume.sink.NullSink"},
		settings: []setting{s("batch_size", cInt, "batchSize")},
	},
	{
		flume: "file_roll sink", ours: "file_roll", aliases: []string{"file_roll", "org.apache.flume.sink.RollingFileSink"},
		settings: append([]setting{
			s("directory", cStr, "sink.directory"), s("roll_interval", cSecs, "sink.rollInterval"),
			s("batch_size", cInt, "sink.batchSize"),
			f(func(x *cc, p Property) {
				if v, _ := x.literal(p); !strings.EqualFold(v, "default") {
					x.drop(p, "path manager %q: flumego names files <prefix><start-millis>-<n>[.<extension>]", p.Value)
				}
			}, "sink.pathManager"),
			s("extension", cStr, "sink.pathManager.extension"), s("prefix", cStr, "sink.pathManager.prefix"),
		}, serializerSettings("sink.serializer")...),
		finish: finishSerializer,
	},
	hdfsSpec,
	{
		flume: "avro sink", ours: "avro", aliases: []string{"avro", "org.apache.flume.sink.AvroSink"},
		settings: []setting{
			s("hostname", cStr, "hostname"), s("port", cInt, "port"), s("batch_size", cInt, "batch-size"),
			s("connect_timeout", cMillis, "connect-timeout"), s("request_timeout", cMillis, "request-timeout"),
			s("reset_connection_interval", cSecs, "reset-connection-interval"),
			f(lowerOneOf("compression_type", map[string]string{"none": "none", "deflate": "deflate"}), "compression-type"),
			s("compression_level", cInt, "compression-level"),
			s("ssl", cBool, "ssl"), s("trust_all_certs", cBool, "trust-all-certs"),
			f(func(x *cc, p Property) {
				x.drop(p, "%q is a Java truststore; flumego reads PEM: export it with `keytool -exportcert -rfc -keystore %s` and set truststore to the PEM file (until then the system's roots are trusted)", p.Value, p.Value)
			}, "truststore"),
		},
		dropped: map[string]string{
			"truststore-password": "flumego reads a PEM truststore (see truststore)",
			"truststore-type":     "flumego reads a PEM truststore (see truststore)",
			"exclude-protocols":   whyTLS, "include-protocols": whyTLS,
			"exclude-cipher-suites": whyTLS, "include-cipher-suites": whyTLS,
			"maxIoWorkers": "flumego needs no I/O worker pool",
		},
	},
	{
		flume: "Kafka sink", ours: "kafka", aliases: []string{"kafka", "org.apache.flume.sink.kafka.KafkaSink"},
		settings: []setting{
			s("brokers", cCommas, "kafka.bootstrap.servers", "brokerList"),
			s("topic", cStr, "kafka.topic", "topic"),
			s("batch_size", cInt, "flumeBatchSize", "batchSize"),
			f(kafkaAcks, "kafka.producer.acks", "requiredAcks"),
			s("use_flume_event_format", cBool, "useFlumeEventFormat"),
			s("default_partition_id", cInt, "defaultPartitionId"),
			s("partition_id_header", cStr, "partitionIdHeader"),
			s("allow_topic_override", cBool, "allowTopicOverride"),
			s("topic_header", cStr, "topicHeader"),
		},
		prefixes: []prefix{{"kafka.producer.", kafkaClientProp}, {"kafka.", kafkaOther}},
		finish:   finishKafka,
	},
}

var hdfsSpec = &spec{
	flume: "hdfs sink", ours: "hdfs", aliases: []string{"hdfs", "org.apache.flume.sink.hdfs.HDFSEventSink"},
	settings: append([]setting{
		f(func(x *cc, p Property) {
			t := x.tmpl(p)
			if !t.hasEnv() {
				v := strings.TrimSpace(t.literal())
				if !strings.Contains(v, "://") {
					v = "hdfs://namenode:8020" + v
					x.note(p, true, "the path has no scheme, so Flume took the namenode from fs.defaultFS (core-site.xml); flumego needs it in the URL: written as %s — replace namenode:8020", v)
				}
				t = str(x.escapes(p, v))
			}
			x.set("path", t)
		}, "hdfs.path"),
		f(escaped("file_prefix"), "hdfs.filePrefix"), f(escaped("file_suffix"), "hdfs.fileSuffix"),
		s("in_use_prefix", cStr, "hdfs.inUsePrefix"), s("in_use_suffix", cStr, "hdfs.inUseSuffix"),
		f(func(x *cc, p Property) {
			if b, ok := x.conv(p, cBool).(boolVal); ok && bool(b) {
				x.st["emptyInUseSuffix"] = p
			}
		}, "hdfs.emptyInUseSuffix"),
		s("roll_interval", cSecs, "hdfs.rollInterval"), s("roll_size", cBytes, "hdfs.rollSize"),
		s("roll_count", cInt, "hdfs.rollCount"), s("idle_timeout", cSecs, "hdfs.idleTimeout"),
		s("batch_size", cInt, "hdfs.batchSize"),
		f(func(x *cc, p Property) { x.st["codec"] = p }, "hdfs.codeC"),
		f(func(x *cc, p Property) { x.st["fileType"] = p }, "hdfs.fileType"),
		s("max_open_files", cInt, "hdfs.maxOpenFiles"),
		s("call_timeout", cMillis, "hdfs.callTimeout"), s("close_tries", cInt, "hdfs.closeTries"),
		s("retry_interval", cSecs, "hdfs.retryInterval"),
		s("round", cBool, "hdfs.round"), s("round_value", cInt, "hdfs.roundValue"),
		f(lowerOneOf("round_unit", map[string]string{"second": "second", "minute": "minute", "hour": "hour"}), "hdfs.roundUnit"),
		f(func(x *cc, p Property) {
			v, ok := x.literal(p)
			if !ok {
				x.set("time_zone", x.tmpl(p))
				return
			}
			if _, err := time.LoadLocation(v); err != nil {
				x.drop(p, "time zone %q is not an IANA name flumego knows (such as \"UTC\" or \"Asia/Shanghai\"): the host's zone is used", v)
				return
			}
			x.set("time_zone", str(v))
		}, "hdfs.timeZone"),
		s("use_local_timestamp", cBool, "hdfs.useLocalTimeStamp"),
		f(func(x *cc, p Property) {
			x.set("user", x.tmpl(p))
			x.note(p, true, "flumego writes as this HDFS user with simple authentication (no Kerberos impersonation)")
		}, "hdfs.proxyUser"),
	}, serializerSettings("serializer")...),
	dropped: map[string]string{
		"hdfs.writeFormat":           "used by SequenceFile only, which flumego does not write",
		"hdfs.minBlockReplicas":      "flumego leaves replication to HDFS",
		"hdfs.threadsPoolSize":       "flumego needs no HDFS I/O thread pool",
		"hdfs.rollTimerPoolSize":     "flumego needs no roll timer pool",
		"hdfs.kerberosPrincipal":     "Kerberos is not configured in flumego yet (simple authentication only)",
		"hdfs.kerberosKeytab":        "Kerberos is not configured in flumego yet (simple authentication only)",
		"hdfs.batchTimeout":          "not used",
		"hdfs.useRawLocalFileSystem": "use a file:// path for the local file system",
	},
	finish: finishHDFS,
}

// escaped writes an HDFS escape template (file_prefix, file_suffix) after checking its escapes.
func escaped(attr string) func(x *cc, p Property) {
	return func(x *cc, p Property) {
		t := x.tmpl(p)
		if !t.hasEnv() {
			t = str(x.escapes(p, t.literal()))
		}
		x.set(attr, t)
	}
}

// validTime holds the time escapes flumego knows (internal/escape's, Flume's).
const validTime = "aAbBcdeDHIjklmnMpsStyYz"

// escapes removes the %x and %[...] escapes flumego does not know: Flume replaces them with
// nothing, flumego refuses them.
func (x *cc) escapes(p Property, v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '%' || i+1 >= len(v) {
			b.WriteByte(c)
			continue
		}
		n := v[i+1]
		switch {
		case n == '%' || n == '{':
			b.WriteByte(c)
		case n == '[':
			end := strings.IndexByte(v[i:], ']')
			if end < 0 {
				b.WriteByte(c)
				continue
			}
			name := v[i+2 : i+end]
			switch strings.ToLower(name) {
			case "localhost", "ip", "fqdn":
				b.WriteString(v[i : i+end+1])
			default:
				x.drop(p, "escape %%[%s] is unknown; Flume writes nothing for it, and it is removed", name)
			}
			i += end
		case isWordByte(n):
			if strings.IndexByte(validTime, n) < 0 {
				x.drop(p, "escape %%%c is unknown; Flume writes nothing for it, and it is removed", n)
			} else {
				b.WriteByte(c)
				b.WriteByte(n)
			}
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

var hdfsCodecs = map[string]string{
	"gzip": "gzip", "gzipcodec": "gzip", "org.apache.hadoop.io.compress.gzipcodec": "gzip",
	"snappy": "snappy", "snappycodec": "snappy", "org.apache.hadoop.io.compress.snappycodec": "snappy",
	"lz4": "lz4", "lz4codec": "lz4", "org.apache.hadoop.io.compress.lz4codec": "lz4",
	"zstd": "zstd", "zstandardcodec": "zstd", "org.apache.hadoop.io.compress.zstandardcodec": "zstd",
}

// finishHDFS settles codec and file type together, and says where Flume's defaults differ.
func finishHDFS(x *cc) {
	codecP, hasCodec := x.st["codec"].(Property)
	codec := ""
	if hasCodec {
		v, _ := x.literal(codecP)
		if c, ok := hdfsCodecs[strings.ToLower(v)]; ok {
			codec = c
		} else {
			x.drop(codecP, "codec %q has no flumego equivalent (gzip, snappy, lz4, zstd): files are written uncompressed", v)
		}
	}
	ftP, hasFT := x.st["fileType"].(Property)
	ft, _ := x.literal(ftP)
	switch {
	case !hasFT:
		x.compNote(true, "hdfs.fileType is not set: Flume writes SequenceFile by default, flumego does not; it writes %s", map[bool]string{true: "CompressedStream (" + codec + ")", false: "DataStream (plain text, one event per line)"}[codec != ""])
		if codec != "" {
			x.set("codec", str(codec))
		}
	case strings.EqualFold(ft, "DataStream"):
		x.set("file_type", str("DataStream"))
		if codec != "" {
			x.drop(codecP, "Flume ignores hdfs.codeC with fileType DataStream, and so does flumego (files are uncompressed)")
		}
	case strings.EqualFold(ft, "CompressedStream"):
		if codec == "" {
			x.note(ftP, true, "CompressedStream needs a codec flumego knows: DataStream (uncompressed) is written")
			x.set("file_type", str("DataStream"))
			break
		}
		x.set("codec", str(codec))
		x.set("file_type", str("CompressedStream"))
	default:
		x.note(ftP, true, "fileType %q is not written by flumego (DataStream or CompressedStream): %s", ft, map[bool]string{true: "CompressedStream (" + codec + ") is written", false: "DataStream (plain text) is written"}[codec != ""])
		if codec != "" {
			x.set("codec", str(codec))
		}
	}
	if p, ok := x.st["emptyInUseSuffix"].(Property); ok {
		if pre := x.b.attr("in_use_prefix"); pre != nil && pre.val.hcl() != `""` {
			x.set("in_use_suffix", str(""))
		} else {
			x.drop(p, "flumego marks files being written with in_use_prefix or in_use_suffix (they must not both be empty): the suffix stays .tmp")
		}
	}
	var unset []string
	for _, d := range []struct{ attr, flume string }{{"roll_interval", "rollInterval 30 s"}, {"roll_size", "rollSize 1024 bytes"}, {"roll_count", "rollCount 10 events"}} {
		if x.b.attr(d.attr) == nil {
			unset = append(unset, d.flume)
		}
	}
	if len(unset) > 0 {
		x.compNote(true, "Flume's roll defaults (%s) are not carried over: flumego rolls after 1h or 128MiB by default, not by count", strings.Join(unset, ", "))
	}
	finishSerializer(x)
}
