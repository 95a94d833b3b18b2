// Package kafka is the "kafka" sink (Flume's KafkaSink) on franz-go: every Write produces its
// batch and returns nil only once the broker acknowledged every record (with acks = 0, once
// every record was written to its connection), so the runner commits its take only then. Any
// failure fails the whole Write: the runner rolls the batch back and retries it with back-off,
// so records acknowledged before the failure are written again (at-least-once, duplicates only
// from a failed batch).
//
// The broker being down or unreachable is not a failure by itself: the client keeps retrying a
// batch until it is delivered or delivery.timeout.ms (the producer map; Kafka's default 120s)
// passes, so a broker restart costs a pause, not a rollback. A topic that does not exist and
// is not auto-created fails the batch after a few metadata refreshes. The agent does not wait
// for Kafka at start-up.
//
// Oversize events never block the channel: an event whose record does not fit max_message_bytes
// (key, value, headers and framing), or that the broker refuses as too large when sent alone,
// is dropped or truncated as the oversize policy says, and counted.
//
// Counters beyond the standard sink set: KafkaEventSendTimer (cumulative milliseconds spent
// producing, Flume's), RollbackCount (failed Writes, Flume's), EventDroppedCount and
// EventTruncatedCount (the oversize policy) and InvalidPartitionIDCount (a partition header
// that is not a number: the event is partitioned as if it had none).
package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/flumeevent"
	"github.com/flumego/flumego/internal/kafkaclient"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/sink"
)

// NewFactory returns the factory of the kafka sink.
func NewFactory() sink.Factory { return sink.NewFactory("kafka", Defaults, New, flumeKafka) }

// recordOverhead bounds the bytes a record costs beyond its key, value and headers: a record
// batch's header (61) and the record's own varints and attributes.
const (
	recordOverhead = 61 + 40
	headerOverhead = 10
)

// Sink is a running kafka sink. Write is never called concurrently with itself or Close, so the
// buffers it reuses between batches need no lock.
type Sink struct {
	cfg   Config
	name  string
	log   *slog.Logger
	m     *metrics.Sink
	cl    *kgo.Client
	conns *kafkaclient.Conns
	topic template
	max   int // max_message_bytes

	sendTimer, rollbacks, dropped, truncated, badPartition *metrics.Counter

	// reused by every Write
	recs  []kgo.Record
	ptrs  []*kgo.Record
	vals  []byte
	hdrs  []kgo.RecordHeader
	index map[*kgo.Record]int
}

// New creates the sink and its client. It does not contact the brokers: a Kafka cluster that is
// down when the agent starts delays delivery, not start-up.
func New(cfg *Config, set sink.Settings) (sink.Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafka %s: %w", set.Name, err)
	}
	s := &Sink{cfg: *cfg, name: set.Name, log: set.Logger, m: set.Metrics, topic: parseTemplate(cfg.Topic),
		max: int(cfg.MaxMessageBytes), index: map[*kgo.Record]int{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.m == nil {
		s.m = metrics.NewRegistry("").Sink(set.Name, "kafka")
	}
	c := s.m.Component
	s.sendTimer = c.Counter("KafkaEventSendTimer")
	s.rollbacks = c.Counter("RollbackCount")
	s.dropped = c.Counter("EventDroppedCount")
	s.truncated = c.Counter("EventTruncatedCount")
	s.badPartition = c.Counter("InvalidPartitionIDCount")

	opts, err := kafkaclient.Options(cfg.Brokers, cfg.TLS, cfg.SASL, s.log)
	if err != nil {
		return nil, fmt.Errorf("kafka %s: %w", set.Name, err)
	}
	s.conns = kafkaclient.NewConns(s.m)
	opts = append(opts, s.conns.Hook())
	codec, _ := kafkaclient.Codec(cfg.Compression)
	opts = append(opts,
		kgo.ProducerBatchCompression(codec),
		kgo.ProducerLinger(cfg.Linger),
		kgo.ProducerBatchMaxBytes(int32(cfg.MaxMessageBytes)),
		kgo.MaxBufferedRecords(max(set.BatchSize, 10000)),
		kgo.RecordDeliveryTimeout(120*time.Second), // Kafka's delivery.timeout.ms; the producer map may override it
	)
	switch cfg.acks() {
	case "0":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	default:
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	}
	if !cfg.idempotent() {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	if cfg.PartitionIDHeader != "" || cfg.DefaultPartitionID != nil {
		opts = append(opts, kgo.RecordPartitioner(manualOr{kgo.StickyKeyPartitioner(nil)}))
	}
	autoCreate := true // Kafka's producers ask the broker to create a missing topic
	for k, v := range cfg.Producer {
		if k == "allow.auto.create.topics" {
			autoCreate, _ = strconv.ParseBool(v)
			continue
		}
		o, _ := producerKeys[k](v) // validated
		opts = append(opts, o...)
	}
	if autoCreate {
		opts = append(opts, kgo.AllowAutoTopicCreation())
	}
	s.cl, err = kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka %s: client: %w", set.Name, err)
	}
	return s, nil
}

// Write produces events and waits until every record is acknowledged. The records point into
// the events' bodies; ProduceSync returns only when the client is done with all of them, so
// nothing is kept after Write returns.
func (s *Sink) Write(ctx context.Context, events []channel.Event) error {
	start := time.Now()
	defer func() { s.sendTimer.Add(time.Since(start).Milliseconds()) }()
	recs := s.build(events)
	if len(recs) == 0 {
		return nil
	}
	ctx, stop := s.conns.Watch(ctx)
	defer stop()
	results := s.cl.ProduceSync(ctx, recs...)
	var tooLarge []*kgo.Record
	var failed int
	var first error
	for _, r := range results {
		switch {
		case r.Err == nil:
		case errors.Is(r.Err, kerr.MessageTooLarge):
			tooLarge = append(tooLarge, r.Record)
		default:
			failed++
			if first == nil {
				err := r.Err
				if cause := context.Cause(ctx); errors.Is(err, context.Canceled) && cause != nil {
					err = cause // a permanent connection error ended the wait
				}
				first = fmt.Errorf("topic %q: %w", r.Record.Topic, err)
			}
		}
	}
	if failed > 0 {
		s.rollbacks.Inc()
		return s.conns.Explain(fmt.Errorf("produce: %d of %d records failed: %w", failed, len(recs), first))
	}
	if len(tooLarge) > 0 {
		// The broker refused a batch as too large (its limit is below max_message_bytes): send
		// those records one by one, so only the ones too large by themselves meet the policy.
		if err := s.oneByOne(ctx, events, tooLarge); err != nil {
			s.rollbacks.Inc()
			return err
		}
	}
	return nil
}

// build turns events into records in the reused buffers, applying the oversize policy.
func (s *Sink) build(events []channel.Event) []*kgo.Record {
	s.recs = grow(s.recs, len(events))
	s.ptrs = s.ptrs[:0]
	s.hdrs = s.hdrs[:0]
	nh, vsize := 0, 0
	for i := range events {
		nh += len(events[i].Headers)
		if s.cfg.UseFlumeEventFormat {
			vsize += flumeevent.Size(events[i].Headers, events[i].Body)
		}
	}
	if (s.cfg.HeadersAsRecordHeaders || len(s.cfg.RecordHeaders) > 0) && cap(s.hdrs) < nh {
		s.hdrs = make([]kgo.RecordHeader, 0, nh)
	}
	if cap(s.vals) < vsize {
		s.vals = make([]byte, 0, vsize) // sized up front: records slice into it
	}
	s.vals = s.vals[:0]
	dropped := 0
	for i := range events {
		e := &events[i]
		r := &s.recs[i]
		*r = kgo.Record{Topic: s.topicOf(e), Partition: s.partitionOf(e)}
		if k, ok := e.Headers[s.cfg.KeyHeader]; ok && s.cfg.KeyHeader != "" {
			r.Key = []byte(k)
		}
		if s.cfg.HeadersAsRecordHeaders && len(e.Headers) > 0 {
			from := len(s.hdrs)
			for k, v := range e.Headers {
				s.hdrs = append(s.hdrs, kgo.RecordHeader{Key: k, Value: []byte(v)})
			}
			r.Headers = s.hdrs[from:len(s.hdrs):len(s.hdrs)]
		} else if len(s.cfg.RecordHeaders) > 0 {
			from := len(s.hdrs)
			for k, name := range s.cfg.RecordHeaders {
				if v, ok := e.Headers[k]; ok {
					s.hdrs = append(s.hdrs, kgo.RecordHeader{Key: name, Value: []byte(v)})
				}
			}
			r.Headers = s.hdrs[from:len(s.hdrs):len(s.hdrs)]
		}
		body := e.Body
		if over := s.size(r, e, len(body)) - s.max; over > 0 {
			if s.cfg.Oversize == OversizeDrop || over > len(body) {
				dropped++
				continue
			}
			body = body[:len(body)-over]
			s.truncated.Inc()
		}
		r.Value = s.value(e, body)
		s.ptrs = append(s.ptrs, r)
	}
	if dropped > 0 {
		s.dropped.Add(int64(dropped))
		s.log.Warn("dropped events larger than max_message_bytes", "events", dropped, "max_message_bytes", s.max)
	}
	return s.ptrs
}

// value is the record value of an event with body body.
func (s *Sink) value(e *channel.Event, body []byte) []byte {
	if !s.cfg.UseFlumeEventFormat {
		return body
	}
	from := len(s.vals)
	s.vals = flumeevent.Append(s.vals, e.Headers, body)
	return s.vals[from:len(s.vals):len(s.vals)]
}

// size bounds the bytes r takes in a record batch when its body is bodyLen bytes.
func (s *Sink) size(r *kgo.Record, e *channel.Event, bodyLen int) int {
	n := recordOverhead + len(r.Key)
	if s.cfg.UseFlumeEventFormat {
		n += flumeevent.Size(e.Headers, nil) + 10 + bodyLen
	} else {
		n += bodyLen
	}
	for _, h := range r.Headers {
		n += headerOverhead + len(h.Key) + len(h.Value)
	}
	return n
}

// oneByOne produces records the broker refused as part of a too-large batch, each alone. A
// record refused alone meets the oversize policy: dropped, or its body halved until the broker
// takes it.
func (s *Sink) oneByOne(ctx context.Context, events []channel.Event, recs []*kgo.Record) error {
	clear(s.index)
	for i := range s.recs[:len(events)] {
		s.index[&s.recs[i]] = i
	}
	dropped := 0
	for _, r := range recs {
		e := &events[s.index[r]]
		body := e.Body
		for {
			err := s.cl.ProduceSync(ctx, r).FirstErr()
			if err == nil {
				break
			}
			if !errors.Is(err, kerr.MessageTooLarge) {
				return fmt.Errorf("produce to topic %q: %w", r.Topic, err)
			}
			if s.cfg.Oversize == OversizeDrop || len(body) == 0 {
				dropped++
				break
			}
			if len(body) == len(e.Body) {
				s.truncated.Inc()
			}
			body = body[:len(body)/2]
			r.Value = s.value(e, body) // may reallocate vals: only this record uses the new bytes
		}
	}
	if dropped > 0 {
		s.dropped.Add(int64(dropped))
		s.log.Warn("dropped events the broker refused as too large", "events", dropped)
	}
	return nil
}

// topicOf is the event's topic: its topic header when overriding is allowed, else the
// topic template.
func (s *Sink) topicOf(e *channel.Event) string {
	if s.cfg.AllowTopicOverride {
		if t, ok := e.Headers[s.cfg.TopicHeader]; ok && t != "" {
			return t
		}
	}
	return s.topic.expand(e.Headers)
}

// partitionOf is the partition the event asks for, or -1 to let the partitioner choose.
func (s *Sink) partitionOf(e *channel.Event) int32 {
	if s.cfg.PartitionIDHeader != "" {
		if v, ok := e.Headers[s.cfg.PartitionIDHeader]; ok {
			p, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err == nil && p >= 0 {
				return int32(p)
			}
			s.badPartition.Inc()
		}
	}
	if s.cfg.DefaultPartitionID != nil {
		return int32(*s.cfg.DefaultPartitionID)
	}
	return -1
}

// Close releases the client. Write has returned, so nothing is buffered.
func (s *Sink) Close(ctx context.Context) error {
	if s.cl != nil {
		s.cl.Close()
		s.cl = nil
	}
	return nil
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// manualOr partitions records whose Partition is set (0 or more) there, and the rest with the
// wrapped partitioner.
type manualOr struct{ kgo.Partitioner }

func (p manualOr) ForTopic(topic string) kgo.TopicPartitioner {
	return manualOrTopic{p.Partitioner.ForTopic(topic)}
}

type manualOrTopic struct{ kgo.TopicPartitioner }

func (p manualOrTopic) RequiresConsistency(r *kgo.Record) bool {
	return r.Partition >= 0 || p.TopicPartitioner.RequiresConsistency(r)
}

func (p manualOrTopic) Partition(r *kgo.Record, n int) int {
	if r.Partition >= 0 {
		return int(r.Partition) // beyond n, the client fails the record
	}
	return p.TopicPartitioner.Partition(r, n)
}

// OnNewBatch forwards to a sticky partitioner, which picks its next partition there.
func (p manualOrTopic) OnNewBatch() {
	if nb, ok := p.TopicPartitioner.(kgo.TopicPartitionerOnNewBatch); ok {
		nb.OnNewBatch()
	}
}

// template is a topic with %{header} references.
type template struct {
	parts []string // literal, header, literal, header, ..., literal
}

func parseTemplate(s string) template {
	var t template
	for {
		i := strings.Index(s, "%{")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		t.parts = append(t.parts, s[:i], s[i+2:i+j])
		s = s[i+j+1:]
	}
	t.parts = append(t.parts, s)
	return t
}

func (t template) expand(h map[string]string) string {
	if len(t.parts) == 1 {
		return t.parts[0]
	}
	var b strings.Builder
	for i, p := range t.parts {
		if i%2 == 0 {
			b.WriteString(p)
		} else {
			b.WriteString(h[p])
		}
	}
	return b.String()
}
