package spooldir

import (
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/source"
)

// DeletePolicy is what happens to a file once all its events committed.
type DeletePolicy string

// The delete policies.
const (
	DeleteNever     DeletePolicy = "never"     // keep it, marked as tracking_policy says
	DeleteImmediate DeletePolicy = "immediate" // delete it
)

// TrackingPolicy is how a completed file is marked when it is kept.
type TrackingPolicy string

// The tracking policies.
const (
	TrackRename     TrackingPolicy = "rename"      // rename it with file_suffix
	TrackTrackerDir TrackingPolicy = "tracker_dir" // leave it; a marker in tracker_dir says it is done
)

// ConsumeOrder is which file is read next.
type ConsumeOrder string

// The consume orders.
const (
	ConsumeOldest   ConsumeOrder = "oldest"   // smallest modification time first (ties by name)
	ConsumeYoungest ConsumeOrder = "youngest" // largest modification time first
	ConsumeRandom   ConsumeOrder = "random"
)

// DecodePolicy is what happens to bytes that are not valid in input_charset.
type DecodePolicy string

// The decode error policies.
const (
	DecodeFail    DecodePolicy = "fail"    // stop reading the file, report it, go on with the others
	DecodeReplace DecodePolicy = "replace" // replace them with U+FFFD
	DecodeIgnore  DecodePolicy = "ignore"  // drop them
)

// Deserializer turns a file into events.
type Deserializer string

// The deserializers.
const (
	DeserializeLine Deserializer = "line" // one event per line
	DeserializeBlob Deserializer = "blob" // one event per file (up to max_blob_length)
)

// The charsets input_charset accepts: those where "\n" is the byte 0x0A.
var charsets = map[string]string{
	"utf-8": "utf-8", "utf8": "utf-8",
	"us-ascii": "us-ascii", "ascii": "us-ascii",
	"iso-8859-1": "iso-8859-1", "latin1": "iso-8859-1", "iso8859-1": "iso-8859-1",
}

// maxLengthLimit bounds max_line_length and max_blob_length: one event is held in memory.
const maxLengthLimit = 1 << 30

// Config is the spooling directory source's configuration.
type Config struct {
	// SpoolDir is the directory whose files are read.
	SpoolDir string `hcl:"spool_dir"`
	// FileSuffix is appended to a completed file's name (tracking_policy "rename"), or to its
	// marker's name in tracker_dir.
	FileSuffix string `hcl:"file_suffix,optional"`
	// DeletePolicy is "never" or "immediate".
	DeletePolicy DeletePolicy `hcl:"delete_policy,optional"`
	// TrackingPolicy is "rename" or "tracker_dir".
	TrackingPolicy TrackingPolicy `hcl:"tracking_policy,optional"`
	// TrackerDir holds the markers (tracker_dir policy) and the progress record; relative to
	// spool_dir unless absolute.
	TrackerDir string `hcl:"tracker_dir,optional"`
	// ConsumeOrder is "oldest", "youngest" or "random".
	ConsumeOrder ConsumeOrder `hcl:"consume_order,optional"`
	// IncludePattern and IgnorePattern are regular expressions over file names.
	IncludePattern string `hcl:"include_pattern,optional"`
	IgnorePattern  string `hcl:"ignore_pattern,optional"`
	// PollDelay is how often the directory is listed while there is nothing to read.
	PollDelay time.Duration `hcl:"poll_delay,optional"`
	// RecursiveDirectorySearch reads the files of subdirectories too.
	RecursiveDirectorySearch bool `hcl:"recursive_directory_search,optional"`
	// Batch is the most events delivered in one put (batch_size).
	Batch int `hcl:"batch_size,optional"`
	// InputCharset is the files' character set: UTF-8, US-ASCII or ISO-8859-1.
	InputCharset string `hcl:"input_charset,optional"`
	// DecodeErrorPolicy is "fail", "replace" or "ignore".
	DecodeErrorPolicy DecodePolicy `hcl:"decode_error_policy,optional"`
	// FileHeader adds the file's absolute path as the header FileHeaderKey.
	FileHeader    bool   `hcl:"file_header,optional"`
	FileHeaderKey string `hcl:"file_header_key,optional"`
	// BasenameHeader adds the file's name as the header BasenameHeaderKey.
	BasenameHeader    bool   `hcl:"basename_header,optional"`
	BasenameHeaderKey string `hcl:"basename_header_key,optional"`
	// Deserializer is "line" or "blob".
	Deserializer Deserializer `hcl:"deserializer,optional"`
	// MaxLineLength is the most bytes of a line event; longer lines are split.
	MaxLineLength int `hcl:"max_line_length,optional"`
	// MaxBlobLength is the most bytes of a blob event; a longer file makes several.
	MaxBlobLength int `hcl:"max_blob_length,optional"`
}

// Defaults returns Flume's defaults.
func Defaults() *Config {
	return &Config{
		FileSuffix:        ".COMPLETED",
		DeletePolicy:      DeleteNever,
		TrackingPolicy:    TrackRename,
		TrackerDir:        ".flumespool",
		ConsumeOrder:      ConsumeOldest,
		IncludePattern:    "^.*$",
		IgnorePattern:     "^$",
		PollDelay:         500 * time.Millisecond,
		Batch:             100,
		InputCharset:      "UTF-8",
		DecodeErrorPolicy: DecodeFail,
		FileHeaderKey:     "file",
		BasenameHeaderKey: "basename",
		Deserializer:      DeserializeLine,
		MaxLineLength:     2048,
		MaxBlobLength:     100_000_000,
	}
}

// BatchLimit is the most events one put holds, checked against the channels' transaction
// capacity by the config stage; a larger put is split into transactions that fit.
func (c *Config) BatchLimit() source.BatchLimit {
	return source.BatchLimit{Events: c.Batch, Attr: "batch_size"}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.SpoolDir) == "" {
		errs = append(errs, schema.Errorf("spool_dir", "must not be empty"))
	}
	if c.DeletePolicy != DeleteNever && c.DeletePolicy != DeleteImmediate {
		errs = append(errs, schema.Errorf("delete_policy", `must be "never" or "immediate", got %q`, c.DeletePolicy))
	}
	if c.TrackingPolicy != TrackRename && c.TrackingPolicy != TrackTrackerDir {
		errs = append(errs, schema.Errorf("tracking_policy", `must be "rename" or "tracker_dir", got %q`, c.TrackingPolicy))
	}
	if c.FileSuffix == "" && c.DeletePolicy == DeleteNever {
		errs = append(errs, schema.Errorf("file_suffix", "must not be empty: it marks completed files"))
	}
	if strings.ContainsRune(c.FileSuffix, '/') {
		errs = append(errs, schema.Errorf("file_suffix", "must not contain /, got %q", c.FileSuffix))
	}
	if strings.TrimSpace(c.TrackerDir) == "" {
		errs = append(errs, schema.Errorf("tracker_dir", "must not be empty"))
	}
	switch c.ConsumeOrder {
	case ConsumeOldest, ConsumeYoungest, ConsumeRandom:
	default:
		errs = append(errs, schema.Errorf("consume_order", `must be "oldest", "youngest" or "random", got %q`, c.ConsumeOrder))
	}
	if _, err := regexp.Compile(c.IncludePattern); err != nil {
		errs = append(errs, schema.Errorf("include_pattern", "%v", err))
	}
	if _, err := regexp.Compile(c.IgnorePattern); err != nil {
		errs = append(errs, schema.Errorf("ignore_pattern", "%v", err))
	}
	if c.PollDelay < 10*time.Millisecond {
		errs = append(errs, schema.Errorf("poll_delay", "must be at least 10ms, got %v", c.PollDelay))
	}
	if c.Batch < 1 {
		errs = append(errs, schema.Errorf("batch_size", "must be at least 1, got %d", c.Batch))
	}
	if _, ok := charsets[strings.ToLower(c.InputCharset)]; !ok {
		errs = append(errs, schema.Errorf("input_charset", `must be "UTF-8", "US-ASCII" or "ISO-8859-1", got %q`, c.InputCharset))
	}
	switch c.DecodeErrorPolicy {
	case DecodeFail, DecodeReplace, DecodeIgnore:
	default:
		errs = append(errs, schema.Errorf("decode_error_policy", `must be "fail", "replace" or "ignore", got %q`, c.DecodeErrorPolicy))
	}
	if c.FileHeader && c.FileHeaderKey == "" {
		errs = append(errs, schema.Errorf("file_header_key", "must not be empty when file_header is true"))
	}
	if c.BasenameHeader && c.BasenameHeaderKey == "" {
		errs = append(errs, schema.Errorf("basename_header_key", "must not be empty when basename_header is true"))
	}
	if c.Deserializer != DeserializeLine && c.Deserializer != DeserializeBlob {
		errs = append(errs, schema.Errorf("deserializer", `must be "line" or "blob", got %q`, c.Deserializer))
	}
	if c.MaxLineLength < 1 || c.MaxLineLength > maxLengthLimit {
		errs = append(errs, schema.Errorf("max_line_length", "must be 1-%d bytes, got %d", maxLengthLimit, c.MaxLineLength))
	}
	if c.MaxBlobLength < 1 || c.MaxBlobLength > maxLengthLimit {
		errs = append(errs, schema.Errorf("max_blob_length", "must be 1-%d bytes, got %d", maxLengthLimit, c.MaxBlobLength))
	}
	return errors.Join(errs...)
}
