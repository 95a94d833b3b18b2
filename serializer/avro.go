package serializer

import (
	"errors"
	"io"
	"slices"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/avrofile"
	"github.com/flumego/flumego/internal/flumeevent"
)

// AvroEventConfig is the avro_event serializer's block (Flume's AvroEventSerializer): whole
// events, headers and body. Files are Avro object container files; records (Kafka values) are
// bare AvroFlumeEvent datums, as Flume's Kafka sink writes with useFlumeEventFormat.
type AvroEventConfig struct {
	// CompressionCodec compresses a file's blocks: null, deflate or snappy (Flume's
	// serializer.compressionCodec).
	CompressionCodec string `hcl:"compression_codec,optional"`
	// SyncIntervalBytes is the uncompressed size at which a file's block ends (Flume's
	// serializer.syncIntervalBytes); a block also ends with every batch.
	SyncIntervalBytes schema.Size `hcl:"sync_interval_bytes,optional"`
}

func avroDefaults() *AvroEventConfig {
	return &AvroEventConfig{CompressionCodec: "null", SyncIntervalBytes: 2048000}
}

// Validate reports every problem of the block.
func (c *AvroEventConfig) Validate() error {
	var errs []error
	if !slices.Contains(avrofile.Codecs, c.CompressionCodec) {
		errs = append(errs, schema.Errorf("compression_codec", "unknown Avro codec %q: want null, deflate or snappy", c.CompressionCodec))
	}
	if c.SyncIntervalBytes < 1 {
		errs = append(errs, schema.Errorf("sync_interval_bytes", "must be at least 1"))
	}
	return errors.Join(errs...)
}

// NewAvroEventFactory returns the factory of the "avro_event" serializer.
func NewAvroEventFactory() Factory { return NewFactory(AvroEvent, avroDefaults, newAvroEvent) }

type avroEvent struct{ cfg AvroEventConfig }

func newAvroEvent(cfg *AvroEventConfig, _ Settings) (Serializer, error) {
	return &avroEvent{cfg: *cfg}, nil
}

func (a *avroEvent) AppendRecord(dst []byte, ev *channel.Event) ([]byte, error) {
	return flumeevent.Append(dst, ev.Headers, ev.Body), nil
}

func (a *avroEvent) NewStream(w io.Writer) (Stream, error) {
	aw, err := avrofile.NewWriter(w, a.cfg.CompressionCodec, int(a.cfg.SyncIntervalBytes))
	if err != nil {
		return nil, err
	}
	return avroStream{aw}, nil
}

type avroStream struct{ w *avrofile.Writer }

func (s avroStream) Append(ev *channel.Event) error { return s.w.Append(ev.Headers, ev.Body) }
func (s avroStream) Flush() error                   { return s.w.Flush() }

func (a *avroEvent) ValidPrefix(r io.Reader) (int64, bool, error) {
	n, events, err := avrofile.ValidPrefix(r)
	return n, events > 0, err
}
