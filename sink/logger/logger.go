// Package logger is the "logger" sink (Flume's LoggerSink): it logs every event at Info
// through the sink's logger, for debugging a flow, in Flume's format:
//
//	Event: { headers:{k1=v1, k2=v2} body: 68 65 6C 6C 6F                                  hello }
//
// The body part is a hex dump of the first max_bytes_to_log bytes, 16 to a line as Apache
// Commons' HexDump prints them (the first line's offset left out, as Flume does), followed by
// the same bytes as text with non-printable ones shown as '.'. Headers are sorted by key, where
// Flume prints them in hash order. With a serializer block (text, json or format), each event is
// logged as that serializer writes it instead, to see what a kafka or file sink with the same
// block would write. One log record per event is the point of this sink; use it only on test
// flows.
package logger

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/serializer"
	"github.com/flumego/flumego/sink"
)

// Config is the logger sink's config.
type Config struct {
	// MaxBytesToLog is how many body bytes are dumped (Flume's maxBytesToLog, 16).
	MaxBytesToLog int `hcl:"max_bytes_to_log,optional"`
	// Serializer, when given, logs each event as it writes it rather than in Flume's format.
	Serializer serializer.Config `hcl:"serializer,block,optional"`
}

func defaults() *Config { return &Config{MaxBytesToLog: 16} }

// Validate reports every problem of the config.
func (c *Config) Validate() error {
	var errs []error
	if c.MaxBytesToLog <= 0 {
		errs = append(errs, schema.Errorf("max_bytes_to_log", "must be positive, got %d", c.MaxBytesToLog))
	}
	if c.Serializer.Type == serializer.AvroEvent {
		errs = append(errs, schema.Errorf("serializer.avro_event", "writes binary Avro, which a log cannot show: use text, json or format"))
	}
	return errors.Join(errs...)
}

// NewFactory returns the factory of the "logger" sink.
func NewFactory() sink.Factory { return sink.NewFactory("logger", defaults, New, flumeLogger) }

// Sink logs events.
type Sink struct {
	log  *slog.Logger
	max  int
	ser  serializer.Serializer // nil: Flume's format
	buf  []byte                // reused for each event's line
	keys []string              // reused for sorting headers

	refused sink.Refusals // this Write's events the serializer cannot encode
}

// New returns a logger sink.
func New(cfg *Config, set sink.Settings) (sink.Sink, error) {
	log := set.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sink{log: log, max: cfg.MaxBytesToLog}
	if cfg.Serializer.Type != "" {
		m := set.Metrics
		if m == nil {
			m = metrics.NewRegistry("").Sink(set.Name, "logger")
		}
		ser, err := serializer.New(cfg.Serializer, serializer.Settings{Metrics: m.Component, DataDir: set.DataDir, Logger: log})
		if err != nil {
			return nil, err
		}
		s.ser = ser
	}
	return s, nil
}

// Write logs each event. It fails only for the events a serializer cannot encode, for good.
func (s *Sink) Write(ctx context.Context, events []channel.Event) error {
	if !s.log.Enabled(ctx, slog.LevelInfo) {
		return nil
	}
	s.refused.Reset()
	for i := range events {
		if s.ser == nil {
			s.buf = s.appendEvent(s.buf[:0], &events[i])
		} else if b, err := s.ser.AppendRecord(s.buf[:0], &events[i]); err != nil {
			s.refused.Add(err, i)
			continue
		} else {
			s.buf = b
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, string(s.buf))
	}
	return s.refused.Err()
}

// Close does nothing.
func (s *Sink) Close(context.Context) error { return nil }

// appendEvent appends Flume's rendering of e: "Event: { headers:{...} body:<dump> }".
func (s *Sink) appendEvent(b []byte, e *channel.Event) []byte {
	b = append(b, "Event: { headers:{"...)
	s.keys = s.keys[:0]
	for k := range e.Headers {
		s.keys = append(s.keys, k)
	}
	slices.Sort(s.keys)
	for i, k := range s.keys {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, e.Headers[k]...)
	}
	b = append(b, "} body:"...)
	b = AppendHexDump(b, e.Body[:min(len(e.Body), s.max)])
	return append(b, " }"...)
}

// AppendHexDump appends data as Flume's EventHelper renders a body: Commons IO HexDump lines
// ("<offset> XX XX ... <text>", 16 bytes each, missing bytes as blanks), without the first
// line's "00000000" offset and without the last line's newline. Empty data appends nothing.
func AppendHexDump(b, data []byte) []byte {
	const digits = "0123456789ABCDEF"
	for off := 0; off < len(data); off += 16 {
		line := data[off:min(off+16, len(data))]
		if off > 0 {
			b = append(b, '\n')
			for shift := 28; shift >= 0; shift -= 4 {
				b = append(b, digits[(off>>shift)&0xF])
			}
		}
		b = append(b, ' ')
		for k := range 16 {
			if k < len(line) {
				b = append(b, digits[line[k]>>4], digits[line[k]&0xF])
			} else {
				b = append(b, ' ', ' ')
			}
			b = append(b, ' ')
		}
		for _, c := range line {
			if c < ' ' || c >= 127 {
				c = '.'
			}
			b = append(b, c)
		}
	}
	return b
}
