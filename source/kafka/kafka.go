// Package kafka is the "kafka" source (Flume's KafkaSource) on franz-go: a consumer-group
// member that turns records into events and delivers them, a batch at a time, through the
// source's processor.
//
// Offsets are committed only after the batch's put committed (Processor.Deliver returned nil),
// synchronously, before the next batch is read; auto-commit is off. Rebalances are held while a
// batch is between its poll and its commit (franz-go's BlockRebalanceOnPoll), so a partition is
// never taken away with a delivered but uncommitted batch; if a commit failed (coordinator
// away), the delivered offsets are committed when the next batch commits or, at the latest, when
// the partitions are revoked, and a batch that was not delivered is never committed: the next
// owner reads it again. This is at-least-once: a crash between a put and its commit, or a
// commit that never succeeds, re-delivers that batch.
//
// A batch closes at batch_size records or batch_duration after its first record, whichever
// comes first. Each event carries the record's value as its body and, as Flume's source, the
// headers topic (set_topic_header, topic_header), partition, offset, timestamp (the record's, in
// epoch milliseconds) and key (when the record has one), plus the record's own headers. With
// use_flume_event_format the value is read as an Avro AvroFlumeEvent and its headers come first;
// the Kafka headers are added only where the event does not have them. A value that is not a
// valid AvroFlumeEvent is delivered as it is and counted in EventReadFail.
//
// Counters beyond the standard source set: KafkaEventGetTimer and KafkaCommitTimer (cumulative
// milliseconds, Flume's), KafkaEmptyCount (polls that found nothing) and CommitFailCount.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/flumeevent"
	"github.com/flumego/flumego/internal/kafkaclient"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

// Config is the kafka source's configuration (Flume's KafkaSource properties in snake_case).
type Config struct {
	Brokers []string `hcl:"brokers"`
	// Topics to read; or TopicsRegex, a regular expression (Go syntax) matched against every
	// topic of the cluster.
	Topics      []string `hcl:"topics,optional"`
	TopicsRegex string   `hcl:"topics_regex,optional"`
	GroupID     string   `hcl:"group_id,optional"`
	// Batch is the most records of one batch (batch_size); BatchDuration the longest a batch
	// waits for more after its first record (Flume's batchDurationMillis).
	Batch          int           `hcl:"batch_size,optional"`
	BatchDuration  time.Duration `hcl:"batch_duration,optional"`
	SetTopicHeader bool          `hcl:"set_topic_header,optional"`
	TopicHeader    string        `hcl:"topic_header,optional"`
	// UseFlumeEventFormat reads values as Avro-serialised AvroFlumeEvents.
	UseFlumeEventFormat bool `hcl:"use_flume_event_format,optional"`
	// StartOffset is where a group with no committed offset starts: earliest or latest.
	StartOffset string            `hcl:"start_offset,optional"`
	TLS         *kafkaclient.TLS  `hcl:"tls,block"`
	SASL        *kafkaclient.SASL `hcl:"sasl,block"`
}

// Defaults are Flume's: group flume, batches of 1000 records or 1s, the topic header set, a
// new group starting at the latest offset (Kafka's auto.offset.reset default).
func Defaults() *Config {
	return &Config{GroupID: "flume", Batch: 1000, BatchDuration: time.Second, SetTopicHeader: true,
		TopicHeader: "topic", StartOffset: "latest"}
}

// BatchLimit is the most events one put holds, checked against the channels' transaction
// capacity by the config stage; a larger put is split into transactions that fit.
func (c *Config) BatchLimit() source.BatchLimit {
	return source.BatchLimit{Events: c.Batch, Attr: "batch_size"}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	errs := kafkaclient.Validate(c.Brokers, c.TLS, c.SASL)
	switch {
	case len(c.Topics) == 0 && c.TopicsRegex == "":
		errs = append(errs, schema.Errorf("topics", "set topics or topics_regex"))
	case len(c.Topics) > 0 && c.TopicsRegex != "":
		errs = append(errs, schema.Errorf("topics_regex", "set topics or topics_regex, not both"))
	}
	for _, t := range c.Topics {
		if t == "" {
			errs = append(errs, schema.Errorf("topics", "a topic name must not be empty"))
		}
	}
	if c.TopicsRegex != "" {
		if _, err := regexp.Compile(c.TopicsRegex); err != nil {
			errs = append(errs, schema.Errorf("topics_regex", "%v", err))
		}
	}
	if c.GroupID == "" {
		errs = append(errs, schema.Errorf("group_id", "must not be empty"))
	}
	if c.Batch < 1 {
		errs = append(errs, schema.Errorf("batch_size", "must be at least 1, got %d", c.Batch))
	}
	if c.BatchDuration <= 0 {
		errs = append(errs, schema.Errorf("batch_duration", "must be positive"))
	}
	if c.SetTopicHeader && c.TopicHeader == "" {
		errs = append(errs, schema.Errorf("topic_header", "must not be empty while set_topic_header is true"))
	}
	if c.StartOffset != "earliest" && c.StartOffset != "latest" {
		errs = append(errs, schema.Errorf("start_offset", `must be "earliest" or "latest", got %q`, c.StartOffset))
	}
	return errors.Join(errs...)
}

// NewFactory returns the factory of the kafka source.
func NewFactory() source.Factory { return source.NewFactory("kafka", Defaults, New, flumeKafka) }

// Source is a running kafka source.
type Source struct {
	cfg   Config
	name  string
	log   *slog.Logger
	m     *metrics.Source
	proc  source.Processor
	cl    *kgo.Client
	conns *kafkaclient.Conns
	close sync.Once // closes cl: at the end of Run, or in Close when Run never ran

	getTimer, commitTimer, empty, commitFail *metrics.Counter

	// pending holds the offsets of delivered records not yet committed; the rebalance
	// callbacks (on the client's goroutine) read it too.
	mu      sync.Mutex
	pending map[string]map[int32]kgo.EpochOffset
	failing bool // the last commit failed: log the first failure and the recovery only
}

// New creates the source and its client; Run joins the group.
func New(cfg *Config, set source.Settings) (source.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	if set.Processor == nil {
		return nil, errors.New("kafka: no processor")
	}
	s := &Source{cfg: *cfg, name: set.Name, log: set.Logger, m: set.Metrics, proc: set.Processor,
		pending: map[string]map[int32]kgo.EpochOffset{}, conns: kafkaclient.NewConns(nil)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.m == nil {
		s.m = metrics.NewRegistry("").Source(set.Name, "kafka")
	}
	c := s.m.Component
	s.getTimer = c.Counter("KafkaEventGetTimer")
	s.commitTimer = c.Counter("KafkaCommitTimer")
	s.empty = c.Counter("KafkaEmptyCount")
	s.commitFail = c.Counter("CommitFailCount")

	opts, err := kafkaclient.Options(cfg.Brokers, cfg.TLS, cfg.SASL, s.log)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	start := kgo.NewOffset().AtEnd()
	if cfg.StartOffset == "earliest" {
		start = kgo.NewOffset().AtStart()
	}
	opts = append(opts, s.conns.Hook(),
		kgo.ConsumerGroup(cfg.GroupID),
		// Kafka 2.x clients' session timeout, as Flume runs with: a killed agent's partitions
		// move to the others 10s later, not 45s.
		kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(3*time.Second),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(start),
		kgo.FetchMaxWait(min(cfg.BatchDuration, 500*time.Millisecond)),
		kgo.OnPartitionsRevoked(s.revoked),
		kgo.OnPartitionsLost(s.lost),
	)
	if cfg.TopicsRegex != "" {
		opts = append(opts, kgo.ConsumeTopics(cfg.TopicsRegex), kgo.ConsumeRegex())
	} else {
		opts = append(opts, kgo.ConsumeTopics(cfg.Topics...))
	}
	if s.cl, err = kgo.NewClient(opts...); err != nil {
		return nil, fmt.Errorf("kafka: client: %w", err)
	}
	return s, nil
}

// closeClient leaves the group (revoked() commits what was delivered) and stops the client's
// goroutines, once.
func (s *Source) closeClient() {
	s.close.Do(func() {
		s.cl.AllowRebalance()
		s.cl.Close()
	})
}

// Close releases the client of a source whose Run was never called; after Run it does nothing.
func (s *Source) Close(context.Context) error {
	s.closeClient()
	return nil
}

// Run reads, delivers and commits until ctx ends. A batch being delivered then is abandoned
// uncommitted; what was delivered is committed as the client leaves the group.
func (s *Source) Run(ctx context.Context) error {
	defer s.closeClient()
	topics := s.cfg.TopicsRegex
	if topics == "" {
		topics = strings.Join(s.cfg.Topics, ",")
	}
	s.log.Info("consuming", "topics", topics, "group", s.cfg.GroupID)
	var fetchFailing bool
	for ctx.Err() == nil {
		recs, err := s.poll(ctx)
		if err != nil && ctx.Err() == nil {
			s.m.EventReadFail.Inc()
			s.m.Health().Failed(s.conns.Explain(err))
			if !fetchFailing {
				s.log.Warn("fetch failed; retrying", "err", s.conns.Explain(err))
				fetchFailing = true
			}
		} else if err == nil {
			fetchFailing = false
			// The client retries unreachable brokers on its own and says nothing: a poll that
			// came back empty while the last connection attempt failed is a failure too.
			if cerr := s.conns.LastError(); len(recs) == 0 && cerr != nil {
				s.m.Health().Failed(fmt.Errorf("cannot reach the brokers: %w", cerr))
			} else {
				s.m.Health().Succeeded()
			}
		}
		if len(recs) == 0 {
			s.cl.AllowRebalance()
			continue
		}
		if err := s.proc.Deliver(ctx, s.events(recs)); err != nil {
			return nil // ctx ended: the batch is not acknowledged, the next owner reads it again
		}
		s.delivered(recs)
		s.commit(ctx)
		s.cl.AllowRebalance()
	}
	return nil
}

// poll returns up to batch_size records: it waits for the first, then for more until
// batch_duration has passed since the first arrived.
func (s *Source) poll(ctx context.Context) ([]*kgo.Record, error) {
	start := time.Now()
	defer func() { s.getTimer.Add(time.Since(start).Milliseconds()) }()
	var recs []*kgo.Record
	var ferr error
	collect := func(fs kgo.Fetches) {
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && ferr == nil {
				ferr = fmt.Errorf("fetch %s/%d: %w", topic, p, err)
			}
		})
		recs = append(recs, fs.Records()...)
	}
	// Wait for the first records, but come back now and then to report fetch errors.
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	collect(s.cl.PollRecords(wait, s.cfg.Batch))
	cancel()
	if len(recs) == 0 {
		s.empty.Inc()
		return nil, ferr
	}
	deadline, cancel := context.WithTimeout(ctx, s.cfg.BatchDuration)
	defer cancel()
	for len(recs) < s.cfg.Batch && deadline.Err() == nil {
		collect(s.cl.PollRecords(deadline, s.cfg.Batch-len(recs)))
	}
	return recs, ferr
}

// events turns records into events. Bodies alias the records' values, which the client does not
// reuse.
func (s *Source) events(recs []*kgo.Record) []channel.Event {
	out := make([]channel.Event, len(recs))
	for i, r := range recs {
		e := &out[i]
		e.Body = r.Value
		if s.cfg.UseFlumeEventFormat {
			h, body, err := flumeevent.Decode(r.Value)
			if err != nil {
				s.m.EventReadFail.Inc()
			} else {
				e.Headers, e.Body = h, body
			}
		}
		for _, h := range r.Headers {
			setIfAbsent(e, h.Key, string(h.Value))
		}
		if s.cfg.SetTopicHeader {
			setIfAbsent(e, s.cfg.TopicHeader, r.Topic)
		}
		setIfAbsent(e, "partition", strconv.Itoa(int(r.Partition)))
		setIfAbsent(e, "offset", strconv.FormatInt(r.Offset, 10))
		setIfAbsent(e, "timestamp", strconv.FormatInt(r.Timestamp.UnixMilli(), 10))
		if r.Key != nil {
			setIfAbsent(e, "key", string(r.Key))
		}
	}
	return out
}

func setIfAbsent(e *channel.Event, k, v string) {
	if _, ok := e.Headers[k]; !ok {
		e.SetHeader(k, v)
	}
}

// delivered records the offsets after recs as due for commit.
func (s *Source) delivered(recs []*kgo.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range recs {
		ps := s.pending[r.Topic]
		if ps == nil {
			ps = map[int32]kgo.EpochOffset{}
			s.pending[r.Topic] = ps
		}
		next := kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset + 1}
		if cur, ok := ps[r.Partition]; !ok || cur.Less(next) {
			ps[r.Partition] = next
		}
	}
}

// commit commits every delivered offset not yet committed. A failure is counted and logged
// once per streak; the offsets stay pending for the next commit. The lock is not held across
// the request, so the rebalance callbacks never wait on the network.
func (s *Source) commit(ctx context.Context) {
	s.mu.Lock()
	snap := make(map[string]map[int32]kgo.EpochOffset, len(s.pending))
	for t, ps := range s.pending {
		snap[t] = maps.Clone(ps)
	}
	s.mu.Unlock()
	if len(snap) == 0 {
		return
	}
	start := time.Now()
	err := s.commitOffsets(ctx, snap)
	s.commitTimer.Add(time.Since(start).Milliseconds())

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.commitFail.Inc()
		if !s.failing && ctx.Err() == nil {
			s.log.Warn("offset commit failed; the delivered offsets stay pending and are committed with the next batch",
				"err", s.conns.Explain(err))
		}
		s.failing = true
		return
	}
	if s.failing {
		s.log.Info("offset commits succeed again")
		s.failing = false
	}
	for t, ps := range snap { // forget what was committed, unless it advanced meanwhile
		for p, o := range ps {
			if s.pending[t][p] == o {
				delete(s.pending[t], p)
			}
		}
		if len(s.pending[t]) == 0 {
			delete(s.pending, t)
		}
	}
}

func (s *Source) commitOffsets(ctx context.Context, offsets map[string]map[int32]kgo.EpochOffset) error {
	var rerr error
	s.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			rerr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil && rerr == nil {
					rerr = fmt.Errorf("commit %s/%d: %w", t.Topic, p.Partition, err)
				}
			}
		}
	})
	return rerr
}

// revoked commits what was delivered from partitions about to be taken away: the next owner
// starts exactly after it. What was not delivered was not committed and is read again there.
func (s *Source) revoked(ctx context.Context, _ *kgo.Client, _ map[string][]int32) {
	s.commit(ctx)
}

// lost forgets the pending offsets of partitions taken away without a chance to commit (the
// session expired): the next owner reads those records again.
func (s *Source) lost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, ps := range lost {
		for _, p := range ps {
			delete(s.pending[t], p)
		}
		if len(s.pending[t]) == 0 {
			delete(s.pending, t)
		}
	}
}
