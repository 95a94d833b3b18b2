// Package serializer turns events into the bytes a sink writes. Every sink that writes bytes
// (kafka, file_roll, hdfs, logger) takes the same nested block and the same types:
//
//	serializer "text" {}                       # the body as is (the default)
//	serializer "json" { preset = "filebeat" }  # one JSON document per event
//	serializer "format" { format = "%%{host} %%{body}" }
//	serializer "avro_event" {}                 # Flume's Avro event: headers and body
//
// A serializer writes an event in one of two shapes, and the sink picks the one its destination
// needs:
//
//   - a record (AppendRecord): one event, no framing, for destinations that frame events
//     themselves: a Kafka record value, a log line. avro_event writes a bare AvroFlumeEvent
//     datum here, as Flume's Kafka sink does with useFlumeEventFormat.
//   - a stream (NewStream): a file. text, json and format end every record with a newline
//     (append_newline, default true); avro_event writes an Avro object container file: a header
//     with the schema and a sync marker, then blocks of events each ended by the marker.
//
// An event a serializer cannot encode is reported as an *EncodeError: retrying cannot help, so
// sinks report it as sink.Permanent for that event and deliver the others. What a serializer
// can still write in a degraded form (a body that is not the JSON it was declared to be, a
// header that is not the number its type says) is written so, and counted on the sink's
// metrics component: no event is lost to a fallback and none is changed silently.
//
// Serializers are built once per sink and used by its Write, which is never concurrent, so they
// reuse their buffers without locks; Streams of one serializer may be flushed concurrently.
package serializer

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/metrics"
)

// Serializer encodes events for one sink. It is not safe for concurrent use: a sink's Write is
// never concurrent with itself.
type Serializer interface {
	// AppendRecord appends ev encoded as one standalone record, without framing, to dst and
	// returns the extended slice. On error (an *EncodeError) dst is returned unchanged.
	AppendRecord(dst []byte, ev *channel.Event) ([]byte, error)
	// NewStream starts a file written to w, writing the format's header (if it has one) at once.
	NewStream(w io.Writer) (Stream, error)
	// ValidPrefix reads a stream this serializer wrote, possibly torn by a crash, and returns
	// the length of its longest prefix that is whole (ends with a complete record or block) and
	// whether that prefix holds any event. Recovery cuts a torn file there.
	ValidPrefix(r io.Reader) (valid int64, events bool, err error)
}

// Stream writes events into one file.
type Stream interface {
	// Append writes ev. An *EncodeError means ev cannot be encoded and nothing of it was
	// written; any other error is the writer's.
	Append(ev *channel.Event) error
	// Flush completes what was appended (an Avro block), so that the bytes written so far are
	// a whole file of the format.
	Flush() error
}

// EncodeError reports an event a serializer cannot encode, ever.
type EncodeError struct{ Err error }

func (e *EncodeError) Error() string { return "serialize: " + e.Err.Error() }
func (e *EncodeError) Unwrap() error { return e.Err }

// IsEncodeError reports whether err is, or wraps, an *EncodeError.
func IsEncodeError(err error) bool {
	var ee *EncodeError
	return errors.As(err, &ee)
}

// Settings are what a sink hands the serializer it builds.
type Settings struct {
	// Metrics is the sink's metrics component; the serializer registers its counters there.
	// Nil gives a private one.
	Metrics *metrics.Component
	// DataDir is the agent's data directory, where state that outlives the process is kept
	// (the filebeat preset's agent.id).
	DataDir string
	Logger  *slog.Logger
}

func (s Settings) metrics() *metrics.Component {
	if s.Metrics != nil {
		return s.Metrics
	}
	return metrics.NewRegistry("").Sink("serializer", "serializer").Component
}

// Factory builds serializers of one type from their block.
type Factory interface {
	Type() string
	Decode(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (any, hcl.Diagnostics)
	Create(cfg any, set Settings) (Serializer, error)
}

// NewFactory returns the factory of a serializer type from its config defaults and constructor.
func NewFactory[C any](typ string, defaults func() *C, create func(*C, Settings) (Serializer, error)) Factory {
	return schema.Typed[C, Settings, Serializer]{Name: typ, Defaults: defaults, New: create}
}

// The built-in types.
const (
	Text      = "text"
	JSON      = "json"
	Format    = "format"
	AvroEvent = "avro_event"
)

// Builtin lists the factories of every serializer type, text first.
func Builtin() []Factory {
	return []Factory{NewTextFactory(), NewJSONFactory(), NewFormatFactory(), NewAvroEventFactory()}
}

// Config is a sink's `serializer "TYPE" { ... }` block. The zero Config is text with its
// defaults, what a sink writes without a block.
type Config struct {
	Type string `hcl:"type,label"`
	// Factory and Spec are the type's factory and its decoded config; set by DecodeBlock, or
	// by a program that builds a sink config itself.
	Factory Factory
	Spec    any
}

// Of returns the Config of a serializer type with its defaults, as if its block were empty.
func Of(typ string) Config {
	for _, f := range Builtin() {
		if f.Type() == typ {
			cfg, _ := f.Decode(hcl.EmptyBody(), nil, "", hcl.Range{})
			return Config{Type: typ, Factory: f, Spec: cfg}
		}
	}
	return Config{Type: typ}
}

// DecodeBlock decodes the block's body into the typed config of its type (schema.BlockDecoder).
func (c *Config) DecodeBlock(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) hcl.Diagnostics {
	var names []string
	for _, f := range Builtin() {
		if f.Type() == c.Type {
			c.Factory = f
			var diags hcl.Diagnostics
			c.Spec, diags = f.Decode(body, ectx, what, subject)
			return diags
		}
		names = append(names, fmt.Sprintf("%q", f.Type()))
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Subject: &subject,
		Summary: fmt.Sprintf("%s: unknown serializer type %q: want one of %s", what, c.Type, joinOr(names))}}
}

// Name is the type the config stands for: "text" for the zero Config.
func (c Config) Name() string {
	if c.Type == "" {
		return Text
	}
	return c.Type
}

// New builds the serializer the config describes.
func New(c Config, set Settings) (Serializer, error) {
	if c.Factory == nil {
		c = Of(c.Name())
		if c.Factory == nil {
			return nil, fmt.Errorf("unknown serializer type %q", c.Type)
		}
	}
	s, err := c.Factory.Create(c.Spec, set)
	if err != nil {
		return nil, fmt.Errorf("serializer %q: %w", c.Name(), err)
	}
	return s, nil
}

func joinOr(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	out := ""
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			out += " or "
		default:
			out += ", "
		}
		out += n
	}
	return out
}
