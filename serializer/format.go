package serializer

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/escape"
)

// FormatConfig is the format serializer's block (Filebeat's codec.format): text built from a
// template with the escapes of the hdfs sink's path. %{name} is the header name ("" when the
// event lacks it), %{body} the body, %[localhost], %[IP] and %[FQDN] the host's names, and %Y,
// %m, %d, %H, %M, %S, %t ... fields of the event's time (its "timestamp" header in epoch
// milliseconds, else the time it is written). In HCL, %{ is written %%{.
type FormatConfig struct {
	// Format is the template, such as "%%{timestamp} %%{host}: %%{body}".
	Format string `hcl:"format"`
	// AppendNewline ends each record with '\n' in files; a record (a Kafka value) never gets one.
	AppendNewline bool `hcl:"append_newline,optional"`
	// TimeZone is the zone of the time escapes, an IANA name ("UTC"); empty is the host's.
	TimeZone string `hcl:"time_zone,optional"`
}

func formatDefaults() *FormatConfig { return &FormatConfig{AppendNewline: true} }

// Validate reports every problem of the block.
func (c *FormatConfig) Validate() error {
	var errs []error
	if c.Format == "" {
		errs = append(errs, schema.Errorf("format", "must not be empty"))
	} else if _, err := escape.ParseFormat(c.Format); err != nil {
		errs = append(errs, schema.Errorf("format", "%v", err))
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			errs = append(errs, schema.Errorf("time_zone", "unknown time zone %q: want an IANA name such as \"UTC\" or \"Asia/Shanghai\"", c.TimeZone))
		}
	}
	return errors.Join(errs...)
}

// NewFormatFactory returns the factory of the "format" serializer.
func NewFormatFactory() Factory { return NewFactory(Format, formatDefaults, newFormat) }

type format struct {
	t       *escape.Template
	nl      bool
	stamper *escape.Stamper
	host    escape.Host
	buf     []byte
}

func newFormat(cfg *FormatConfig, _ Settings) (Serializer, error) {
	t, err := escape.ParseFormat(cfg.Format)
	if err != nil {
		return nil, err
	}
	f := &format{t: t, nl: cfg.AppendNewline}
	if t.UsesTime() {
		loc := time.Local
		if cfg.TimeZone != "" {
			if loc, err = time.LoadLocation(cfg.TimeZone); err != nil {
				return nil, err
			}
		}
		f.stamper = escape.NewStamper(loc, escape.Second, 0)
	}
	if t.UsesHost() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		f.host = escape.LocalHost(ctx)
		cancel()
	}
	return f, nil
}

func (f *format) AppendRecord(dst []byte, ev *channel.Event) ([]byte, error) {
	var st *escape.Stamp
	if f.stamper != nil {
		st = f.stamper.Stamp(eventMillis(ev))
	}
	return f.t.AppendEvent(dst, ev.Headers, ev.Body, st, &f.host), nil
}

func (f *format) NewStream(w io.Writer) (Stream, error) {
	return &lineStream{w: w, record: f.AppendRecord, nl: f.nl, buf: &f.buf}, nil
}

func (f *format) ValidPrefix(r io.Reader) (int64, bool, error) { return linesValidPrefix(r, f.nl) }

// eventMillis is the event's time: its "timestamp" header (epoch milliseconds), else now.
func eventMillis(ev *channel.Event) int64 {
	if ms, ok := TimestampMillis(ev.Headers); ok {
		return ms
	}
	return time.Now().UnixMilli()
}

// TimestampHeader is the header holding an event's time in epoch milliseconds (Flume's, set by
// the timestamp interceptor and by taildir's ecs_headers).
const TimestampHeader = "timestamp"

// TimestampMillis returns the event time its headers hold (TimestampHeader), if they hold one
// that is a number.
func TimestampMillis(h map[string]string) (int64, bool) {
	v, ok := h[TimestampHeader]
	if !ok {
		return 0, false
	}
	return parseMillis(v)
}

func parseMillis(v string) (int64, bool) {
	ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return ms, err == nil
}
