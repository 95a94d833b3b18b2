// Package kafka is the "kafka" channel (Flume's KafkaChannel) on franz-go: events are kept in a
// Kafka topic, so they survive the agent and several agents may share one channel through a
// consumer group.
//
// A put commit produces the transaction's events and returns nil once the broker acknowledged
// all of them (acks all by default); until then takers cannot see them. A take hands out events
// the channel's consumer fetched, and its commit commits the group's offsets: the offset
// committed for a partition is that of its first record not yet taken for good, so what was
// handed out and not committed, here or in a crashed agent, is read again. A rollback returns the
// events to the head of the channel in their order, at once, from memory: the same events the
// last committed offset would deliver again.
//
// Within one agent, takes are shared by every taker through one consumer, so rollbacks keep
// their order across takers and nothing is handed out twice. Across agents, Kafka's group
// assigns each partition to one of them; a partition that moves (a member joined, left or
// stopped heart-beating) is committed up to its first record not yet taken for good, and events
// taken but not committed there are delivered by the new owner: at-least-once, and order only
// within a partition (use a one-partition topic for a strict FIFO).
//
// What a Kafka-backed queue does not promise as a memory channel does (DESIGN: a durable
// channel's contract): capacity counts only what this agent put and has not taken since it
// started, not the topic's backlog (0, Flume's default, is unbounded: Kafka's retention is the
// bound); a take waits up to poll_timeout for events it knows were committed but have not yet
// arrived from the broker, rather than never waiting; and Ready fires when events arrive from
// the broker, which is shortly after the put that made them.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/flumeevent"
	"github.com/flumego/flumego/internal/kafkaclient"
	"github.com/flumego/flumego/metrics"
)

// NewFactory returns the factory of the kafka channel.
func NewFactory() channel.Factory { return channel.NewFactory("kafka", Defaults, New, flumeKafka) }

type tp struct {
	topic     string
	partition int32
}

// item is a fetched record as an event, with what it takes to commit past it.
type item struct {
	seq    uint64 // fetch order: rollbacks put items back in this order
	p      *part
	gen    uint64 // p's generation when fetched; an older one means p moved away since
	offset int64
	epoch  int32
	ev     channel.Event
}

// part is what the channel knows of one partition.
type part struct {
	tp
	gen      uint64
	assigned bool
	open     []int64         // offsets fetched and not yet taken for good, ascending
	done     map[int64]bool  // taken for good but behind an open offset
	fetched  int64           // offset after the last record fetched
	produced int64           // offset after the last record this agent produced
	epoch    int32           // leader epoch of the last record fetched
	commit   kgo.EpochOffset // the offset to commit: first open offset, or fetched
	sent     int64           // the last offset committed to Kafka, -1 before
}

// Channel is a running kafka channel.
type Channel struct {
	cfg  Config
	name string
	log  *slog.Logger
	m    *metrics.Channel
	prod *kgo.Client
	cons *kgo.Client

	sendTimer, getTimer, commitTimer, rollbacks, parseFail *metrics.Counter

	mu       sync.Mutex
	closed   bool
	queue    []*item // fetched, not handed out, in seq order
	parts    map[tp]*part
	joined   bool           // the group assigned partitions at least once
	seq      uint64         // of the last fetched record
	size     int            // put and not taken, by this agent (capacity)
	reserved int            // being put right now
	ready    channel.Signal // events became takeable
	room     channel.Signal // size went down
	arrived  channel.Signal // the fetcher added records, or the queue drained
	drained  channel.Signal // the queue has room for the fetcher

	commitMu sync.Mutex // commits go out one at a time, so offsets never go backwards

	stop context.CancelFunc
	done chan struct{} // closed when the fetcher returned
}

// New creates the channel, its producer and its consumer, and starts fetching. It does not wait
// for Kafka: a cluster that is down delays puts and takes, not start-up.
func New(cfg *Config, set channel.Settings) (channel.Channel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	c := &Channel{cfg: *cfg, name: set.Name, log: set.Logger, m: set.Metrics, parts: map[tp]*part{}, done: make(chan struct{})}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.m == nil {
		c.m = metrics.NewRegistry("").Channel(set.Name, "kafka")
	}
	comp := c.m.Component
	c.sendTimer = comp.Counter("KafkaEventSendTimer")
	c.getTimer = comp.Counter("KafkaEventGetTimer")
	c.commitTimer = comp.Counter("KafkaCommitTimer")
	c.rollbacks = comp.Counter("RollbackCount")
	c.parseFail = comp.Counter("EventParseFailCount")
	c.m.ChannelCapacity.Set(int64(cfg.Capacity))
	c.m.ChannelSize.Set(0)

	base, err := kafkaclient.Options(cfg.Brokers, cfg.TLS, cfg.SASL, c.log)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	codec, _ := kafkaclient.Codec(cfg.Compression)
	prodOpts := append(slices.Clone(base), kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic(cfg.Topic),
		kgo.ProducerBatchCompression(codec), kgo.ProducerLinger(0), kgo.RecordDeliveryTimeout(2*time.Minute))
	if strings.ToLower(cfg.Acks) == "1" {
		prodOpts = append(prodOpts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	}
	if c.prod, err = kgo.NewClient(prodOpts...); err != nil {
		return nil, fmt.Errorf("kafka: producer: %w", err)
	}
	consOpts := append(slices.Clone(base),
		kgo.ConsumerGroup(cfg.GroupID),
		// Kafka 2.x clients' session timeout, as Flume runs with: a killed agent's partitions
		// move to the others 10s later, not 45s.
		kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(3*time.Second),
		kgo.ConsumeTopics(cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), // a new group must not skip what was put before it joined
		kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(cfg.PollTimeout),
		kgo.OnPartitionsAssigned(c.assigned),
		kgo.OnPartitionsRevoked(c.revoked),
		kgo.OnPartitionsLost(c.lost),
		kgo.AllowAutoTopicCreation(),
	)
	if c.cons, err = kgo.NewClient(consOpts...); err != nil {
		c.prod.Close()
		return nil, fmt.Errorf("kafka: consumer: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	go c.fetch(ctx)
	return c, nil
}

// prefetch bounds the events fetched and not handed out.
func (c *Channel) prefetch() int { return min(max(2*c.cfg.TxCapacity, 1000), 20000) }

// BeginPut starts a put transaction.
func (c *Channel) BeginPut() channel.PutTx { return &putTx{c: c} }

// BeginTake starts a take transaction.
func (c *Channel) BeginTake() channel.TakeTx { return &takeTx{c: c} }

// Ready fires when fetched or rolled-back events can be taken.
func (c *Channel) Ready() <-chan struct{} { return c.ready.Wait() }

// Close stops fetching, leaves the group (committing what was taken for good) and closes the
// clients. Events put stay in the topic; events taken and not committed are read again by the
// next member. Close is safe twice.
func (c *Channel) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.ready.Notify()
	c.room.Notify()
	c.arrived.Notify()
	c.drained.Notify()
	c.stop()
	<-c.done
	c.commitOffsets(ctx)
	c.cons.Close() // leaves the group; revoked() commits once more
	c.prod.Close()
	c.m.ChannelSize.Set(0)
	return nil
}

// fetch polls records into the queue while it has room, until ctx ends.
func (c *Channel) fetch(ctx context.Context) {
	defer close(c.done)
	for ctx.Err() == nil {
		c.mu.Lock()
		full := len(c.queue) >= c.prefetch()
		var wait <-chan struct{}
		if full {
			wait = c.drained.Wait()
		}
		c.mu.Unlock()
		if full {
			select {
			case <-wait:
			case <-ctx.Done():
				return
			}
			continue
		}
		start := time.Now()
		fs := c.cons.PollRecords(ctx, c.prefetch())
		c.getTimer.Add(time.Since(start).Milliseconds())
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, kgo.ErrClientClosed) {
				c.log.Warn("fetch failed", "topic", t, "partition", p, "err", err)
			}
		})
		c.add(fs)
	}
}

// add queues fetched records of partitions still assigned here.
func (c *Channel) add(fs kgo.Fetches) {
	n := 0
	c.mu.Lock()
	fs.EachRecord(func(r *kgo.Record) {
		p := c.parts[tp{r.Topic, r.Partition}]
		if p == nil || !p.assigned || r.Offset < p.fetched {
			return // moved away meanwhile, or fetched again after a rewind we do not do
		}
		c.seq++
		it := &item{seq: c.seq, p: p, gen: p.gen, offset: r.Offset, epoch: r.LeaderEpoch, ev: c.decode(r)}
		p.open = append(p.open, r.Offset)
		p.fetched, p.epoch = r.Offset+1, r.LeaderEpoch
		c.queue = append(c.queue, it)
		n++
	})
	c.mu.Unlock()
	c.arrived.Notify()
	if n > 0 {
		c.ready.Notify()
	}
}

// decode turns a record into its event. A value that is not an Avro Flume event when it should
// be is handed out as its body and counted.
func (c *Channel) decode(r *kgo.Record) channel.Event {
	if c.cfg.ParseAsFlumeEvent {
		h, b, err := flumeevent.Decode(r.Value)
		if err == nil {
			return channel.Event{Headers: h, Body: b}
		}
		c.parseFail.Inc()
	}
	e := channel.Event{Body: r.Value}
	for _, h := range r.Headers {
		e.SetHeader(h.Key, string(h.Value))
	}
	return e
}

// part returns the state of a partition, creating it.
func (c *Channel) part(t tp) *part {
	p := c.parts[t]
	if p == nil {
		p = &part{tp: t, done: map[int64]bool{}, sent: -1, fetched: -1}
		c.parts[t] = p
	}
	return p
}

// inTransit reports whether records are known to be, or may be, on their way: the group has not
// assigned this agent its partitions yet (their backlog is unknown), or a partition it consumes
// holds records, put here or left by an earlier agent, not fetched yet. Called with mu held.
func (c *Channel) inTransit() bool {
	if !c.joined {
		return true
	}
	for _, p := range c.parts {
		if p.produced > 0 && p.produced > p.fetched && (p.assigned || !c.joined) {
			return true
		}
	}
	return false
}

// assigned learns where fetching will start in the new partitions (the group's committed
// offset, or the log start for a new group) and where they end, so a take knows to wait for the
// backlog an earlier agent left in the topic.
func (c *Channel) assigned(ctx context.Context, cl *kgo.Client, ps map[string][]int32) {
	starts, ends, err := c.bounds(ctx, cl, ps)
	if err != nil && ctx.Err() == nil {
		c.log.Warn("reading the assigned partitions' offsets failed; takes will not wait for their backlog", "err", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.joined = true
	for t, parts := range ps {
		for _, n := range parts {
			p := c.part(tp{t, n})
			p.assigned = true
			p.fetched = -1
			if start, ok := starts[n]; ok {
				p.fetched = start
				p.produced = max(p.produced, ends[n])
			}
		}
	}
	c.arrived.Notify()
}

// bounds returns, for the channel topic's partitions in ps, the offset fetching starts at and
// the end offset.
func (c *Channel) bounds(ctx context.Context, cl *kgo.Client, ps map[string][]int32) (starts, ends map[int32]int64, err error) {
	parts := ps[c.cfg.Topic]
	if len(parts) == 0 {
		return nil, nil, nil
	}
	list := func(ts int64) (map[int32]int64, error) {
		req := kmsg.NewPtrListOffsetsRequest()
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = c.cfg.Topic
		for _, p := range parts {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition, rp.Timestamp = p, ts
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return nil, err
		}
		out := map[int32]int64{}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					return nil, fmt.Errorf("list offsets of %s/%d: %w", t.Topic, p.Partition, err)
				}
				out[p.Partition] = p.Offset
			}
		}
		return out, nil
	}
	if ends, err = list(-1); err != nil {
		return nil, nil, err
	}
	if starts, err = list(-2); err != nil {
		return nil, nil, err
	}
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = c.cfg.GroupID
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic, rt.Partitions = c.cfg.Topic, parts
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, nil, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, nil, fmt.Errorf("fetch committed offsets: %w", err)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, nil, fmt.Errorf("fetch committed offset of %s/%d: %w", t.Topic, p.Partition, err)
			}
			if p.Offset >= 0 {
				starts[p.Partition] = p.Offset
			}
		}
	}
	return starts, ends, nil
}

// revoked commits what was taken for good from partitions about to move, then forgets them:
// events of theirs still queued or in open takes belong to the next owner now.
func (c *Channel) revoked(ctx context.Context, _ *kgo.Client, ps map[string][]int32) {
	c.commitOffsets(ctx)
	c.forget(ps)
}

// lost forgets partitions taken away without a chance to commit.
func (c *Channel) lost(_ context.Context, _ *kgo.Client, ps map[string][]int32) { c.forget(ps) }

func (c *Channel) forget(ps map[string][]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for t, parts := range ps {
		for _, n := range parts {
			p := c.part(tp{t, n})
			p.gen++
			p.assigned = false
			p.open, p.done = nil, map[int64]bool{}
			p.fetched, p.sent = -1, -1
		}
	}
	c.queue = slices.DeleteFunc(c.queue, func(it *item) bool { return it.gen != it.p.gen })
	c.arrived.Notify()
	c.drained.Notify()
}

// settle marks offsets of p taken for good and advances p's commit offset past every leading
// one. Called with mu held.
func (p *part) settle(offset int64) {
	p.done[offset] = true
	i := 0
	for i < len(p.open) && p.done[p.open[i]] {
		delete(p.done, p.open[i])
		i++
	}
	p.open = p.open[i:]
}

// commitTarget is the offset to commit for p: its first open offset, or what follows the last
// record fetched. Called with mu held.
func (p *part) commitTarget() int64 {
	if len(p.open) > 0 {
		return p.open[0]
	}
	return p.fetched
}

// commitOffsets commits, for every partition held, the offset of its first record not yet taken
// for good, where that moved since the last commit. Commits are serialised so an older offset
// never overwrites a newer one.
func (c *Channel) commitOffsets(ctx context.Context) {
	c.commitMu.Lock()
	defer c.commitMu.Unlock()
	c.mu.Lock()
	offsets := map[string]map[int32]kgo.EpochOffset{}
	type sent struct {
		p   *part
		gen uint64
		off int64
	}
	var due []sent
	for _, p := range c.parts {
		if !p.assigned || p.fetched < 0 {
			continue
		}
		if target := p.commitTarget(); target > p.sent {
			if offsets[p.topic] == nil {
				offsets[p.topic] = map[int32]kgo.EpochOffset{}
			}
			offsets[p.topic][p.partition] = kgo.EpochOffset{Epoch: p.epoch, Offset: target}
			due = append(due, sent{p, p.gen, target})
		}
	}
	c.mu.Unlock()
	if len(due) == 0 {
		return
	}
	start := time.Now()
	var rerr error
	c.cons.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			rerr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil && rerr == nil {
					rerr = err
				}
			}
		}
	})
	c.commitTimer.Add(time.Since(start).Milliseconds())
	if rerr != nil {
		// The events were delivered; the offsets go out with the next commit. A crash before
		// then delivers them again.
		c.log.Warn("offset commit failed; retrying with the next take", "err", rerr)
		return
	}
	c.mu.Lock()
	for _, s := range due {
		if s.p.gen == s.gen && s.off > s.p.sent {
			s.p.sent = s.off
		}
	}
	c.mu.Unlock()
}

// putTx is a put transaction: events are staged in memory and produced on Commit.
type putTx struct {
	c      *Channel
	staged []channel.Event
	done   bool
}

func (tx *putTx) Put(events ...channel.Event) error {
	if tx.done {
		return channel.ErrTxDone
	}
	c := tx.c
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return fmt.Errorf("kafka: %w", channel.ErrClosed)
	}
	c.m.EventPutAttemptCount.Add(int64(len(events)))
	if len(tx.staged)+len(events) > c.cfg.TxCapacity {
		return fmt.Errorf("kafka: put of %d events with %d staged: %w", len(events), len(tx.staged), channel.ErrTxFull)
	}
	tx.staged = append(tx.staged, events...)
	return nil
}

func (tx *putTx) Rollback() {
	tx.done = true
	tx.staged = nil
}

// Commit waits for room (when capacity is set), then produces the staged events and returns
// once the broker acknowledged every one.
func (tx *putTx) Commit(ctx context.Context) error {
	if tx.done {
		return channel.ErrTxDone
	}
	tx.done = true
	c := tx.c
	n := len(tx.staged)
	if err := c.reserve(ctx, n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	recs := make([]*kgo.Record, n)
	for i, e := range tx.staged {
		r := &kgo.Record{Topic: c.cfg.Topic}
		if c.cfg.ParseAsFlumeEvent {
			r.Value = flumeevent.Append(make([]byte, 0, flumeevent.Size(e.Headers, e.Body)), e.Headers, e.Body)
		} else {
			r.Value = e.Body
			for k, v := range e.Headers {
				r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
			}
		}
		recs[i] = r
	}
	tx.staged = nil
	start := time.Now()
	results := c.prod.ProduceSync(ctx, recs...)
	c.sendTimer.Add(time.Since(start).Milliseconds())
	c.mu.Lock()
	c.reserved -= n
	if err := results.FirstErr(); err != nil {
		c.mu.Unlock()
		c.room.Notify()
		return fmt.Errorf("kafka: put of %d events: %w", n, err)
	}
	for _, r := range results {
		p := c.part(tp{r.Record.Topic, r.Record.Partition})
		p.produced = max(p.produced, r.Record.Offset+1)
	}
	c.size += n
	c.m.ChannelSize.Set(int64(c.size))
	c.mu.Unlock()
	c.m.EventPutSuccessCount.Add(int64(n))
	return nil
}

// reserve waits until n more events fit the capacity, up to keep_alive or ctx's end, and
// reserves room for them.
func (c *Channel) reserve(ctx context.Context, n int) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return fmt.Errorf("kafka: %w", channel.ErrClosed)
		}
		if c.cfg.Capacity == 0 || c.size+c.reserved+n <= c.cfg.Capacity {
			c.reserved += n
			c.mu.Unlock()
			return nil
		}
		wake := c.room.Wait()
		c.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(c.cfg.KeepAlive)
		}
		select {
		case <-wake:
		case <-timer.C:
			return fmt.Errorf("kafka: %d events do not fit within %s: %w", n, c.cfg.KeepAlive, channel.ErrFull)
		case <-ctx.Done():
			return fmt.Errorf("kafka: waiting for room: %w (%w)", channel.ErrFull, ctx.Err())
		}
	}
}

// takeTx is a take transaction over the shared queue.
type takeTx struct {
	c      *Channel
	items  []*item
	events []channel.Event
	done   bool
}

func (tx *takeTx) Take(max int) ([]channel.Event, error) {
	if tx.done {
		return nil, channel.ErrTxDone
	}
	c := tx.c
	c.m.EventTakeAttemptCount.Inc()
	room := c.cfg.TxCapacity - len(tx.items)
	if room <= 0 {
		return nil, fmt.Errorf("kafka: take holds %d events: %w", len(tx.items), channel.ErrTxFull)
	}
	n := min(max, room)
	if n <= 0 {
		return nil, nil
	}
	var deadline *time.Timer
	c.mu.Lock()
	for !c.closed && len(c.queue) < n && c.inTransit() {
		// Events this agent put are on their way from the broker: wait for them, a while.
		wake := c.arrived.Wait()
		c.mu.Unlock()
		if deadline == nil {
			deadline = time.NewTimer(c.cfg.PollTimeout)
			defer deadline.Stop()
		}
		timedOut := false
		select {
		case <-wake:
		case <-deadline.C:
			timedOut = true
		}
		c.mu.Lock()
		if timedOut {
			break
		}
	}
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("kafka: %w", channel.ErrClosed)
	}
	n = min(n, len(c.queue))
	if n == 0 {
		return nil, nil
	}
	from := len(tx.events)
	for _, it := range c.queue[:n] {
		tx.items = append(tx.items, it)
		tx.events = append(tx.events, it.ev)
	}
	c.queue = c.queue[n:]
	if len(c.queue) < c.prefetch()/2 {
		c.drained.Notify()
	}
	return tx.events[from:len(tx.events):len(tx.events)], nil
}

// Commit forgets the events taken and commits the group's offsets past them.
func (tx *takeTx) Commit(ctx context.Context) error {
	if tx.done {
		return channel.ErrTxDone
	}
	tx.done = true
	c := tx.c
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return fmt.Errorf("kafka: %w", channel.ErrClosed)
	}
	for _, it := range tx.items {
		if it.gen == it.p.gen {
			it.p.settle(it.offset)
		}
	}
	n := len(tx.items)
	c.size = max(c.size-n, 0)
	c.m.ChannelSize.Set(int64(c.size))
	c.mu.Unlock()
	tx.items, tx.events = nil, nil
	if n == 0 {
		return nil
	}
	c.commitOffsets(ctx)
	c.m.EventTakeSuccessCount.Add(int64(n))
	c.room.Notify()
	return nil
}

// Rollback returns the events to the head of the queue, in fetch order.
func (tx *takeTx) Rollback() {
	if tx.done {
		return
	}
	tx.done = true
	c := tx.c
	if len(tx.items) == 0 {
		return
	}
	c.rollbacks.Inc()
	c.mu.Lock()
	back := slices.DeleteFunc(tx.items, func(it *item) bool { return it.gen != it.p.gen })
	merged := make([]*item, 0, len(back)+len(c.queue))
	i, j := 0, 0
	for i < len(back) || j < len(c.queue) {
		if j == len(c.queue) || (i < len(back) && back[i].seq < c.queue[j].seq) {
			merged = append(merged, back[i])
			i++
		} else {
			merged = append(merged, c.queue[j])
			j++
		}
	}
	c.queue = merged
	c.mu.Unlock()
	tx.items, tx.events = nil, nil
	c.ready.Notify()
	c.arrived.Notify()
}
