package cli

// The converter's table tests live here, beside the agent's component list: every converted
// flow is validated in-process against exactly the components the agent is built with.

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/components"
	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/config/convert"
)

// validate loads every converted agent as `agent validate` would and returns the warnings.
func validate(t *testing.T, res *convert.Result) []string {
	t.Helper()
	var warnings []string
	for _, a := range res.Agents {
		_, _, diags := config.Load("converted.hcl", res.HCL, a, components.Builtin())
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				t.Errorf("agent %q does not validate: %s", a, d.Error())
			} else {
				warnings = append(warnings, d.Error())
			}
		}
	}
	if t.Failed() {
		t.Logf("converted HCL:\n%s", res.HCL)
	}
	return warnings
}

var spaces = regexp.MustCompile(`\s+`)

func norm(s string) string { return spaces.ReplaceAllString(strings.TrimSpace(s), " ") }

var (
	commentLine     = regexp.MustCompile(`(?m)^\s*#.*\n`)
	trailingComment = regexp.MustCompile(`(?m)\s+# [^"\n]*$`)
)

// uncommented drops comment lines and the comments after values ("# Flume's default").
func uncommented(s string) string {
	return trailingComment.ReplaceAllString(commentLine.ReplaceAllString(s, ""), "")
}

// convertOK converts src, which must convert and validate, and returns the HCL and report.
func convertOK(t *testing.T, src string) (hclText, report string) {
	t.Helper()
	res, err := convert.Convert([]byte(src), convert.Options{Components: components.Builtin()})
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	var b bytes.Buffer
	res.Report(&b, "flume.conf")
	validate(t, res)
	return string(res.HCL), b.String()
}

type typeCase struct {
	name  string
	flume string   // properties; "a1." is prefixed to each line that does not start with it
	want  []string // HCL fragments (white space is not significant)
	notes []string // report fragments
}

func (tc typeCase) run(t *testing.T) {
	t.Run(tc.name, func(t *testing.T) {
		out, report := convertOK(t, tc.flume)
		for _, w := range tc.want {
			in := out
			if !strings.HasPrefix(w, "#") {
				in = uncommented(out) // notes inside a block do not break a fragment
			}
			if !strings.Contains(norm(in), norm(w)) {
				t.Errorf("HCL lacks %q:\n%s", w, out)
			}
		}
		for _, n := range tc.notes {
			if c := strings.Count(report, n); c != 1 {
				t.Errorf("report has %q %d times, want once:\n%s", n, c, report)
			}
		}
		if len(tc.notes) == 0 && strings.Contains(report, "not carried over:") {
			t.Errorf("unexpected notes:\n%s", report)
		}
	})
}

// flow wraps a component's lines in a minimal agent: source r1 → channel c1 → sink k1.
func flow(src, ch, snk string) string {
	if src == "" {
		src = "a1.sources.r1.type = seq\n"
	}
	if ch == "" {
		ch = "a1.channels.c1.type = memory\n"
	}
	if snk == "" {
		snk = "a1.sinks.k1.type = null\n"
	}
	return "a1.sources = r1\na1.channels = c1\na1.sinks = k1\n" + src + ch + snk +
		"a1.sources.r1.channels = c1\na1.sinks.k1.channel = c1\n"
}

func TestSourceTypesAndClassNames(t *testing.T) {
	for _, tc := range []typeCase{
		{name: "netcat", flume: flow("a1.sources.r1.type = netcat\na1.sources.r1.bind = 0.0.0.0\na1.sources.r1.port = 44444\na1.sources.r1.max-line-length = 1024\na1.sources.r1.ack-every-event = false\n", "", ""),
			want: []string{`source "netcat" "r1" { bind = "0.0.0.0" port = 44444 max_line_length = 1024 ack_every_event = false channels = ["c1"] }`}},
		{name: "NetcatSource class", flume: flow("a1.sources.r1.type = org.apache.flume.source.NetcatSource\na1.sources.r1.bind = h\na1.sources.r1.port = 1\n", "", ""),
			want: []string{`source "netcat" "r1"`}},
		{name: "seq", flume: flow("a1.sources.r1.type = org.apache.flume.source.SequenceGeneratorSource\na1.sources.r1.totalEvents = 1000\na1.sources.r1.batchSize = 10\n", "", ""),
			want: []string{`source "seq" "r1" { total = 1000 batch_size = 10`}},
		{name: "exec durations in milliseconds", flume: flow("a1.sources.r1.type = org.apache.flume.source.ExecSource\na1.sources.r1.command = tail -F /var/log/x\na1.sources.r1.restart = true\na1.sources.r1.restartThrottle = 5000\na1.sources.r1.batchTimeout = 500\na1.sources.r1.logStdErr = TRUE\na1.sources.r1.charset = UTF-8\n", "", ""),
			want: []string{`command = "tail -F /var/log/x" restart = true restart_throttle = "5s" batch_timeout = "500ms" log_stderr = true`}},
		{name: "spooldir", flume: flow("a1.sources.r1.type = org.apache.flume.source.SpoolDirectorySource\na1.sources.r1.spoolDir = /var/spool\na1.sources.r1.deletePolicy = immediate\na1.sources.r1.pollDelay = 250\na1.sources.r1.consumeOrder = YOUNGEST\na1.sources.r1.deserializer.maxLineLength = 4096\na1.sources.r1.fileHeader = true\na1.sources.r1.ignorePattern = ^.*\\\\.tmp$\na1.sources.r1.decodeErrorPolicy = REPLACE\n", "", ""),
			want: []string{`source "spooldir" "r1" { spool_dir = "/var/spool" delete_policy = "immediate" poll_delay = "250ms" consume_order = "youngest" max_line_length = 4096 file_header = true ignore_pattern = "^.*\\.tmp$" decode_error_policy = "replace"`}},
		{name: "avro source with ip filter and keystore", flume: flow("a1.sources.r1.type = org.apache.flume.source.AvroSource\na1.sources.r1.bind = 0.0.0.0\na1.sources.r1.port = 4141\na1.sources.r1.compression-type = deflate\na1.sources.r1.ipFilter = true\na1.sources.r1.ipFilterRules = allow:ip:127.*,deny:ip:*\na1.sources.r1.ssl = true\na1.sources.r1.keystore = /etc/flume/keystore.jks\na1.sources.r1.keystore-password = secret\n", "", ""),
			want:  []string{`compression_type = "deflate" ip_filter = true ip_filter_rules = ["allow:ip:127.*", "deny:ip:*"] ssl = true`, `cert_file = "/etc/flume/keystore.crt.pem" key_file = "/etc/flume/keystore.key.pem"`},
			notes: []string{"a1.sources.r1.keystore: changed:", "a1.sources.r1.keystore-password: not carried over"}},
		{name: "syslogtcp", flume: flow("a1.sources.r1.type = org.apache.flume.source.SyslogTcpSource\na1.sources.r1.host = 0.0.0.0\na1.sources.r1.port = 5140\na1.sources.r1.keepFields = true\na1.sources.r1.eventSize = 4000\na1.sources.r1.clientIPHeader = ip\n", "", ""),
			want: []string{`source "syslog" "r1" { host = "0.0.0.0" port = 5140 keep_fields = "all" event_size = 4000 client_ip_header = "ip"`}},
		{name: "syslogudp", flume: flow("a1.sources.r1.type = syslogudp\na1.sources.r1.host = 0.0.0.0\na1.sources.r1.port = 5140\na1.sources.r1.keepFields = timestamp hostname\n", "", ""),
			want: []string{`keep_fields = "timestamp hostname"`, `protocol = "udp"`}},
		{name: "multiport_syslogtcp becomes one source per port", flume: flow("a1.sources.r1.type = org.apache.flume.source.MultiportSyslogTCPSource\na1.sources.r1.host = 0.0.0.0\na1.sources.r1.ports = 10001 10002\na1.sources.r1.portHeader = port\n", "", ""),
			want:  []string{`source "syslog" "r1_10001" { `, `port = 10001`, `source "syslog" "r1_10002"`, `port = 10002`, `interceptor "static" { key = "port" value = "10002" preserve_existing = false }`},
			notes: []string{"a1.sources.r1.portHeader: changed", "one syslog source per port"}},
		{name: "http", flume: flow("a1.sources.r1.type = org.apache.flume.source.http.HTTPSource\na1.sources.r1.bind = 0.0.0.0\na1.sources.r1.port = 8080\na1.sources.r1.handler = org.apache.flume.source.http.JSONHandler\n", "", ""),
			want: []string{`source "http" "r1" { bind = "0.0.0.0" port = 8080 channels = ["c1"] }`}},
		{name: "TAILDIR with regex file names and headers", flume: flow("a1.sources.r1.type = org.apache.flume.source.taildir.TaildirSource\na1.sources.r1.filegroups = f1 f2\na1.sources.r1.filegroups.f1 = /var/log/test1/example.log\na1.sources.r1.headers.f1.headerKey1 = value1\na1.sources.r1.filegroups.f2 = /var/log/test2/.*log.*\na1.sources.r1.headers.f2.headerKey1 = value2\na1.sources.r1.headers.f2.headerKey2 = value2-2\na1.sources.r1.positionFile = /var/log/flume/taildir_position.json\na1.sources.r1.idleTimeout = 60000\na1.sources.r1.writePosInterval = 1000\na1.sources.r1.fileHeader = true\na1.sources.r1.maxBackoffSleep = 5000\n", "", ""),
			want: []string{`source "taildir" "r1" { position_file = "/var/log/flume/taildir_position.json" idle_timeout = "1m" write_pos_interval = "1s" file_header = true batch_size = 100 channels = ["c1"]`,
				`filegroup "f1" { path = "/var/log/test1/example?log" headers = { headerKey1 = "value1" } }`,
				`filegroup "f2" { path = "/var/log/test2/*log*" headers = { headerKey1 = "value2", headerKey2 = "value2-2" } }`},
			notes: []string{`a1.sources.r1.filegroups.f1: changed: Flume reads the file name "example.log" as a regular expression, where a lone . is any character: written as the glob "example?log"`, `a1.sources.r1.filegroups.f2: changed: Flume reads the file name ".*log.*" as a regular expression; written as the glob "*log*"`, "a1.sources.r1.maxBackoffSleep: not carried over"}},
		{name: "TAILDIR without positionFile gets a data_dir", flume: flow("a1.sources.r1.type = TAILDIR\na1.sources.r1.filegroups = f1\na1.sources.r1.filegroups.f1 = /var/log/app.log\n", "", ""),
			want:  []string{`agent "a1" {`, `data_dir = "/var/lib/flumego"`},
			notes: []string{"positionFile is not set"}},
		{name: "Kafka source", flume: flow("a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource\na1.sources.r1.kafka.bootstrap.servers = k1:9092,k2:9092\na1.sources.r1.kafka.topics = t1, t2\na1.sources.r1.kafka.consumer.group.id = g\na1.sources.r1.batchSize = 500\na1.sources.r1.batchDurationMillis = 2000\na1.sources.r1.kafka.consumer.auto.offset.reset = earliest\na1.sources.r1.setTopicHeader = false\n", "a1.channels.c1.type = memory\na1.channels.c1.capacity = 10000\na1.channels.c1.transactionCapacity = 1000\n", ""),
			want: []string{`source "kafka" "r1" { brokers = ["k1:9092", "k2:9092"] topics = ["t1", "t2"] group_id = "g" batch_size = 500 batch_duration = "2s" start_offset = "earliest" set_topic_header = false`}},
		{name: "Kafka source's old names", flume: flow("a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource\na1.sources.r1.kafka.bootstrap.servers = k1:9092\na1.sources.r1.topic = old\na1.sources.r1.groupId = oldgroup\na1.sources.r1.zookeeperConnect = zk:2181\n", "a1.channels.c1.type = memory\na1.channels.c1.capacity = 1000\na1.channels.c1.transactionCapacity = 1000\n", ""),
			want:  []string{`topics = ["old"] group_id = "oldgroup"`},
			notes: []string{"a1.sources.r1.zookeeperConnect: not carried over"}},
	} {
		tc.run(t)
	}
}

func TestChannelTypesAndClassNames(t *testing.T) {
	for _, tc := range []typeCase{
		{name: "memory", flume: flow("", "a1.channels.c1.type = org.apache.flume.channel.MemoryChannel\na1.channels.c1.capacity = 10000\na1.channels.c1.transactionCapacity = 1000\na1.channels.c1.keep-alive = 5\na1.channels.c1.byteCapacity = 1048576\na1.channels.c1.byteCapacityBufferPercentage = 10\n", ""),
			want: []string{`channel "memory" "c1" { capacity = 10000 transaction_capacity = 1000 keep_alive = "5s" byte_capacity = "1MiB" byte_capacity_buffer_percentage = 10 }`}},
		{name: "file", flume: flow("", "a1.channels.c1.type = org.apache.flume.channel.file.FileChannel\na1.channels.c1.checkpointDir = /var/flume/checkpoint\na1.channels.c1.dataDirs = /var/flume/data\na1.channels.c1.minimumRequiredSpace = 524288000\na1.channels.c1.fsyncPerTransaction = false\na1.channels.c1.fsyncInterval = 10\na1.channels.c1.keep-alive = 3\n", ""),
			want:  []string{`channel "file" "c1" { dir = "/var/flume/data" minimum_required_space = "500MiB" fsync = "interval" fsync_interval = "10s" keep_alive = "3s" capacity = 1000000 transaction_capacity = 10000 }`},
			notes: []string{"a1.channels.c1.checkpointDir: not carried over", "a1.channels.c1.dataDirs: changed: events still in Flume's file channel"}},
		{name: "file without dataDirs", flume: flow("", "a1.channels.c1.type = file\n", ""),
			want:  []string{`dir = "/var/lib/flumego/c1"`},
			notes: []string{"dataDirs is not set"}},
		{name: "Kafka channel with old names", flume: flow("", "a1.channels.c1.type = org.apache.flume.channel.kafka.KafkaChannel\na1.channels.c1.brokerList = k1:9092\na1.channels.c1.topic = chan\na1.channels.c1.groupId = g\na1.channels.c1.parseAsFlumeEvent = false\na1.channels.c1.kafka.producer.acks = 1\na1.channels.c1.pollTimeout = 1000\n", ""),
			want: []string{`channel "kafka" "c1" { brokers = ["k1:9092"] topic = "chan" group_id = "g" parse_as_flume_event = false acks = "1" poll_timeout = "1s" }`}},
		{name: "Kafka channel prefers the new names", flume: flow("", "a1.channels.c1.type = org.apache.flume.channel.kafka.KafkaChannel\na1.channels.c1.brokerList = old:9092\na1.channels.c1.kafka.bootstrap.servers = new:9092\na1.channels.c1.kafka.topic = t\n", ""),
			want:  []string{`brokers = ["new:9092"]`},
			notes: []string{"a1.channels.c1.brokerList: not carried over: a1.channels.c1.kafka.bootstrap.servers is set too"}},
		{name: "jdbc becomes memory", flume: flow("", "a1.channels.c1.type = jdbc\na1.channels.c1.capacity = 500\n", ""),
			want:  []string{`channel "memory" "c1" {`, `capacity = 500`},
			notes: []string{`a1.channels.c1.type: not carried over: Flume channel type "jdbc"`}},
	} {
		tc.run(t)
	}
}

func TestSinkTypesAndClassNames(t *testing.T) {
	for _, tc := range []typeCase{
		{name: "logger", flume: flow("", "", "a1.sinks.k1.type = org.apache.flume.sink.LoggerSink\na1.sinks.k1.maxBytesToLog = 64\n"),
			want: []string{`sink "logger" "k1" { channel = "c1" max_bytes_to_log = 64 batch_size = 1 }`}},
		{name: "null", flume: flow("", "", "a1.sinks.k1.type = org.apache.flume.sink.NullSink\na1.sinks.k1.batchSize = 50\n"),
			want: []string{`sink "null" "k1" { channel = "c1" batch_size = 50 }`}},
		{name: "file_roll", flume: flow("", "", "a1.sinks.k1.type = org.apache.flume.sink.RollingFileSink\na1.sinks.k1.sink.directory = /data/out\na1.sinks.k1.sink.rollInterval = 60\na1.sinks.k1.sink.batchSize = 20\na1.sinks.k1.sink.pathManager.prefix = app-\na1.sinks.k1.sink.pathManager.extension = log\na1.sinks.k1.sink.serializer = TEXT\n"),
			want: []string{`sink "file_roll" "k1" { channel = "c1" directory = "/data/out" roll_interval = "1m" batch_size = 20 prefix = "app-" extension = "log" }`}},
		{name: "hdfs with escapes, codec and timeouts", flume: flow("", "", "a1.sinks.k1.type = org.apache.flume.sink.hdfs.HDFSEventSink\na1.sinks.k1.hdfs.path = hdfs://nn:8020/flume/%{host}/%Y-%m-%d\na1.sinks.k1.hdfs.filePrefix = events-%[localhost]\na1.sinks.k1.hdfs.codeC = gzip\na1.sinks.k1.hdfs.fileType = CompressedStream\na1.sinks.k1.hdfs.rollInterval = 3600\na1.sinks.k1.hdfs.rollSize = 134217728\na1.sinks.k1.hdfs.callTimeout = 30000\na1.sinks.k1.hdfs.idleTimeout = 300\na1.sinks.k1.hdfs.timeZone = UTC\na1.sinks.k1.hdfs.writeFormat = Text\n"),
			want: []string{`path = "hdfs://nn:8020/flume/%%{host}/%Y-%m-%d" file_prefix = "events-%[localhost]" roll_interval = "1h" roll_size = "128MiB" call_timeout = "30s" idle_timeout = "5m" time_zone = "UTC"`,
				`codec = "gzip" file_type = "CompressedStream"`, `roll_count = 10`},
			notes: []string{"a1.sinks.k1.hdfs.writeFormat: not carried over"}},
		{name: "hdfs path without scheme and unknown escapes", flume: flow("", "", "a1.sinks.k1.type = hdfs\na1.sinks.k1.hdfs.path = /flume/%Q/%y\na1.sinks.k1.hdfs.fileType = DataStream\n"),
			want:  []string{`path = "hdfs://namenode:8020/flume//%y"`, `file_type = "DataStream"`},
			notes: []string{"escape %Q is unknown", "the path has no scheme"}},
		{name: "hdfs SequenceFile", flume: flow("", "", "a1.sinks.k1.type = hdfs\na1.sinks.k1.hdfs.path = file:///data\na1.sinks.k1.hdfs.fileType = SequenceFile\na1.sinks.k1.hdfs.codeC = snappy\n"),
			want:  []string{`codec = "snappy"`},
			notes: []string{`fileType "SequenceFile" is not written by flumego`}},
		{name: "avro sink", flume: flow("", "", "a1.sinks.k1.type = org.apache.flume.sink.AvroSink\na1.sinks.k1.hostname = collector\na1.sinks.k1.port = 4141\na1.sinks.k1.batch-size = 50\na1.sinks.k1.connect-timeout = 5000\na1.sinks.k1.request-timeout = 30000\na1.sinks.k1.reset-connection-interval = 60\na1.sinks.k1.compression-type = deflate\na1.sinks.k1.compression-level = 9\na1.sinks.k1.ssl = true\na1.sinks.k1.truststore = /etc/flume/trust.jks\n"),
			want:  []string{`sink "avro" "k1" { channel = "c1" hostname = "collector" port = 4141 batch_size = 50 connect_timeout = "5s" request_timeout = "30s" reset_connection_interval = "1m" compression_type = "deflate" compression_level = 9 ssl = true }`},
			notes: []string{"a1.sinks.k1.truststore: not carried over"}},
		{name: "Kafka sink's current names", flume: flow("", "", "a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink\na1.sinks.k1.kafka.bootstrap.servers = k1:9092,k2:9092\na1.sinks.k1.kafka.topic = logs-%{service}\na1.sinks.k1.kafka.producer.acks = -1\na1.sinks.k1.flumeBatchSize = 100\na1.sinks.k1.kafka.producer.linger.ms = 5\na1.sinks.k1.kafka.producer.compression.type = lz4\na1.sinks.k1.kafka.producer.client.id = edge\na1.sinks.k1.kafka.producer.max.request.size = 2097152\na1.sinks.k1.useFlumeEventFormat = true\n"),
			want: []string{`sink "kafka" "k1" { channel = "c1" brokers = ["k1:9092", "k2:9092"] topic = "logs-%%{service}" acks = "all" batch_size = 100 linger = "5ms" compression = "lz4"`, `max_message_bytes = "2MiB" use_flume_event_format = true headers_as_record_headers = false producer = { "client.id" = "edge" }`}},
		{name: "Kafka sink's older names", flume: flow("", "", "a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink\na1.sinks.k1.brokerList = k1:9092\na1.sinks.k1.topic = old\na1.sinks.k1.requiredAcks = 1\na1.sinks.k1.batchSize = 20\n"),
			want: []string{`sink "kafka" "k1" { channel = "c1" brokers = ["k1:9092"] topic = "old" acks = "1" batch_size = 20 headers_as_record_headers = false }`}},
		{name: "Kafka sink with the user guide's kafka.flumeBatchSize", flume: flow("", "", "a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink\na1.sinks.k1.kafka.bootstrap.servers = k:9092\na1.sinks.k1.kafka.flumeBatchSize = 20\n"),
			notes: []string{"a1.sinks.k1.kafka.flumeBatchSize: not carried over: Flume's Kafka sink reads flumeBatchSize"}},
		{name: "Kafka sink with SASL_SSL", flume: flow("", "", "a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink\na1.sinks.k1.kafka.bootstrap.servers = k1:9093\na1.sinks.k1.kafka.producer.security.protocol = SASL_SSL\na1.sinks.k1.kafka.producer.sasl.mechanism = SCRAM-SHA-512\na1.sinks.k1.kafka.producer.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required username=\"flume\" password=\"s3cret\";\na1.sinks.k1.kafka.producer.ssl.truststore.location = /etc/kafka/trust.jks\n"),
			want:  []string{`tls {}`, `sasl { mechanism = "SCRAM-SHA-512" username = "flume" password = "s3cret" }`},
			notes: []string{"a1.sinks.k1.kafka.producer.ssl.truststore.location: not carried over"}},
	} {
		tc.run(t)
	}
}

func TestInterceptorsSelectorsAndProcessors(t *testing.T) {
	src := func(extra string) string {
		return flow("a1.sources.r1.type = netcat\na1.sources.r1.bind = h\na1.sources.r1.port = 1\n"+extra, "", "")
	}
	for _, tc := range []typeCase{
		{name: "every built-in interceptor by class name", flume: src("a1.sources.r1.interceptors = t h s r u sr rf re\n" +
			"a1.sources.r1.interceptors.t.type = org.apache.flume.interceptor.TimestampInterceptor$Builder\na1.sources.r1.interceptors.t.preserveExisting = true\n" +
			"a1.sources.r1.interceptors.h.type = org.apache.flume.interceptor.HostInterceptor$Builder\na1.sources.r1.interceptors.h.useIP = false\na1.sources.r1.interceptors.h.hostHeader = hostname\n" +
			"a1.sources.r1.interceptors.s.type = org.apache.flume.interceptor.StaticInterceptor$Builder\na1.sources.r1.interceptors.s.key = dc\na1.sources.r1.interceptors.s.value = eu-1\n" +
			"a1.sources.r1.interceptors.r.type = org.apache.flume.interceptor.RemoveHeaderInterceptor$Builder\na1.sources.r1.interceptors.r.withName = secret\n" +
			"a1.sources.r1.interceptors.u.type = org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder\na1.sources.r1.interceptors.u.headerName = uid\n" +
			"a1.sources.r1.interceptors.sr.type = org.apache.flume.interceptor.SearchAndReplaceInterceptor$Builder\na1.sources.r1.interceptors.sr.searchPattern = ^INFO:\na1.sources.r1.interceptors.sr.replaceString = Log msg:\n" +
			"a1.sources.r1.interceptors.rf.type = org.apache.flume.interceptor.RegexFilteringInterceptor$Builder\na1.sources.r1.interceptors.rf.regex = ^DEBUG\na1.sources.r1.interceptors.rf.excludeEvents = true\n" +
			"a1.sources.r1.interceptors.re.type = org.apache.flume.interceptor.RegexExtractorInterceptor$Builder\na1.sources.r1.interceptors.re.regex = ^(\\\\d\\\\d\\\\d\\\\d-\\\\d\\\\d-\\\\d\\\\d \\\\d\\\\d:\\\\d\\\\d) (\\\\w+)\na1.sources.r1.interceptors.re.serializers = s1 s2\na1.sources.r1.interceptors.re.serializers.s1.type = org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer\na1.sources.r1.interceptors.re.serializers.s1.name = timestamp\na1.sources.r1.interceptors.re.serializers.s1.pattern = yyyy-MM-dd HH:mm\na1.sources.r1.interceptors.re.serializers.s2.name = level\n"),
			want: []string{
				`interceptor "timestamp" { preserve_existing = true }`,
				`interceptor "host" { use_ip = false host_header = "hostname" }`,
				`interceptor "static" { key = "dc" value = "eu-1" }`,
				`interceptor "remove_header" { with_name = "secret" }`,
				`interceptor "uuid" { header_name = "uid" }`,
				`interceptor "search_replace" { search_pattern = "^INFO:" replace_string = "Log msg:" }`,
				`interceptor "regex_filter" { regex = "^DEBUG" exclude_events = true }`,
				`interceptor "regex_extractor" { regex = "^(\\d\\d\\d\\d-\\d\\d-\\d\\d \\d\\d:\\d\\d) (\\w+)" serializer "s1" { name = "timestamp" type = "millis" pattern = "yyyy-MM-dd HH:mm" } serializer "s2" { name = "level" } }`,
			}},
		{name: "interceptor aliases", flume: src("a1.sources.r1.interceptors = i1 i2 i3\na1.sources.r1.interceptors.i1.type = timestamp\na1.sources.r1.interceptors.i2.type = host\na1.sources.r1.interceptors.i3.type = regex_filter\na1.sources.r1.interceptors.i3.regex = x\n"),
			want: []string{`interceptor "timestamp" {} interceptor "host" {} interceptor "regex_filter" { regex = "x" }`}},
		{name: "a Java regex RE2 cannot read leaves the interceptor out", flume: src("a1.sources.r1.interceptors = i1\na1.sources.r1.interceptors.i1.type = regex_filter\na1.sources.r1.interceptors.i1.regex = ^(?!DEBUG).*\n"),
			want:  []string{`# interceptor "regex_filter" {}`},
			notes: []string{"a1.sources.r1.interceptors.i1.regex: not carried over: the Java regular expression"}},
		{name: "custom interceptor without a selector", flume: src("a1.sources.r1.interceptors = i1\na1.sources.r1.interceptors.i1.type = com.example.MyInterceptor$Builder\n"),
			notes: []string{"a1.sources.r1.interceptors.i1.type: not carried over", "regex_header rule"}},
		{name: "multiplexing selector by class name", flume: "a1.sources = r1\na1.channels = c1 c2 c3\na1.sinks = k1 k2 k3\n" +
			"a1.sources.r1.type = seq\na1.sources.r1.channels = c1 c2 c3\n" +
			"a1.sources.r1.selector.type = org.apache.flume.channel.MultiplexingChannelSelector\na1.sources.r1.selector.header = state\na1.sources.r1.selector.mapping.CZ = c1\na1.sources.r1.selector.mapping.US = c2 c3\na1.sources.r1.selector.optional.CZ = c2\na1.sources.r1.selector.default = c3\n" +
			"a1.channels.c1.type = memory\na1.channels.c2.type = memory\na1.channels.c3.type = memory\n" +
			"a1.sinks.k1.type = null\na1.sinks.k1.channel = c1\na1.sinks.k2.type = null\na1.sinks.k2.channel = c2\na1.sinks.k3.type = null\na1.sinks.k3.channel = c3\n",
			want: []string{`selector "multiplexing" { header = "state" mapping = { CZ = ["c1"], US = ["c2", "c3"] } default = ["c3"] optional = { CZ = ["c2"] } }`}},
		{name: "replicating selector with an optional channel", flume: "a1.sources = r1\na1.channels = c1 c2\na1.sinks = k1 k2\n" +
			"a1.sources.r1.type = seq\na1.sources.r1.channels = c1 c2\na1.sources.r1.selector.type = org.apache.flume.channel.ReplicatingChannelSelector\na1.sources.r1.selector.optional = c2\n" +
			"a1.channels.c1.type = memory\na1.channels.c2.type = memory\n" +
			"a1.sinks.k1.type = null\na1.sinks.k1.channel = c1\na1.sinks.k2.type = null\na1.sinks.k2.channel = c2\n",
			want: []string{`selector "replicating" { optional = ["c2"] }`}},
		{name: "failover and load_balance by class name", flume: "a1.sources = r1\na1.channels = c1\na1.sinks = k1 k2 k3 k4\na1.sinkgroups = g1 g2\n" +
			"a1.sources.r1.type = seq\na1.sources.r1.channels = c1\na1.channels.c1.type = memory\n" +
			"a1.sinks.k1.type = null\na1.sinks.k1.channel = c1\na1.sinks.k2.type = null\na1.sinks.k2.channel = c1\na1.sinks.k3.type = null\na1.sinks.k3.channel = c1\na1.sinks.k4.type = null\na1.sinks.k4.channel = c1\n" +
			"a1.sinkgroups.g1.sinks = k1 k2\na1.sinkgroups.g1.processor.type = org.apache.flume.sink.FailoverSinkProcessor\na1.sinkgroups.g1.processor.priority.k1 = 10\na1.sinkgroups.g1.processor.priority.k2 = 5\na1.sinkgroups.g1.processor.maxpenalty = 20000\n" +
			"a1.sinkgroups.g2.sinks = k3 k4\na1.sinkgroups.g2.processor.type = org.apache.flume.sink.LoadBalancingSinkProcessor\na1.sinkgroups.g2.processor.selector = round_robin\na1.sinkgroups.g2.processor.backoff = true\na1.sinkgroups.g2.processor.selector.maxTimeOut = 60000\n",
			want: []string{`sink_group "g1" { sinks = ["k1", "k2"] processor "failover" { priority = { k1 = 10, k2 = 5 } max_penalty = "20s" } }`,
				`sink_group "g2" { sinks = ["k3", "k4"] processor "load_balance" { selector = "round_robin" backoff = true max_timeout = "1m" } }`}},
		{name: "default processor needs no group", flume: flow("", "", "a1.sinks.k1.type = null\na1.sinkgroups = g1\na1.sinkgroups.g1.sinks = k1\na1.sinkgroups.g1.processor.type = default\n"),
			notes: []string{"a1.sinkgroups.g1: changed: the default sink processor"}},
	} {
		tc.run(t)
	}
}

func TestEnvironmentSubstitutionAndEscapes(t *testing.T) {
	t.Setenv("KAFKA_BROKERS", "k1:9092")
	t.Setenv("NC_PORT", "4444")
	t.Setenv("TOPIC_SUFFIX", "prod")
	t.Setenv("PASSWORD_FILE_DIR", "/secrets")
	for _, tc := range []typeCase{
		{name: "${env:X} becomes env(X)", flume: flow("a1.sources.r1.type = netcat\na1.sources.r1.bind = 0.0.0.0\na1.sources.r1.port = ${env:NC_PORT}\n", "", "a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink\na1.sinks.k1.kafka.bootstrap.servers = ${env:KAFKA_BROKERS}\na1.sinks.k1.kafka.topic = logs-${env:TOPIC_SUFFIX}-%{type}\n"),
			want: []string{`port = env("NC_PORT")`, `brokers = [env("KAFKA_BROKERS")]`, `topic = "logs-${env("TOPIC_SUFFIX")}-%%{type}"`}},
		{name: "an env config filter becomes env(X)", flume: "a1.configfilters = f1\na1.configfilters.f1.type = env\n" + flow("a1.sources.r1.type = netcat\na1.sources.r1.bind = 0.0.0.0\na1.sources.r1.port = ${f1['NC_PORT']}\n", "", ""),
			want: []string{`port = env("NC_PORT")`}},
		{name: "${NAME} becomes env(NAME), naming the JVM property Flume needed", flume: flow("", "", "a1.sinks.k1.type = file_roll\na1.sinks.k1.sink.directory = ${HOME}/out\n"),
			want:  []string{`directory = "${env("HOME")}/out"`},
			notes: []string{"a1.sinks.k1.sink.directory: changed: Flume reads ${HOME} from the environment only when started with -DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties"}},
		{name: "${key} of another property is its value (Flume 1.10)", flume: flow("", "", "a1.sinks.k1.type = file_roll\na1.sinks.k1.sink.directory = ${a1.outdir}/x\n") + "a1.outdir = /data\n",
			want:  []string{`directory = "/data/x"`},
			notes: []string{`${a1.outdir} names another property of the file`, `a1.outdir: not carried over: "outdir" is not a component kind`}},
		{name: "other ${...} stays literal", flume: flow("", "", "a1.sinks.k1.type = file_roll\na1.sinks.k1.sink.directory = ${sys:user.home}/out\n"),
			want:  []string{`directory = "$${sys:user.home}/out"`},
			notes: []string{"a1.sinks.k1.sink.directory: changed: ${sys:user.home} is kept as literal text"}},
		{name: "durations with env keep their unit", flume: flow("", "", "a1.sinks.k1.type = avro\na1.sinks.k1.hostname = h\na1.sinks.k1.port = 1\na1.sinks.k1.connect-timeout = ${env:NC_PORT}\n"),
			want: []string{`connect_timeout = "${env("NC_PORT")}ms"`}},
	} {
		tc.run(t)
	}
}

func TestFlumeRulesFlumegoChecksEarlier(t *testing.T) {
	t.Setenv("CT", "deflate")
	for _, tc := range []typeCase{
		{name: "a sink batch above the channel's transaction capacity is lowered", flume: flow("", "a1.channels.c1.type = memory\na1.channels.c1.capacity = 100\na1.channels.c1.transactionCapacity = 10\n", "a1.sinks.k1.type = null\na1.sinks.k1.batchSize = 50\n"),
			want:  []string{`sink "null" "k1" { channel = "c1" batch_size = 10 }`, `source "seq" "r1" { batch_size = 1 channels = ["c1"] }`},
			notes: []string{`a1.sinks.k1: changed: batch_size 50 is above channel "c1"'s transaction_capacity 10: Flume 1.9 and later refuse to connect such a sink`}},
		{name: "Flume's default sink batch above the channel's transaction capacity is lowered", flume: flow("", "a1.channels.c1.type = memory\na1.channels.c1.capacity = 100\na1.channels.c1.transactionCapacity = 10\n", "a1.sinks.k1.type = null\n"),
			want:  []string{`sink "null" "k1" { channel = "c1" batch_size = 10 }`},
			notes: []string{`a1.sinks.k1: changed: Flume's default batch size 100 is above channel "c1"'s transaction_capacity 10`}},
		{name: "a source batch above the channel's transaction capacity is lowered", flume: flow("a1.sources.r1.type = exec\na1.sources.r1.command = cat\na1.sources.r1.batchSize = 500\n", "", ""),
			want:  []string{`batch_size = 100`},
			notes: []string{"batch_size 500 is above channel \"c1\"'s transaction_capacity 100"}},
		{name: "an undeclared channel is dropped", flume: flow("", "", "") + "a1.sources.r1.channels = c1 c9\n",
			want:  []string{`channels = ["c1"]`},
			notes: []string{`channel "c9" is not a converted channel`}},
		{name: "a sink on an undeclared channel is left out", flume: flow("", "", "") + "a1.sinks.k1.channel = c9\n",
			want:  []string{`# sink "null" "k1" {`},
			notes: []string{`a1.sinks.k1: not carried over: its channel "c9"`}},
		{name: "components not in the lists are ignored, as by Flume", flume: flow("", "", "") + "a1.sinks.k2.type = logger\na1.sinks.k2.channel = c1\n",
			want:  []string{`#   a1.sinks.k2.type = logger`},
			notes: []string{"a1.sinks.k2: not carried over: not listed in a1.sinks"}},
		{name: "an unsupported source is kept as comments", flume: strings.Replace(flow("", "", ""), "a1.sources = r1", "a1.sources = r1 r2", 1) + "a1.sources.r2.type = thrift\na1.sources.r2.channels = c1\n",
			want:  []string{`#   a1.sources.r2.type = thrift`},
			notes: []string{`a1.sources.r2: not carried over: Flume source type "thrift"`}},
		{name: "a multiplexing selector with nothing to route routes nothing, as in Flume", flume: flow("a1.sources.r1.type = seq\na1.sources.r1.selector.type = multiplexing\na1.sources.r1.selector.header = h\n", "", ""),
			want:  []string{`selector "multiplexing" { header = "h" }`},
			notes: []string{"neither a mapping nor a default, so Flume puts every event into no channel: kept so"}},
		{name: "a selector naming a channel its source does not use", flume: flow("a1.sources.r1.type = seq\na1.sources.r1.selector.type = multiplexing\na1.sources.r1.selector.header = h\na1.sources.r1.selector.mapping.x = c1 c7\n", "", ""),
			want:  []string{`mapping = { x = ["c1"] }`},
			notes: []string{`a1.sources.r1.selector.mapping.x: not carried over: channel "c7" is not one of the source's channels`}},
		{name: "a sink in two groups stays in the first", flume: "a1.sources = r1\na1.channels = c1\na1.sinks = k1 k2\na1.sinkgroups = g1 g2\na1.sources.r1.type = seq\na1.sources.r1.channels = c1\na1.channels.c1.type = memory\n" +
			"a1.sinks.k1.type = null\na1.sinks.k1.channel = c1\na1.sinks.k2.type = null\na1.sinks.k2.channel = c1\n" +
			"a1.sinkgroups.g1.sinks = k1 k2\na1.sinkgroups.g1.processor.type = failover\na1.sinkgroups.g2.sinks = k2\na1.sinkgroups.g2.processor.type = failover\n",
			want:  []string{`sink_group "g1" { sinks = ["k1", "k2"]`},
			notes: []string{`a1.sinkgroups.g2.sinks: not carried over: sink "k2" is already in sink group "g1"`, `a1.sinkgroups.g2: not carried over: has no sink left`}},
		{name: "a value read twice is reported once", flume: flow("", "", "a1.sinks.k1.type = avro\na1.sinks.k1.hostname = h\na1.sinks.k1.port = 1\na1.sinks.k1.compression-type = ${CT}\n"),
			notes: []string{"Flume reads ${CT} from the environment only"}},
		{name: "a repeated key keeps its last value", flume: flow("a1.sources.r1.type = netcat\na1.sources.r1.bind = h\na1.sources.r1.port = 1\na1.sources.r1.port = 2\n", "", ""),
			want:  []string{`port = 2`},
			notes: []string{"a1.sources.r1.port: changed: set again on line"}},
	} {
		tc.run(t)
	}
}

func TestSeveralAgentsAndChoosingOne(t *testing.T) {
	src := flow("", "", "") + strings.ReplaceAll(flow("", "", ""), "a1.", "a2.")
	res, err := convert.Convert([]byte(src), convert.Options{Components: components.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Agents, ","); got != "a1,a2" {
		t.Fatalf("agents %q, want a1,a2", got)
	}
	if !strings.Contains(string(res.HCL), `agent "a1"`) || !strings.Contains(string(res.HCL), `agent "a2"`) {
		t.Fatalf("want both agents:\n%s", res.HCL)
	}
	validate(t, res)
	res, err = convert.Convert([]byte(src), convert.Options{Agent: "a2", Components: components.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(res.HCL), `agent "a1"`) || !strings.Contains(string(res.HCL), `agent "a2"`) {
		t.Fatalf("-n a2 should convert only a2:\n%s", res.HCL)
	}
	if _, err := convert.Convert([]byte(src), convert.Options{Agent: "a3", Components: components.Builtin()}); err == nil || !strings.Contains(err.Error(), "a1, a2") {
		t.Fatalf("want an error naming the agents, got %v", err)
	}
}

// TestConvertedFlowsWarnWhereFlumeRanDegraded: where the Flume flow itself was degraded — a
// channel whose only sink cannot be converted, a selector that routes nothing — the converted
// file validates and `agent validate` says so.
func TestConvertedFlowsWarnWhereFlumeRanDegraded(t *testing.T) {
	for conf, want := range map[string]string{
		"notes.conf":                 `channel "file" "c2" is filled by source "r1" and drained by no sink`,
		"multiplexing-no-route.conf": "neither mapping nor default is set: every event is dropped",
	} {
		src, err := os.ReadFile(filepath.Join("..", "config", "convert", "testdata", conf))
		if err != nil {
			t.Fatal(err)
		}
		res, err := convert.Convert(src, convert.Options{Components: components.Builtin()})
		if err != nil {
			t.Fatal(err)
		}
		if w := strings.Join(validate(t, res), "\n"); !strings.Contains(w, want) {
			t.Errorf("%s: warnings lack %q:\n%s", conf, want, w)
		}
	}
}
