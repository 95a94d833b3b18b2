package taildir

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"time"

	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/source"
)

// Overflow is what happens to a line longer than max_line_length.
type Overflow string

// The overflow policies.
const (
	// OverflowSplit cuts a long line into events of max_line_length bytes: nothing is lost.
	OverflowSplit Overflow = "split"
	// OverflowTruncate keeps the first max_line_length bytes and discards the rest of the line.
	OverflowTruncate Overflow = "truncate"
)

// Match says on which side of a multiline group the matching lines go.
type Match string

// The multiline match modes (Filebeat's).
const (
	// MatchAfter appends matching lines to the line before them (Java stack traces).
	MatchAfter Match = "after"
	// MatchBefore prepends matching lines to the line after them (a trailing "\" continuation).
	MatchBefore Match = "before"
)

const (
	// maxLineLengthLimit bounds max_line_length: the read buffer holds a whole event.
	maxLineLengthLimit = 64 << 20
	// minInterval is the shortest poll_interval and write_pos_interval accepted.
	minInterval = 10 * time.Millisecond
)

// Config is the taildir source's configuration.
type Config struct {
	// FileGroups are the files to tail: one block per group, each with a glob.
	FileGroups []FileGroup `hcl:"filegroup,block"`
	// PositionFile is the JSON file holding the delivered offset of each file (Flume's format).
	// Empty means <data_dir>/taildir-<source name>.json.
	PositionFile string `hcl:"position_file,optional"`
	// Batch is the most events delivered in one put (batch_size).
	Batch int `hcl:"batch_size,optional"`
	// MaxBatchCount is the most batches read from one file before the others get their turn;
	// 0 means no limit (Flume's default).
	MaxBatchCount int `hcl:"max_batch_count,optional"`
	// SkipToEnd starts files that have no saved position at their end rather than their start.
	SkipToEnd bool `hcl:"skip_to_end,optional"`
	// IdleTimeout closes a file that has not changed for this long; it is reopened when it does.
	IdleTimeout time.Duration `hcl:"idle_timeout,optional"`
	// WritePosInterval is how often the position file is written when positions moved.
	WritePosInterval time.Duration `hcl:"write_pos_interval,optional"`
	// ByteOffsetHeader adds the header "byteoffset": the offset of the event's first byte.
	ByteOffsetHeader bool `hcl:"byte_offset_header,optional"`
	// FileHeader adds the file's path as the header FileHeaderKey.
	FileHeader    bool   `hcl:"file_header,optional"`
	FileHeaderKey string `hcl:"file_header_key,optional"`
	// ECSHeaders adds the headers a Filebeat-compatible serializer needs: log.file.path,
	// log.offset, log.flags ("multiline" for joined lines) and timestamp (the read time in epoch
	// ms, unless the event has one already).
	ECSHeaders bool `hcl:"ecs_headers,optional"`
	// MaxLineLength is the most bytes of one event body; see LineOverflow.
	MaxLineLength schema.Size `hcl:"max_line_length,optional"`
	// LineOverflow is what happens to longer lines: "split" or "truncate".
	LineOverflow Overflow `hcl:"line_overflow,optional"`
	// MaxOpenFiles bounds the files held open at once; 0 means no limit.
	MaxOpenFiles int `hcl:"max_open_files,optional"`
	// PollInterval is how often the globs are matched again and every file checked for growth,
	// for file systems whose change notifications do not arrive (NFS, some FUSE mounts).
	PollInterval time.Duration `hcl:"poll_interval,optional"`
	// RotateWait is how long a file that was renamed away or deleted is kept open after it
	// stopped growing, for the lines its writer appends before switching to the new file.
	RotateWait time.Duration `hcl:"rotate_wait,optional"`
	// Multiline joins several lines into one event.
	Multiline *Multiline `hcl:"multiline,block"`
}

// FileGroup is one `filegroup "NAME" { path = ..., headers = {...} }` block.
type FileGroup struct {
	Name string `hcl:"name,label"`
	// Path is a glob (filepath.Match syntax) in the file name and in directories; a "**"
	// segment matches any number of directories.
	Path string `hcl:"path"`
	// Headers are added to every event of the group's files.
	Headers map[string]string `hcl:"headers,optional"`
	// Exclude lists globs of files not to tail: without "/" matched against the base name,
	// with "/" against the absolute path.
	Exclude []string `hcl:"exclude,optional"`
	// IgnoreOlder leaves alone files found unmodified for this long (0: none are); see the
	// package doc.
	IgnoreOlder time.Duration `hcl:"ignore_older,optional"`
	// Encoding is the files' character set; bodies are decoded to UTF-8. Empty is UTF-8.
	Encoding string `hcl:"encoding,optional"`
	// Format is the container runtime's log format: "cri", "docker" or "auto"; empty means
	// plain lines.
	Format Format `hcl:"format,optional"`
	// KubernetesMetadata adds the pod, namespace, container and ids found in the file's path.
	KubernetesMetadata bool `hcl:"kubernetes_metadata,optional"`
}

// Format is a container runtime's log file format.
type Format string

// The container log formats.
const (
	// FormatPlain is plain lines (no format set).
	FormatPlain Format = ""
	// FormatCRI is the CRI format (containerd, CRI-O): "TIME STREAM P|F MESSAGE".
	FormatCRI Format = "cri"
	// FormatDocker is Docker's json-file format: {"log":"...","stream":"...","time":"..."}.
	FormatDocker Format = "docker"
	// FormatAuto tells the two apart line by line.
	FormatAuto Format = "auto"
)

// Multiline is the `multiline { ... }` block (Filebeat's settings).
type Multiline struct {
	// Pattern is a regular expression (Go's RE2 syntax) matched against each line.
	Pattern string `hcl:"pattern"`
	// Negate inverts the match: the lines that do NOT match are the ones joined.
	Negate bool `hcl:"negate,optional"`
	// Match is "after" (joined lines go after the line they follow) or "before".
	Match Match `hcl:"match,optional"`
	// MaxLines is the most lines of one event; the next line starts a new event.
	MaxLines int `hcl:"max_lines,optional"`
	// Timeout delivers a pending event when no line has been added to it for this long.
	Timeout time.Duration `hcl:"timeout,optional"`
}

// Defaults returns Flume's defaults (idle_timeout 120s, write_pos_interval 3s, file_header_key
// "file"), flumego's for what Flume lacks (see the package doc), and batch_size 10000 (Flume's
// 100): a batch never holds more than the read buffer (1MiB, or twice max_line_length), so in
// practice it is what one buffer holds, and the larger count costs no memory with long lines;
// into a file channel, where every put pays two fsyncs, it makes a few large puts.
func Defaults() *Config {
	return &Config{
		Batch:            10000,
		IdleTimeout:      120 * time.Second,
		WritePosInterval: 3 * time.Second,
		FileHeaderKey:    "file",
		MaxLineLength:    1 << 20,
		LineOverflow:     OverflowSplit,
		MaxOpenFiles:     1000,
		PollInterval:     time.Second,
		RotateWait:       5 * time.Second,
	}
}

// BatchLimit is the most events one put holds, checked against the channels' transaction
// capacity by the config stage; a larger put is split into transactions that fit.
func (c *Config) BatchLimit() source.BatchLimit {
	return source.BatchLimit{Events: c.Batch, Attr: "batch_size"}
}

// Validate reports every problem of the configuration at once. Multiline defaults (match
// "after", max_lines 500, timeout 5s) are filled in here when the block left them out.
func (c *Config) Validate() error {
	var errs []error
	if len(c.FileGroups) == 0 {
		errs = append(errs, schema.Errorf("filegroup", `at least one filegroup "NAME" { path = "/var/log/app/*.log" } is required`))
	}
	seen := map[string]bool{}
	for _, g := range c.FileGroups {
		attr := "filegroup." + g.Name + ".path"
		if seen[g.Name] {
			errs = append(errs, schema.Errorf("filegroup."+g.Name, "filegroup %q is declared twice", g.Name))
		}
		seen[g.Name] = true
		switch {
		case g.Path == "":
			errs = append(errs, schema.Errorf(attr, "must not be empty"))
		case g.Path[len(g.Path)-1] == '/':
			errs = append(errs, schema.Errorf(attr, "must name files, not a directory: %q", g.Path))
		default:
			if abs, err := filepath.Abs(g.Path); err != nil {
				errs = append(errs, schema.Errorf(attr, "%v", err))
			} else if _, err := compileGlob(abs); err != nil {
				errs = append(errs, schema.Errorf(attr, "bad glob %q: %v", g.Path, err))
			}
		}
		prefix := "filegroup." + g.Name + "."
		if _, err := compileExcludes(g.Exclude); err != nil {
			errs = append(errs, schema.Errorf(prefix+"exclude", "%v", err))
		}
		if g.IgnoreOlder < 0 {
			errs = append(errs, schema.Errorf(prefix+"ignore_older", "must be 0 (off) or more, got %v", g.IgnoreOlder))
		}
		if _, err := lookupEncoding(g.Encoding); err != nil {
			errs = append(errs, schema.Errorf(prefix+"encoding", "%v", err))
		}
		switch g.Format {
		case FormatPlain, FormatCRI, FormatDocker, FormatAuto:
		default:
			errs = append(errs, schema.Errorf(prefix+"format", `must be "cri", "docker" or "auto" (or unset for plain lines), got %q`, g.Format))
		}
	}
	if c.Batch < 1 {
		errs = append(errs, schema.Errorf("batch_size", "must be at least 1, got %d", c.Batch))
	}
	if c.MaxBatchCount < 0 {
		errs = append(errs, schema.Errorf("max_batch_count", "must be 0 (no limit) or more, got %d", c.MaxBatchCount))
	}
	if c.IdleTimeout < time.Second {
		errs = append(errs, schema.Errorf("idle_timeout", "must be at least 1s, got %v", c.IdleTimeout))
	}
	if c.WritePosInterval < minInterval {
		errs = append(errs, schema.Errorf("write_pos_interval", "must be at least %v, got %v", minInterval, c.WritePosInterval))
	}
	if c.PollInterval < minInterval {
		errs = append(errs, schema.Errorf("poll_interval", "must be at least %v, got %v", minInterval, c.PollInterval))
	}
	if c.FileHeader && c.FileHeaderKey == "" {
		errs = append(errs, schema.Errorf("file_header_key", "must not be empty when file_header is true"))
	}
	if c.MaxLineLength < 1 || c.MaxLineLength > maxLineLengthLimit {
		errs = append(errs, schema.Errorf("max_line_length", "must be 1 byte to %v, got %d", schema.Size(maxLineLengthLimit), int64(c.MaxLineLength)))
	}
	if c.LineOverflow != OverflowSplit && c.LineOverflow != OverflowTruncate {
		errs = append(errs, schema.Errorf("line_overflow", `must be "split" or "truncate", got %q`, c.LineOverflow))
	}
	if c.MaxOpenFiles < 0 {
		errs = append(errs, schema.Errorf("max_open_files", "must be 0 (no limit) or more, got %d", c.MaxOpenFiles))
	}
	if m := c.Multiline; m != nil {
		if m.Match == "" {
			m.Match = MatchAfter
		}
		if m.MaxLines == 0 {
			m.MaxLines = 500
		}
		if m.Timeout == 0 {
			m.Timeout = 5 * time.Second
		}
		if m.Pattern == "" {
			errs = append(errs, schema.Errorf("multiline.pattern", "must not be empty"))
		} else if _, err := regexp.Compile(m.Pattern); err != nil {
			errs = append(errs, schema.Errorf("multiline.pattern", "%v", err))
		}
		if m.Match != MatchAfter && m.Match != MatchBefore {
			errs = append(errs, schema.Errorf("multiline.match", `must be "after" or "before", got %q`, m.Match))
		}
		if m.MaxLines < 1 {
			errs = append(errs, schema.Errorf("multiline.max_lines", "must be at least 1, got %d", m.MaxLines))
		}
		if m.Timeout < 0 {
			errs = append(errs, schema.Errorf("multiline.timeout", "must be positive, got %v", m.Timeout))
		}
	}
	return errors.Join(errs...)
}

// positionPath is the position file: position_file, or one named after the source in the
// agent's data_dir.
func (c *Config) positionPath(name, dataDir string) (string, error) {
	if c.PositionFile != "" {
		return filepath.Abs(c.PositionFile)
	}
	if dataDir == "" {
		return "", fmt.Errorf("position_file is not set and the agent has no data_dir: set one of them")
	}
	return filepath.Abs(filepath.Join(dataDir, "taildir-"+name+".json"))
}
