package spooldir

import (
	"strings"

	"github.com/flumego/flumego/config/flume"
)

// flumeSpooldir converts Flume's spooling directory source.
var flumeSpooldir = &flume.Mapping{
	Flume:   "spooldir source",
	Aliases: []string{"spooldir", "org.apache.flume.source.SpoolDirectorySource"},
	Settings: []flume.Setting{
		flume.Map("spool_dir", flume.AsString, "spoolDir"), flume.Map("file_suffix", flume.AsString, "fileSuffix"),
		flume.Func(flume.LowerOneOf("delete_policy", map[string]string{"never": "never", "immediate": "immediate"}), "deletePolicy"),
		flume.Map("file_header", flume.AsBool, "fileHeader"), flume.Map("file_header_key", flume.AsString, "fileHeaderKey"),
		flume.Map("basename_header", flume.AsBool, "basenameHeader"), flume.Map("basename_header_key", flume.AsString, "basenameHeaderKey"),
		flume.Func(filePattern("include_pattern"), "includePattern"), flume.Func(filePattern("ignore_pattern"), "ignorePattern"),
		flume.Map("tracker_dir", flume.AsString, "trackerDir"),
		flume.Func(flume.LowerOneOf("tracking_policy", map[string]string{"rename": "rename", "tracker_dir": "tracker_dir"}), "trackingPolicy"),
		flume.Func(flume.LowerOneOf("consume_order", map[string]string{"oldest": "oldest", "youngest": "youngest", "random": "random"}), "consumeOrder"),
		flume.Map("poll_delay", flume.AsMillis, "pollDelay"),
		flume.Map("recursive_directory_search", flume.AsBool, "recursiveDirectorySearch"),
		flume.Map("batch_size", flume.AsInt, "batchSize"),
		flume.Func(flume.LowerOneOf("input_charset", map[string]string{"utf-8": "UTF-8", "utf8": "UTF-8", "us-ascii": "US-ASCII", "iso-8859-1": "ISO-8859-1"}), "inputCharset"),
		flume.Func(flume.LowerOneOf("decode_error_policy", map[string]string{"fail": "fail", "replace": "replace", "ignore": "ignore"}), "decodeErrorPolicy"),
		flume.Func(deserializer, "deserializer"),
		flume.Map("max_line_length", flume.AsInt, "deserializer.maxLineLength", "bufferMaxLineLength"),
		flume.Map("max_blob_length", flume.AsInt, "deserializer.maxBlobLength"),
		flume.Func(flume.UTF8Only, "deserializer.outputCharset"),
	},
	Prefixes: []flume.Prefix{flume.DropPrefix("deserializer.", "a setting of a deserializer flumego does not have (it has line and blob)")},
	Dropped: map[string]string{
		"maxBackoff":     flume.WhyBackoff,
		"bufferMaxLines": "obsolete in Flume, and not used",
	},
	Defaults: []flume.Default{{Attr: "batch_size", Value: flume.Int(100)}},
}

func deserializer(c *flume.Conv, p flume.Property) {
	switch v, _ := c.Literal(p); strings.ToLower(v) {
	case "line", "org.apache.flume.serialization.linedeserializer$builder":
		c.Set("deserializer", flume.String("line"))
	case "org.apache.flume.sink.solr.morphline.blobdeserializer$builder", "blob":
		c.Set("deserializer", flume.String("blob"))
	default:
		c.Drop(p, "deserializer %q has no flumego equivalent (line, or BlobDeserializer as blob): lines are read", p.Value)
	}
}

// filePattern converts includePattern and ignorePattern. One RE2 cannot say leaves the source
// out: without it, flumego would consume (rename or delete) files Flume left alone.
func filePattern(attr string) func(c *flume.Conv, p flume.Property) {
	return func(c *flume.Conv, p flume.Property) {
		if !flume.RE2(c, p, attr) {
			c.Omit(p, "without this pattern flumego's spooldir source would consume (rename or delete) files Flume left alone: left out — write the pattern in RE2 syntax, and the source, by hand")
		}
	}
}
