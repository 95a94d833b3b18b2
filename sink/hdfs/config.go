package hdfs

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/escape"
	"github.com/flumego/flumego/serializer"
)

// FileType is how events are laid out in a file (Flume's hdfs.fileType).
type FileType string

// The file types. Flume's default, SequenceFile, is a Hadoop-only container and is not
// supported.
const (
	DataStream       FileType = "DataStream"       // serialized events as they are
	CompressedStream FileType = "CompressedStream" // serialized events through codec
)

// MissingTimestamp is what happens to an event whose bucket needs a time it lacks.
type MissingTimestamp string

// The policies for events without a usable timestamp header.
const (
	// LocalTime buckets the event by the agent's clock (as use_local_timestamp would).
	LocalTime MissingTimestamp = "local_time"
	// Drop discards the event.
	Drop MissingTimestamp = "drop"
)

// Config is the hdfs sink's config. Names are Flume's hdfs.* properties in snake_case.
type Config struct {
	// Path is the directory of the files, a URL with escapes: file:///data/%Y%m%d,
	// hdfs://namenode:8020/flume/%Y%m%d%H (several namenodes: hdfs://nn1:8020,nn2:8020/...),
	// webhdfs://namenode:9870/flume/... (swebhdfs:// for HTTPS).
	Path string `hcl:"path"`
	// FilePrefix and FileSuffix frame file names: <prefix>.<counter><suffix>; both take
	// escapes. With no suffix, a codec's extension is used (.gz, .zst, .snappy, .lz4).
	FilePrefix string `hcl:"file_prefix,optional"`
	FileSuffix string `hcl:"file_suffix,optional"`
	// InUsePrefix and InUseSuffix mark files still being written.
	InUsePrefix string `hcl:"in_use_prefix,optional"`
	InUseSuffix string `hcl:"in_use_suffix,optional"`

	// RollInterval closes a file this long after it was opened; 0 never rolls by time.
	RollInterval time.Duration `hcl:"roll_interval,optional"`
	// RollSize closes a file once this many bytes of event bodies went into it; 0 never.
	RollSize schema.Size `hcl:"roll_size,optional"`
	// RollCount closes a file once it holds this many events; 0 never.
	RollCount int64 `hcl:"roll_count,optional"`
	// IdleTimeout closes a file nothing was written to for this long; 0 never.
	IdleTimeout time.Duration `hcl:"idle_timeout,optional"`
	// MaxOpenFiles bounds the files open at once; the least recently written is closed first.
	MaxOpenFiles int `hcl:"max_open_files,optional"`

	// Codec compresses CompressedStream files: gzip, zstd, snappy or lz4.
	Codec string `hcl:"codec,optional"`
	// FileType is DataStream or CompressedStream; empty means CompressedStream when a codec
	// is set and DataStream otherwise.
	FileType FileType `hcl:"file_type,optional"`
	// Serializer is how events are written (Flume's serializer): a `serializer "TYPE" { ... }`
	// block (text, json, format or avro_event); text when there is none.
	Serializer serializer.Config `hcl:"serializer,block,optional"`

	// Round, RoundValue and RoundUnit round event times down before the time escapes
	// print them (round_value 10, round_unit minute: 10-minute buckets).
	Round      bool   `hcl:"round,optional"`
	RoundValue int    `hcl:"round_value,optional"`
	RoundUnit  string `hcl:"round_unit,optional"`
	// TimeZone is the zone of the time escapes, an IANA name ("UTC", "Asia/Shanghai");
	// empty is the host's.
	TimeZone string `hcl:"time_zone,optional"`
	// UseLocalTimestamp buckets by the agent's clock rather than the timestamp header.
	UseLocalTimestamp bool `hcl:"use_local_timestamp,optional"`
	// MissingTimestamp is what happens to an event without a usable timestamp header when a
	// time escape needs one: local_time or drop. Either way it is counted.
	MissingTimestamp MissingTimestamp `hcl:"missing_timestamp,optional"`

	// CloseTries is how many times closing and renaming a file is tried; 0 tries until it
	// succeeds. RetryInterval is the longest wait between tries (at least half of it, jittered).
	CloseTries    int           `hcl:"close_tries,optional"`
	RetryInterval time.Duration `hcl:"retry_interval,optional"`
	// CallTimeout bounds each operation on the file system (create, append, sync, rename).
	CallTimeout time.Duration `hcl:"call_timeout,optional"`
	// User is the HDFS user of webhdfs:// and hdfs:// (WebHDFS's user.name); empty means
	// $HADOOP_USER_NAME, else the agent's OS user.
	User string `hcl:"user,optional"`
}

func defaults() *Config {
	return &Config{
		FilePrefix:       "FlumeData",
		InUseSuffix:      ".tmp",
		RollInterval:     time.Hour,
		RollSize:         128 << 20,
		MaxOpenFiles:     5000,
		RoundValue:       1,
		RoundUnit:        string(escape.Second),
		MissingTimestamp: LocalTime,
		RetryInterval:    180 * time.Second,
		CallTimeout:      10 * time.Second,
	}
}

// target is a parsed path: the scheme, its namenode addresses and the directory template.
type target struct {
	scheme string
	hosts  []string
	dir    string
}

var schemes = []string{"file", "hdfs", "webhdfs", "swebhdfs"}

// parseTarget splits path by hand: escapes such as %Y are not URL escapes, so net/url would
// refuse them.
func parseTarget(p string) (target, error) {
	scheme, rest, ok := strings.Cut(p, "://")
	if !ok {
		return target{}, fmt.Errorf("want a URL such as file:///data/flume/%%Y%%m%%d, hdfs://namenode:8020/flume or webhdfs://namenode:9870/flume, got %q", p)
	}
	t := target{scheme: strings.ToLower(scheme)}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return target{}, fmt.Errorf("%q has no directory after the host", p)
	}
	host, dir := rest[:i], rest[i:]
	t.dir = strings.TrimRight(dir, "/")
	if t.dir == "" {
		t.dir = "/"
	}
	switch t.scheme {
	case "file":
		if host != "" && host != "localhost" {
			return target{}, fmt.Errorf("file:// takes no host (file:///dir), got %q", host)
		}
	case "hdfs", "webhdfs", "swebhdfs":
		if host == "" {
			return target{}, fmt.Errorf("%s:// needs a namenode host:port", t.scheme)
		}
		def := map[string]string{"hdfs": "8020", "webhdfs": "9870", "swebhdfs": "9871"}[t.scheme]
		for _, h := range strings.Split(host, ",") {
			if h == "" {
				return target{}, fmt.Errorf("empty namenode address in %q", host)
			}
			if !strings.Contains(h, ":") {
				h += ":" + def
			}
			t.hosts = append(t.hosts, h)
		}
		if t.scheme != "hdfs" && len(t.hosts) > 1 {
			return target{}, fmt.Errorf("%s:// takes one host (put an HttpFS gateway or load balancer in front of HA namenodes)", t.scheme)
		}
	default:
		return target{}, fmt.Errorf("unknown scheme %q: want one of %s", scheme, strings.Join(schemes, ", "))
	}
	return t, nil
}

// codec returns the normalised codec name.
func (c *Config) codec() (Codec, bool) {
	k, ok := codecAliases[strings.ToLower(c.Codec)]
	return k, ok
}

// fileType is the effective file type.
func (c *Config) fileType() FileType {
	if c.FileType != "" {
		return c.FileType
	}
	if k, _ := c.codec(); k != NoCodec {
		return CompressedStream
	}
	return DataStream
}

// Validate reports every problem of the config.
func (c *Config) Validate() error {
	var errs []error
	bad := func(attr, format string, args ...any) { errs = append(errs, schema.Errorf(attr, format, args...)) }
	if t, err := parseTarget(c.Path); err != nil {
		bad("path", "%v", err)
	} else if _, err := escape.Parse(t.dir); err != nil {
		bad("path", "%v", err)
	}
	for _, a := range []struct{ attr, v string }{{"file_prefix", c.FilePrefix}, {"file_suffix", c.FileSuffix}} {
		if _, err := escape.Parse(a.v); err != nil {
			bad(a.attr, "%v", err)
		}
		if strings.ContainsAny(a.v, "/\x00") {
			bad(a.attr, "must be part of a file name, without '/': %q", a.v)
		}
	}
	for _, a := range []struct{ attr, v string }{{"in_use_prefix", c.InUsePrefix}, {"in_use_suffix", c.InUseSuffix}} {
		if strings.ContainsAny(a.v, "/%\x00") {
			bad(a.attr, "must be plain text of a file name, without '/' or escapes: %q", a.v)
		}
	}
	if c.InUsePrefix == "" && c.InUseSuffix == "" {
		bad("in_use_suffix", "in_use_prefix and in_use_suffix are both empty: files being written would look finished")
	}
	if c.RollInterval < 0 {
		bad("roll_interval", "must not be negative")
	}
	if c.RollSize < 0 {
		bad("roll_size", "must not be negative")
	}
	if c.RollCount < 0 {
		bad("roll_count", "must not be negative")
	}
	if c.IdleTimeout < 0 {
		bad("idle_timeout", "must not be negative")
	}
	if c.MaxOpenFiles < 1 {
		bad("max_open_files", "must be at least 1")
	}
	codec, ok := c.codec()
	if !ok {
		bad("codec", "unknown codec %q: want gzip, zstd, snappy or lz4", c.Codec)
	}
	switch c.FileType {
	case "":
	case DataStream:
		if ok && codec != NoCodec {
			bad("file_type", "DataStream writes uncompressed files: remove codec, or set file_type = %q", CompressedStream)
		}
	case CompressedStream:
		if codec == NoCodec {
			bad("codec", "file_type %q needs a codec: gzip, zstd, snappy or lz4", CompressedStream)
		}
	default:
		bad("file_type", "unknown file type %q: want %q or %q (Flume's SequenceFile is not supported)", c.FileType, DataStream, CompressedStream)
	}
	switch escape.Unit(c.RoundUnit) {
	case escape.Second, escape.Minute:
		if c.RoundValue < 1 || c.RoundValue > 60 {
			bad("round_value", "must be 1 to 60 for round_unit %q", c.RoundUnit)
		}
	case escape.Hour:
		if c.RoundValue < 1 || c.RoundValue > 24 {
			bad("round_value", "must be 1 to 24 for round_unit \"hour\"")
		}
	default:
		bad("round_unit", "unknown unit %q: want second, minute or hour", c.RoundUnit)
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			bad("time_zone", "unknown time zone %q: want an IANA name such as \"UTC\" or \"Asia/Shanghai\"", c.TimeZone)
		}
	}
	switch c.MissingTimestamp {
	case LocalTime, Drop:
	default:
		bad("missing_timestamp", "unknown policy %q: want %q or %q", c.MissingTimestamp, LocalTime, Drop)
	}
	if c.CloseTries < 0 {
		bad("close_tries", "must not be negative (0 retries until the file is closed)")
	}
	if c.RetryInterval <= 0 {
		bad("retry_interval", "must be positive")
	}
	if c.CallTimeout <= 0 {
		bad("call_timeout", "must be positive")
	}
	return errors.Join(errs...)
}

// Warnings points at settings that make many small files, the problem Flume's defaults are
// known for.
func (c *Config) Warnings() []error {
	var w []error
	if c.RollInterval > 0 && c.RollInterval < time.Minute {
		w = append(w, schema.Errorf("roll_interval", "%v makes a file per bucket every %v: many small files; consider \"1h\" with roll_size", c.RollInterval, c.RollInterval))
	}
	if c.RollSize > 0 && c.RollSize < 1<<20 {
		w = append(w, schema.Errorf("roll_size", "%v makes many small files; consider \"128MiB\"", c.RollSize))
	}
	if c.RollCount > 0 && c.RollCount < 1000 {
		w = append(w, schema.Errorf("roll_count", "%d events per file makes many small files; consider 0 with roll_size", c.RollCount))
	}
	return w
}
