package hdfs

import (
	"strings"
	"time"

	"github.com/flumego/flumego/config/flume"
	"github.com/flumego/flumego/internal/escape"
)

// flumeHDFS converts Flume's HDFS sink, with Flume's roll and batch defaults when the file
// leaves them out. A path without a namenode (no scheme, or hdfs:///) took it from Hadoop's
// fs.defaultFS: flumego needs it in the URL, so a placeholder is written and reported.
var flumeHDFS = &flume.Mapping{
	Flume:   "hdfs sink",
	Aliases: []string{"hdfs", "org.apache.flume.sink.hdfs.HDFSEventSink"},
	Settings: append([]flume.Setting{
		{Keys: []string{"hdfs.path"}, Attr: "path", Fn: path},
		flume.Func(escaped("file_prefix"), "hdfs.filePrefix"), flume.Func(escaped("file_suffix"), "hdfs.fileSuffix"),
		flume.Map("in_use_prefix", flume.AsString, "hdfs.inUsePrefix"), flume.Map("in_use_suffix", flume.AsString, "hdfs.inUseSuffix"),
		flume.Func(func(c *flume.Conv, p flume.Property) {
			if b, ok := c.Convert(p, flume.AsBool).(flume.Bool); ok && bool(b) {
				c.State["emptyInUseSuffix"] = p
			}
		}, "hdfs.emptyInUseSuffix"),
		flume.Map("roll_interval", flume.AsSeconds, "hdfs.rollInterval"), flume.Map("roll_size", flume.AsBytes, "hdfs.rollSize"),
		flume.Map("roll_count", flume.AsInt, "hdfs.rollCount"), flume.Map("idle_timeout", flume.AsSeconds, "hdfs.idleTimeout"),
		flume.Map("batch_size", flume.AsInt, "hdfs.batchSize"),
		flume.Func(func(c *flume.Conv, p flume.Property) { c.State["codec"] = p }, "hdfs.codeC"),
		flume.Func(func(c *flume.Conv, p flume.Property) { c.State["fileType"] = p }, "hdfs.fileType"),
		flume.Map("max_open_files", flume.AsInt, "hdfs.maxOpenFiles"),
		flume.Map("call_timeout", flume.AsMillis, "hdfs.callTimeout"), flume.Map("close_tries", flume.AsInt, "hdfs.closeTries"),
		flume.Map("retry_interval", flume.AsSeconds, "hdfs.retryInterval"),
		flume.Map("round", flume.AsBool, "hdfs.round"), flume.Map("round_value", flume.AsInt, "hdfs.roundValue"),
		flume.Func(flume.LowerOneOf("round_unit", map[string]string{"second": "second", "minute": "minute", "hour": "hour"}), "hdfs.roundUnit"),
		flume.Func(timeZone, "hdfs.timeZone"),
		flume.Map("use_local_timestamp", flume.AsBool, "hdfs.useLocalTimeStamp"),
		flume.Func(func(c *flume.Conv, p flume.Property) {
			c.Set("user", c.Tmpl(p))
			c.Note(p, true, "flumego writes as this HDFS user with simple authentication (no Kerberos impersonation)")
		}, "hdfs.proxyUser"),
	}, flume.SerializerSettings("serializer")...),
	Prefixes: []flume.Prefix{flume.DropPrefix("serializer.", "a setting of a serializer flumego does not have (text, avro_event)")},
	Dropped: map[string]string{
		"hdfs.writeFormat":           "used by SequenceFile only, which flumego does not write",
		"hdfs.minBlockReplicas":      "flumego leaves replication to HDFS",
		"hdfs.threadsPoolSize":       "flumego needs no HDFS I/O thread pool",
		"hdfs.rollTimerPoolSize":     "flumego needs no roll timer pool",
		"hdfs.kerberosPrincipal":     "Kerberos is not configured in flumego yet (simple authentication only)",
		"hdfs.kerberosKeytab":        "Kerberos is not configured in flumego yet (simple authentication only)",
		"hdfs.batchTimeout":          "not used",
		"hdfs.useRawLocalFileSystem": "use a file:// path for the local file system",
	},
	Defaults: []flume.Default{
		{Attr: "batch_size", Value: flume.Int(100)},
		{Attr: "roll_interval", Value: flume.Duration(30 * time.Second)},
		{Attr: "roll_size", Value: flume.Size(1024)},
		{Attr: "roll_count", Value: flume.Int(10)},
	},
	Finish: finishHDFS,
}

// placeholderNamenode stands for the namenode Flume took from fs.defaultFS.
const placeholderNamenode = "namenode:8020"

func path(c *flume.Conv, p flume.Property) {
	t := c.Tmpl(p)
	if !t.HasEnv() {
		v := strings.TrimSpace(t.Literal())
		switch {
		case !strings.Contains(v, "://"):
			v = "hdfs://" + placeholderNamenode + v
			c.Note(p, true, "the path has no scheme, so Flume took the namenode from fs.defaultFS (core-site.xml); flumego needs it in the URL: written as %s — replace %s", v, placeholderNamenode)
		case strings.HasPrefix(v, "hdfs:///"):
			v = "hdfs://" + placeholderNamenode + strings.TrimPrefix(v, "hdfs://")
			c.Note(p, true, "the path names no namenode (hdfs:///), so Flume took it from fs.defaultFS (core-site.xml); flumego needs it in the URL: written as %s — replace %s", v, placeholderNamenode)
		}
		t = flume.String(escapes(c, p, v))
	}
	c.Set("path", t)
}

func timeZone(c *flume.Conv, p flume.Property) {
	v, ok := c.Literal(p)
	if !ok {
		c.Set("time_zone", c.Tmpl(p))
		return
	}
	if _, err := time.LoadLocation(v); err != nil {
		c.Drop(p, "time zone %q is not an IANA name flumego knows (such as \"UTC\" or \"Asia/Shanghai\"): the host's zone is used", v)
		return
	}
	c.Set("time_zone", flume.String(v))
}

// escaped writes an HDFS escape template (file_prefix, file_suffix) after checking its escapes.
func escaped(attr string) func(c *flume.Conv, p flume.Property) {
	return func(c *flume.Conv, p flume.Property) {
		t := c.Tmpl(p)
		if !t.HasEnv() {
			t = flume.String(escapes(c, p, t.Literal()))
		}
		c.Set(attr, t)
	}
}

// escapes removes the %x and %[...] escapes flumego does not know: Flume replaces them with
// nothing, flumego refuses them.
func escapes(c *flume.Conv, p flume.Property, v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if ch != '%' || i+1 >= len(v) {
			b.WriteByte(ch)
			continue
		}
		n := v[i+1]
		switch {
		case n == '%' || n == '{':
			b.WriteByte(ch)
		case n == '[':
			end := strings.IndexByte(v[i:], ']')
			if end < 0 {
				b.WriteByte(ch)
				continue
			}
			name := v[i+2 : i+end]
			switch strings.ToLower(name) {
			case "localhost", "ip", "fqdn":
				b.WriteString(v[i : i+end+1])
			default:
				c.Drop(p, "escape %%[%s] is unknown; Flume writes nothing for it, and it is removed", name)
			}
			i += end
		case isWordByte(n):
			if escape.IsTimeEscape(n) {
				b.WriteByte(ch)
				b.WriteByte(n)
			} else {
				c.Drop(p, "escape %%%c is unknown; Flume writes nothing for it, and it is removed", n)
			}
			i++
		default:
			b.WriteByte(ch)
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
func finishHDFS(c *flume.Conv) {
	codecP, hasCodec := c.State["codec"].(flume.Property)
	codec := ""
	if hasCodec {
		v, _ := c.Literal(codecP)
		if cd, ok := hdfsCodecs[strings.ToLower(v)]; ok {
			codec = cd
		} else {
			c.Drop(codecP, "codec %q has no flumego equivalent (gzip, snappy, lz4, zstd): files are written uncompressed", v)
		}
	}
	written := "DataStream (plain text, one event per line)"
	if codec != "" {
		written = "CompressedStream (" + codec + ")"
	}
	ftP, hasFT := c.State["fileType"].(flume.Property)
	ft, _ := c.Literal(ftP)
	switch {
	case !hasFT:
		c.CompNote(true, "hdfs.fileType is not set: Flume writes SequenceFile by default, flumego does not; it writes %s", written)
		if codec != "" {
			c.Set("codec", flume.String(codec))
		}
	case strings.EqualFold(ft, "DataStream"):
		c.Set("file_type", flume.String("DataStream"))
		if codec != "" {
			c.Drop(codecP, "Flume ignores hdfs.codeC with fileType DataStream, and so does flumego (files are uncompressed)")
		}
	case strings.EqualFold(ft, "CompressedStream"):
		if codec == "" {
			c.Note(ftP, true, "CompressedStream needs a codec flumego knows: DataStream (uncompressed) is written")
			c.Set("file_type", flume.String("DataStream"))
			break
		}
		c.Set("codec", flume.String(codec))
		c.Set("file_type", flume.String("CompressedStream"))
	default:
		c.Note(ftP, true, "fileType %q is not written by flumego (DataStream or CompressedStream): %s is written", ft, written)
		if codec != "" {
			c.Set("codec", flume.String(codec))
		}
	}
	if p, ok := c.State["emptyInUseSuffix"].(flume.Property); ok {
		if pre := c.Block.Attr("in_use_prefix"); pre != nil && pre.Val.HCL() != `""` {
			c.Set("in_use_suffix", flume.String(""))
		} else {
			c.Drop(p, "flumego marks files being written with in_use_prefix or in_use_suffix (they must not both be empty): the suffix stays .tmp")
		}
	}
	flume.FinishSerializer(c)
}
