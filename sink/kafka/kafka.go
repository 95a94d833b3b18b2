// Package kafka is the "kafka" sink (Flume's KafkaSink) on franz-go: every Write produces its
// batch and returns nil only once the broker acknowledged every record (with acks = 0, once
// every record was written to its connection), so the runner commits its take only then. A
// retryable failure fails the whole Write: the runner rolls the batch back and retries it with
// back-off, so records acknowledged before the failure are written again (at-least-once,
// duplicates only from a failed batch).
//
// What retrying can never deliver is refused for good instead (sink.Permanent, per event), so
// the runner sets those events aside (dead-letter channel or drop, per on_permanent_error) and
// commits the rest: an event whose topic template resolves to empty while no fallback_topic is
// set, or to a name Kafka cannot hold; an event the serializer cannot encode; a record over
// max_message_bytes, or refused as too large by the broker when sent alone, under oversize =
// "drop"; a partition header naming a partition the topic does not have; and a record the
// broker refuses as invalid (INVALID_TOPIC_EXCEPTION, INVALID_RECORD, RECORD_LIST_TOO_LARGE).
// Other errors the broker calls non-retriable are about the cluster, authorisation or
// configuration, which an operator can fix without the events being lost: they stay
// retryable, and the sink's health shows them.
//
// The broker being down or unreachable is not a failure by itself: the client keeps retrying a
// batch until it is delivered or delivery.timeout.ms (the producer map; Kafka's default 120s)
// passes, so a broker restart costs a pause, not a rollback. A topic that does not exist and
// is not auto-created fails the batch after a few metadata refreshes. The agent does not wait
// for Kafka at start-up.
//
// Each record's value is its event as the serializer writes it (the body as is by default), and
// its timestamp the event's "timestamp" header (epoch milliseconds) when it has one, else the
// time it is produced.
//
// Oversize events never block the channel: an event whose record does not fit max_message_bytes
// (key, value, headers and framing), or that the broker refuses as too large when sent alone,
// is refused for good or truncated as the oversize policy says. Truncating cuts the body (at a
// character boundary) and serializes the event again until its record fits, and is counted.
//
// State the client keeps about a topic is refreshed when it goes stale: a topic deleted and
// recreated under the same name has a new topic ID, which the client never adopts by itself
// (every produce fails with UNKNOWN_TOPIC_ID); the sink then purges the topic from the client
// and fails the batch retryably, so the retry, after the runner's back-off, looks the topic up
// afresh and delivers into the new one. No restart is needed.
//
// A topic template ("logs-%{service}") that resolves to empty for an event sends it to
// fallback_topic when one is set, said once in the log and counted in TopicFallbackCount.
//
// Counters beyond the standard sink set: KafkaEventSendTimer (cumulative milliseconds spent
// producing, Flume's), RollbackCount (failed Writes, Flume's), EventTruncatedCount (the
// oversize policy), TopicFallbackCount, TopicRefreshCount (topics purged after a recreation)
// and InvalidPartitionIDCount (a partition header that is not a number: the event is
// partitioned as if it had none). Events refused for good are counted by the runner, in
// EventDroppedCount or EventDeadLetterCount.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/kafkaclient"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/serializer"
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
	cfg      Config
	name     string
	log      *slog.Logger
	m        *metrics.Sink
	cl       *kgo.Client
	conns    *kafkaclient.Conns
	ser      serializer.Serializer
	verbatim bool // ser makes a record of the body as it is
	topic    template
	max      int // max_message_bytes

	sendTimer, rollbacks, truncated, badPartition, fellBack, refreshed *metrics.Counter
	saidFallback                                                       bool   // the first fallback to fallback_topic was logged
	lastTopic                                                          string // the last topic name found valid

	// reused by every Write
	recs    []kgo.Record
	ptrs    []*kgo.Record
	vals    []byte
	hdrs    []kgo.RecordHeader
	index   map[*kgo.Record]int
	refused sink.Refusals
}

// New creates the sink and its client. It does not contact the brokers: a Kafka cluster that is
// down when the agent starts delays delivery, not start-up.
func New(cfg *Config, set sink.Settings) (sink.Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
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
	s.truncated = c.Counter("EventTruncatedCount")
	s.badPartition = c.Counter("InvalidPartitionIDCount")
	s.fellBack = c.Counter("TopicFallbackCount")
	s.refreshed = c.Counter("TopicRefreshCount")
	var err error
	if s.ser, err = serializer.New(cfg.serializer(), serializer.Settings{Metrics: c, DataDir: set.DataDir, Logger: s.log}); err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	s.verbatim = serializer.Verbatim(s.ser)

	opts, err := kafkaclient.Options(cfg.Brokers, cfg.TLS, cfg.SASL, s.log)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	s.conns = kafkaclient.NewConns(s.m)
	opts = append(opts, s.conns.Hook())
	codec, _ := kafkaclient.Codec(cfg.Compression)
	opts = append(opts,
		kgo.ProducerBatchCompression(codec),
		kgo.ProducerLinger(cfg.Linger),
		kgo.ProducerBatchMaxBytes(int32(cfg.MaxMessageBytes)),
		kgo.MaxBufferedRecords(max(set.BatchSize, 10000)),
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
		return nil, fmt.Errorf("kafka: client: %w", err)
	}
	return s, nil
}

// Write produces events and waits until every record is acknowledged. The records point into
// the events' bodies; ProduceSync returns only when the client is done with all of them, so
// nothing is kept after Write returns. It returns a retryable error when any record failed
// retryably; otherwise the events refused for good, if any, as a sink.PermanentError.
func (s *Sink) Write(ctx context.Context, events []channel.Event) error {
	start := time.Now()
	defer func() { s.sendTimer.Add(time.Since(start).Milliseconds()) }()
	s.refused.Reset()
	recs := s.build(events)
	if len(recs) == 0 {
		return s.refused.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.deliveryTimeout())
	defer cancel()
	ctx, stop := s.conns.Watch(ctx)
	defer stop()
	results := s.cl.ProduceSync(ctx, recs...)
	s.indexRecords(events)
	var tooLarge []*kgo.Record
	var failed int
	var first error
	var stale []string // topics recreated under our feet
	for _, r := range results {
		switch {
		case r.Err == nil:
		case errors.Is(r.Err, kerr.MessageTooLarge):
			tooLarge = append(tooLarge, r.Record)
		case refusedForGood(r.Err):
			s.refused.Add(fmt.Errorf("topic %q: %w", r.Record.Topic, r.Err), s.index[r.Record])
		default:
			if errors.Is(r.Err, kerr.UnknownTopicID) && !slices.Contains(stale, r.Record.Topic) {
				stale = append(stale, r.Record.Topic)
			}
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
	if len(stale) > 0 {
		// The client never adopts a recreated topic's new ID: forget the topic, so the retry
		// looks it up afresh. Nothing of it is in flight once ProduceSync has returned.
		s.cl.PurgeTopicsFromClient(stale...)
		s.refreshed.Add(int64(len(stale)))
		s.log.Warn("topic deleted and recreated (UNKNOWN_TOPIC_ID): refreshed the client's view of it; the batch is retried into the new topic", "topics", stale)
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
	return s.refused.Err()
}

// refusedForGood reports whether a record's produce error is about the record itself, so
// sending it again can never succeed: the broker refused it as invalid, or the client found
// that its partition does not exist.
func refusedForGood(err error) bool {
	return errors.Is(err, kerr.InvalidTopicException) || errors.Is(err, kerr.InvalidRecord) ||
		errors.Is(err, kerr.RecordListTooLarge) ||
		// franz-go's error for a record whose set partition the topic does not have.
		strings.HasPrefix(err.Error(), "invalid record partitioning choice")
}

// indexRecords maps each record of the last build to its event's index in the batch.
func (s *Sink) indexRecords(events []channel.Event) {
	clear(s.index)
	for i := range s.recs[:len(events)] {
		s.index[&s.recs[i]] = i
	}
}

// stringBytes is s's bytes, without a copy: the client only ever reads a record's key, value
// and headers, so a header's value can be a record's key or header value as it is.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// errOversize refuses an event whose record does not fit max_message_bytes.
func (s *Sink) errOversize() error {
	return fmt.Errorf("record larger than max_message_bytes %d (oversize = %q)", s.max, s.cfg.Oversize)
}

// build turns events into records in the reused buffers, applying the oversize policy and
// recording in s.refused the events that have no topic, cannot be serialized or do not fit.
// Values are serialized one after the other into one buffer: when it grows, the values already
// made keep pointing into the old one, which stays as it was.
func (s *Sink) build(events []channel.Event) []*kgo.Record {
	s.recs = grow(s.recs, len(events))
	s.ptrs = s.ptrs[:0]
	s.hdrs = s.hdrs[:0]
	nh := 0
	for i := range events {
		nh += len(events[i].Headers)
	}
	if (s.cfg.HeadersAsRecordHeaders || len(s.cfg.RecordHeaders) > 0) && cap(s.hdrs) < nh {
		s.hdrs = make([]kgo.RecordHeader, 0, nh)
	}
	s.vals = s.vals[:0]
	now := time.Now() // an event without a timestamp header is stamped when its batch is built
	for i := range events {
		e := &events[i]
		r := &s.recs[i]
		topic, err := s.topicOf(e)
		if err != nil {
			s.refused.Add(err, i)
			continue
		}
		*r = kgo.Record{Topic: topic, Partition: s.partitionOf(e), Timestamp: now}
		if k, ok := e.Headers[s.cfg.KeyHeader]; ok && s.cfg.KeyHeader != "" {
			r.Key = stringBytes(k)
		}
		if s.cfg.HeadersAsRecordHeaders && len(e.Headers) > 0 {
			from := len(s.hdrs)
			for k, v := range e.Headers {
				s.hdrs = append(s.hdrs, kgo.RecordHeader{Key: k, Value: stringBytes(v)})
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
		if ms, ok := serializer.TimestampMillis(e.Headers); ok {
			r.Timestamp = time.UnixMilli(ms)
		}
		fits, err := s.fit(r, e)
		switch {
		case err != nil:
			s.refused.Add(err, i)
		case !fits:
			s.refused.Add(s.errOversize(), i)
		default:
			s.ptrs = append(s.ptrs, r)
		}
	}
	return s.ptrs
}

// fit sets r's value from e, applying the oversize policy: false when the event does not fit.
func (s *Sink) fit(r *kgo.Record, e *channel.Event) (bool, error) {
	body := e.Body
	var err error
	if r.Value, err = s.value(e, body); err != nil {
		return false, err
	}
	for tries, over := 0, s.size(r)-s.max; over > 0; tries, over = tries+1, s.size(r)-s.max {
		if s.cfg.Oversize == OversizeDrop || len(body) == 0 {
			return false, nil
		}
		// Cut the body by its share of the excess (escaping can make a value longer than its
		// body), by half after a few tries that did not get there.
		cut := over * len(body) / max(1, len(r.Value))
		if tries >= 4 {
			cut = max(cut, len(body)/2)
		}
		body = cutBody(body, len(body)-max(1, cut))
		if r.Value, err = s.value(e, body); err != nil {
			return false, err
		}
	}
	if len(body) < len(e.Body) {
		s.truncated.Inc()
	}
	return true, nil
}

// cutBody shortens body to at most n bytes (at least one fewer), at the start of a UTF-8
// character so that the cut leaves no broken one behind.
func cutBody(body []byte, n int) []byte {
	n = max(0, min(n, len(body)-1))
	for k := 0; k < utf8.UTFMax-1 && n > 0 && !utf8.RuneStart(body[n]); k++ {
		n--
	}
	return body[:n]
}

// value is the record value of event e with body body, serialized into s.vals.
func (s *Sink) value(e *channel.Event, body []byte) ([]byte, error) {
	if s.verbatim {
		return body, nil // the body is the record: send it without a copy
	}
	ev := channel.Event{Headers: e.Headers, Body: body}
	from := len(s.vals)
	v, err := s.ser.AppendRecord(s.vals, &ev)
	if err != nil {
		return nil, err
	}
	s.vals = v
	return v[from:len(v):len(v)], nil
}

// size bounds the bytes r takes in a record batch.
func (s *Sink) size(r *kgo.Record) int {
	n := recordOverhead + len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += headerOverhead + len(h.Key) + len(h.Value)
	}
	return n
}

// oneByOne produces records the broker refused as part of a too-large batch, each alone. A
// record refused alone meets the oversize policy: refused for good, or its body halved until
// the broker takes it.
func (s *Sink) oneByOne(ctx context.Context, events []channel.Event, recs []*kgo.Record) error {
	for _, r := range recs {
		i := s.index[r]
		e := &events[i]
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
				s.refused.Add(fmt.Errorf("topic %q: the broker refuses the record as too large: %w", r.Topic, kerr.MessageTooLarge), i)
				break
			}
			if len(body) == len(e.Body) {
				s.truncated.Inc()
			}
			body = cutBody(body, len(body)/2)
			var verr error
			if r.Value, verr = s.value(e, body); verr != nil {
				return verr // it was encoded before: the serializer does not fail on a shorter body
			}
		}
	}
	return nil
}

// topicOf is the event's topic: its topic header when overriding is allowed, else the topic
// template, else (when the template resolves to empty) fallback_topic. An event left without a
// topic, or with one Kafka cannot hold, is refused for good.
func (s *Sink) topicOf(e *channel.Event) (string, error) {
	if s.cfg.AllowTopicOverride {
		if t, ok := e.Headers[s.cfg.TopicHeader]; ok && t != "" {
			return t, s.checkTopic(t, true)
		}
	}
	t := s.topic.expand(e.Headers)
	if t != "" {
		return t, s.checkTopic(t, false)
	}
	if s.cfg.FallbackTopic == "" {
		return "", fmt.Errorf("no topic: topic template %q resolved to empty for the event (headers %s missing) and fallback_topic is not set",
			s.cfg.Topic, strings.Join(s.topic.refs(), ", "))
	}
	s.fellBack.Inc()
	if !s.saidFallback {
		s.saidFallback = true
		s.log.Warn("topic template resolved to empty; sending to fallback_topic (said once; counted in TopicFallbackCount)",
			"topic", s.cfg.Topic, "fallback_topic", s.cfg.FallbackTopic)
	}
	return s.cfg.FallbackTopic, nil
}

// checkTopic is validTopic, remembering the last valid name: most events of a batch share it,
// and for them it costs one comparison. fromHeader says where t came from, for the error.
func (s *Sink) checkTopic(t string, fromHeader bool) error {
	if t == s.lastTopic {
		return nil
	}
	from := "topic template " + strconv.Quote(s.cfg.Topic)
	if fromHeader {
		from = "its " + s.cfg.TopicHeader + " header"
	}
	if err := validTopic(t, from); err != nil {
		return err
	}
	s.lastTopic = t
	return nil
}

// validTopic checks a topic name as Kafka does: 1 to 249 of [a-zA-Z0-9._-], not "." or "..".
func validTopic(t, from string) error {
	ok := len(t) <= 249 && t != "." && t != ".."
	for i := 0; ok && i < len(t); i++ {
		c := t[i]
		ok = c == '.' || c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	if !ok {
		return fmt.Errorf("invalid topic name %q from %s: Kafka takes 1 to 249 of a-z, A-Z, 0-9, '.', '_' and '-'", t, from)
	}
	return nil
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

// refs lists the headers the template names.
func (t template) refs() []string {
	var out []string
	for i := 1; i < len(t.parts); i += 2 {
		out = append(out, t.parts[i])
	}
	return out
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
