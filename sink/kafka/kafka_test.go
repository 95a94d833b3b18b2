package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/flumeevent"
	"github.com/flumego/flumego/internal/kafkaclient"
	"github.com/flumego/flumego/internal/kafkatest"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/sink"
)

func bodies(recs []*kgo.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}

func recordHeaders(r *kgo.Record) map[string]string {
	if len(r.Headers) == 0 {
		return nil
	}
	h := map[string]string{}
	for _, rh := range r.Headers {
		h[rh.Key] = string(rh.Value)
	}
	return h
}

func TestWriteDeliversEveryEventWithItsHeadersAndKey(t *testing.T) {
	_, brokers := cluster(t, 1, "logs")
	s, m := newSink(t, brokers, func(c *Config) { c.Topic = "logs" })
	events := lines("line", 50)
	events[7].Headers = map[string]string{"key": "user-7", "host": "web-1"}
	if err := s.Write(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	got := kafkatest.ReadN(t, brokers, "logs", 50, 10*time.Second)
	want := make([]string, 50)
	for i := range want {
		want[i] = fmt.Sprintf("line-%04d", i)
	}
	if !slices.Equal(bodies(got), want) {
		t.Fatalf("values = %v, want %v", bodies(got), want)
	}
	r := got[7]
	if string(r.Key) != "user-7" || !maps.Equal(recordHeaders(r), events[7].Headers) {
		t.Errorf("record 7: key %q headers %v, want key user-7 and the event's headers", r.Key, recordHeaders(r))
	}
	if got[0].Key != nil || len(got[0].Headers) != 0 {
		t.Errorf("record 0: key %q headers %v, want none", got[0].Key, got[0].Headers)
	}
	if n := counter(m, "RollbackCount"); n != 0 {
		t.Errorf("RollbackCount = %d, want 0", n)
	}
	if m.ConnectionCreatedCount.Load() == 0 {
		t.Error("ConnectionCreatedCount = 0 after a delivered batch")
	}
}

// TestRecordHeadersSendOnlyTheMappedHeaders is Flume 1.11's header.NAME = KAFKA_NAME: only the
// mapped event headers become record headers, under their Kafka names.
func TestRecordHeadersSendOnlyTheMappedHeaders(t *testing.T) {
	_, brokers := cluster(t, 1, "logs")
	s, _ := newSink(t, brokers, func(c *Config) {
		c.Topic = "logs"
		c.HeadersAsRecordHeaders = false
		c.RecordHeaders = map[string]string{"host": "origin-host", "trace": "trace-id"}
	})
	in := []channel.Event{
		{Headers: map[string]string{"host": "web-1", "trace": "t-9", "secret": "s"}, Body: []byte("both mapped")},
		{Headers: map[string]string{"secret": "s"}, Body: []byte("none mapped")},
	}
	if err := s.Write(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	recs := kafkatest.ReadN(t, brokers, "logs", 2, 10*time.Second)
	if got, want := recordHeaders(recs[0]), map[string]string{"origin-host": "web-1", "trace-id": "t-9"}; !maps.Equal(got, want) {
		t.Errorf("record 0 headers %v, want %v", got, want)
	}
	if len(recs[1].Headers) != 0 {
		t.Errorf("record 1 headers %v, want none", recs[1].Headers)
	}
}

func TestTopicFromHeaderAndTemplate(t *testing.T) {
	_, brokers := cluster(t, 1, "logs-web", "logs-db", "audit", "fallback")
	cases := []struct {
		name     string
		edit     func(*Config)
		headers  map[string]string
		wantInto string
	}{
		{"template from a header", func(c *Config) { c.Topic = "logs-%{service}" }, map[string]string{"service": "db"}, "logs-db"},
		{"topic header overrides", func(c *Config) { c.Topic = "logs-%{service}" }, map[string]string{"service": "db", "topic": "audit"}, "audit"},
		{"override disabled", func(c *Config) { c.Topic = "logs-%{service}"; c.AllowTopicOverride = false },
			map[string]string{"service": "web", "topic": "audit"}, "logs-web"},
		{"custom topic header", func(c *Config) { c.Topic = "fallback"; c.TopicHeader = "dest" }, map[string]string{"dest": "audit", "topic": "x"}, "audit"},
		{"no header: plain topic", func(c *Config) { c.Topic = "fallback" }, nil, "fallback"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newSink(t, brokers, c.edit)
			body := "event for " + c.name
			if err := s.Write(context.Background(), []channel.Event{{Headers: c.headers, Body: []byte(body)}}); err != nil {
				t.Fatal(err)
			}
			recs := kafkatest.ReadN(t, brokers, c.wantInto, 1, 10*time.Second)
			if !slices.Contains(bodies(recs), body) {
				t.Fatalf("topic %s holds %v, want it to hold %q", c.wantInto, bodies(recs), body)
			}
		})
	}
}

func TestFlumeEventFormat(t *testing.T) {
	_, brokers := cluster(t, 1, "logs")
	s, _ := newSink(t, brokers, func(c *Config) { c.Topic = "logs"; c.UseFlumeEventFormat = true; c.HeadersAsRecordHeaders = false })
	in := []channel.Event{
		{Headers: map[string]string{"host": "web-1", "timestamp": "1700000000000"}, Body: []byte("GET /")},
		{Body: []byte("no headers")},
	}
	if err := s.Write(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	recs := kafkatest.ReadN(t, brokers, "logs", 2, 10*time.Second)
	for i, r := range recs {
		h, b, err := flumeevent.Decode(r.Value)
		if err != nil {
			t.Fatalf("record %d is not an AvroFlumeEvent: %v", i, err)
		}
		if string(b) != string(in[i].Body) || !maps.Equal(h, in[i].Headers) {
			t.Errorf("record %d decodes to %v %q, want %v %q", i, h, b, in[i].Headers, in[i].Body)
		}
		if len(r.Headers) != 0 {
			t.Errorf("record %d has record headers %v with headers_as_record_headers = false", i, r.Headers)
		}
	}
}

func TestEveryAcksAndCompression(t *testing.T) {
	c, brokers := cluster(t, 3)
	for _, acks := range []string{"0", "1", "all"} {
		for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
			t.Run("acks="+acks+"/"+codec, func(t *testing.T) {
				topic := "logs-" + acks + "-" + codec
				if err := c.CreateTopic(topic, 3, nil); err != nil {
					t.Fatal(err)
				}
				s, _ := newSink(t, brokers, func(c *Config) { c.Topic = topic; c.Acks = acks; c.Compression = codec })
				if err := s.Write(context.Background(), lines("x", 200)); err != nil {
					t.Fatal(err)
				}
				// With acks = 0 a Write ends when the records are sent; they arrive soon after.
				got := kafkatest.ReadN(t, brokers, topic, 200, 10*time.Second)
				seen := map[string]bool{}
				for _, v := range bodies(got) {
					seen[v] = true
				}
				if len(got) != 200 || len(seen) != 200 {
					t.Fatalf("%d records, %d distinct; want 200", len(got), len(seen))
				}
			})
		}
	}
}

func TestPartitionFromHeaderOrDefault(t *testing.T) {
	_, brokers := cluster(t, 4, "logs")
	s, m := newSink(t, brokers, func(c *Config) {
		c.Topic = "logs"
		c.PartitionIDHeader = "part"
		two := 2
		c.DefaultPartitionID = &two
	})
	events := []channel.Event{
		{Headers: map[string]string{"part": "3"}, Body: []byte("to 3")},
		{Headers: map[string]string{"part": "0"}, Body: []byte("to 0")},
		{Body: []byte("to default 2")},
		{Headers: map[string]string{"part": "x"}, Body: []byte("bad header, to default 2")},
	}
	if err := s.Write(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	want := map[string]int32{"to 3": 3, "to 0": 0, "to default 2": 2, "bad header, to default 2": 2}
	for _, r := range kafkatest.ReadN(t, brokers, "logs", 4, 10*time.Second) {
		if p := want[string(r.Value)]; p != r.Partition {
			t.Errorf("%q went to partition %d, want %d", r.Value, r.Partition, p)
		}
	}
	if n := counter(m, "InvalidPartitionIDCount"); n != 1 {
		t.Errorf("InvalidPartitionIDCount = %d, want 1", n)
	}
}

// refusedEvents returns the indices err refuses for good, by error text, failing the test when
// err is not a sink.PermanentError (or a join of them).
func refusedEvents(t *testing.T, err error) map[string][]int {
	t.Helper()
	out := map[string][]int{}
	var parts []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	} else {
		parts = []error{err}
	}
	for _, p := range parts {
		pe, ok := sink.AsPermanent(p)
		if !ok {
			t.Fatalf("Write = %v, want only permanent errors", err)
		}
		out[pe.Err.Error()] = pe.Events
	}
	return out
}

func TestPartitionThatDoesNotExistIsRefusedForGood(t *testing.T) {
	_, brokers := cluster(t, 2, "logs")
	s, m := newSink(t, brokers, func(c *Config) { c.Topic = "logs"; c.PartitionIDHeader = "part" })
	err := s.Write(context.Background(), []channel.Event{
		{Body: []byte("a")}, {Headers: map[string]string{"part": "9"}, Body: []byte("x")}, {Headers: map[string]string{"part": "1"}, Body: []byte("b")},
	})
	got := refusedEvents(t, err)
	if len(got) != 1 || !slices.Equal(slices.Collect(maps.Values(got))[0], []int{1}) {
		t.Fatalf("refused %v, want event 1 alone", got)
	}
	for text := range got {
		if !strings.Contains(text, `topic "logs": invalid record partitioning choice of 9`) {
			t.Errorf("refusal %q does not say why", text)
		}
	}
	if n := counter(m, "RollbackCount"); n != 0 {
		t.Errorf("RollbackCount = %d, want 0: nothing is retried", n)
	}
	if recs := kafkatest.ReadN(t, brokers, "logs", 2, 10*time.Second); len(recs) != 2 {
		t.Errorf("%d records delivered, want the other two", len(recs))
	}
}

func TestEventsWithoutATopic(t *testing.T) {
	_, brokers := cluster(t, 1, "app-logs", "unrouted")
	events := func() []channel.Event {
		return []channel.Event{
			{Headers: map[string]string{"log_topic": "app-logs"}, Body: []byte("good-1")},
			{Body: []byte("no-header")},
			{Headers: map[string]string{"log_topic": "bad topic!"}, Body: []byte("bad-name")},
			{Headers: map[string]string{"log_topic": "app-logs"}, Body: []byte("good-2")},
		}
	}
	t.Run("no fallback_topic: refused for good", func(t *testing.T) {
		s, _ := newSink(t, brokers, func(c *Config) { c.Topic = "%{log_topic}" })
		got := refusedEvents(t, s.Write(context.Background(), events()))
		want := map[string][]int{
			`no topic: topic template "%{log_topic}" resolved to empty for the event (headers log_topic missing) and fallback_topic is not set`: {1},
			`invalid topic name "bad topic!" from topic template "%{log_topic}": Kafka takes 1 to 249 of a-z, A-Z, 0-9, '.', '_' and '-'`:       {2},
		}
		if !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("refused %v\nwant %v", got, want)
		}
		if recs := bodies(kafkatest.ReadN(t, brokers, "app-logs", 2, 10*time.Second)); !slices.Equal(recs, []string{"good-1", "good-2"}) {
			t.Errorf("app-logs holds %v, want the good events", recs)
		}
	})
	t.Run("fallback_topic", func(t *testing.T) {
		logs := &strings.Builder{}
		s, m := newSink(t, brokers, func(c *Config) { c.Topic = "%{log_topic}"; c.FallbackTopic = "unrouted" })
		s.log = slog.New(slog.NewTextHandler(logs, nil))
		for range 2 {
			got := refusedEvents(t, s.Write(context.Background(), events()))
			if len(got) != 1 {
				t.Errorf("refused %v, want only the invalid name", got)
			}
		}
		if recs := bodies(kafkatest.ReadN(t, brokers, "unrouted", 2, 10*time.Second)); !slices.Equal(recs, []string{"no-header", "no-header"}) {
			t.Errorf("unrouted holds %v, want the event without a header, twice", recs)
		}
		if n, said := counter(m, "TopicFallbackCount"), strings.Count(logs.String(), "resolved to empty"); n != 2 || said != 1 {
			t.Errorf("TopicFallbackCount %d, said %d times; want 2 and once:\n%s", n, said, logs)
		}
	})
}

// TestRecreatedTopicHeals deletes and recreates the topic between writes and while writes go
// on: the client, which never adopts a new topic ID by itself, is refreshed by the sink, and
// the runner's retries deliver every event into the new topic.
func TestRecreatedTopicHeals(t *testing.T) {
	c, brokers := cluster(t, 2, "logs")
	s, m := newSink(t, brokers, func(c *Config) { c.Topic = "logs" })
	write := func(events []channel.Event) (failures int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			err := s.Write(context.Background(), events)
			if err == nil {
				return failures
			}
			if sink.IsPermanent(err) || time.Now().After(deadline) {
				t.Fatalf("Write = %v", err)
			}
			failures++
			time.Sleep(50 * time.Millisecond) // the runner's back-off
		}
	}
	write(lines("before", 10))
	if err := c.DeleteTopic("logs"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTopic("logs", 2, nil); err != nil {
		t.Fatal(err)
	}
	if n := write(lines("after", 10)); n == 0 {
		t.Log("the first write after the recreation went through at once")
	}
	if got := counter(m, "TopicRefreshCount"); got == 0 {
		t.Error("TopicRefreshCount = 0: the recreated topic was not refreshed")
	}
	recs := bodies(kafkatest.ReadN(t, brokers, "logs", 10, 10*time.Second))
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r] = true
	}
	for _, e := range lines("after", 10) {
		if !seen[string(e.Body)] {
			t.Errorf("%s missing from the recreated topic (holds %v)", e.Body, recs)
		}
	}
}

func TestOversizeEventsKeepTheChannelMoving(t *testing.T) {
	big := strings.Repeat("x", 5000)
	cases := []struct {
		policy      string
		topicLimit  string // the broker's max.message.bytes for the topic; "" = default
		maxMessage  int
		wantBigLen  int // -1: the big event is dropped
		wantDropped int64
		wantTrunc   int64
	}{
		{policy: "drop", maxMessage: 2048, wantBigLen: -1, wantDropped: 1},
		{policy: "truncate", maxMessage: 2048, wantBigLen: 2048 - recordOverhead, wantTrunc: 1},
		// The broker's limit is below max_message_bytes: it refuses the batch, the sink retries
		// record by record and only the big one meets the policy.
		{policy: "drop", topicLimit: "3000", maxMessage: 1 << 20, wantBigLen: -1, wantDropped: 1},
		{policy: "truncate", topicLimit: "3000", maxMessage: 1 << 20, wantBigLen: 2500, wantTrunc: 1},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%s/max_message_bytes=%d/broker limit=%s", c.policy, c.maxMessage, c.topicLimit)
		t.Run(name, func(t *testing.T) {
			cl := kafkatest.Start(t, 1)
			cfgs := map[string]string{}
			if c.topicLimit != "" {
				cfgs["max.message.bytes"] = c.topicLimit
			}
			if err := cl.CreateTopic("logs", 1, cfgs); err != nil {
				t.Fatal(err)
			}
			brokers := cl.ListenAddrs()
			s, m := newSink(t, brokers, func(cfg *Config) {
				cfg.Topic = "logs"
				cfg.Oversize = c.policy
				cfg.MaxMessageBytes = schema.Size(c.maxMessage)
			})
			events := lines("small", 10)
			events[4] = channel.Event{Body: []byte(big)}
			err := s.Write(context.Background(), events)
			if c.wantDropped > 0 {
				// Refused for good: the runner drops it (or dead-letters it) and counts it.
				got := refusedEvents(t, err)
				if len(got) != 1 || !slices.Equal(slices.Collect(maps.Values(got))[0], []int{4}) {
					t.Fatalf("refused %v, want the big event alone", got)
				}
			} else if err != nil {
				t.Fatalf("Write: %v", err)
			}
			want := 10
			if c.wantBigLen < 0 {
				want = 9
			}
			recs := kafkatest.ReadN(t, brokers, "logs", want, 10*time.Second)
			var bigLen = -1
			smalls := 0
			for _, r := range recs {
				if strings.HasPrefix(string(r.Value), "small-") {
					smalls++
				} else {
					bigLen = len(r.Value)
				}
			}
			if smalls != 9 || len(recs) != want {
				t.Errorf("%d records, %d small ones; want %d and 9", len(recs), smalls, want)
			}
			if bigLen != c.wantBigLen {
				t.Errorf("the big event arrived with %d bytes, want %d (-1: dropped)", bigLen, c.wantBigLen)
			}
			if tr := counter(m, "EventTruncatedCount"); tr != c.wantTrunc {
				t.Errorf("EventTruncatedCount %d, want %d", tr, c.wantTrunc)
			}
		})
	}
}

func TestTopicThatDoesNotExistFailsWithAClearError(t *testing.T) {
	_, brokers := cluster(t, 1, "logs")
	s, m := newSink(t, brokers, func(c *Config) {
		c.Topic = "missing"
		c.Producer = map[string]string{"retry.backoff.ms": "100"} // four metadata refreshes, 100ms apart
	})
	err := s.Write(context.Background(), lines("x", 3))
	if err == nil || !strings.Contains(err.Error(), "UNKNOWN_TOPIC_OR_PARTITION") || !strings.Contains(err.Error(), `"missing"`) {
		t.Fatalf("Write to a missing topic: %v; want an error naming the topic and UNKNOWN_TOPIC_OR_PARTITION", err)
	}
	if n := counter(m, "RollbackCount"); n != 1 {
		t.Errorf("RollbackCount = %d, want 1", n)
	}
}

func TestAutoCreatedTopic(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.AllowAutoTopicCreation())
	brokers := c.ListenAddrs()
	s, _ := newSink(t, brokers, func(cfg *Config) { cfg.Topic = "created-on-demand" })
	if err := s.Write(context.Background(), lines("x", 3)); err != nil {
		t.Fatal(err)
	}
	kafkatest.ReadN(t, brokers, "created-on-demand", 3, 10*time.Second)
}

func TestUnreachableBrokerFailsTheWriteWhenItsContextEnds(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t)) // nothing listens
	s, m := newSink(t, []string{addr}, func(c *Config) { c.Topic = "logs" })
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := s.Write(ctx, lines("x", 3)); err == nil {
		t.Fatal("Write to an unreachable broker returned nil")
	}
	if m.ConnectionFailedCount.Load() == 0 {
		t.Error("ConnectionFailedCount = 0 after failing to reach the broker")
	}
	if n := counter(m, "RollbackCount"); n != 1 {
		t.Errorf("RollbackCount = %d, want 1", n)
	}
}

func TestDeliveryTimeoutFailsAWriteToADeadBroker(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t))
	s, _ := newSink(t, []string{addr}, func(c *Config) {
		c.Topic = "logs"
		c.Producer = map[string]string{"delivery.timeout.ms": "1000"}
	})
	start := time.Now()
	if err := s.Write(context.Background(), lines("x", 3)); err == nil {
		t.Fatal("Write to an unreachable broker returned nil")
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("Write took %s with delivery.timeout.ms = 1000", d)
	}
}

func TestBrokerRestartLosesNothing(t *testing.T) {
	// A broker with its log on disk, stopped and started again on the same port while the sink
	// writes: every Write returns nil only for delivered batches, and the sink's retried batches
	// bring the rest.
	dir := t.TempDir()
	port := testkit.FreePort(t)
	start := func() *kfake.Cluster {
		c, err := kfake.NewCluster(kfake.Ports(port), kfake.DataDir(dir), kfake.SeedTopics(1, "logs"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := start()
	brokers := c.ListenAddrs()
	s, _ := newSink(t, brokers, func(c *Config) { c.Topic = "logs"; c.Acks = "all" })
	var delivered []string
	restarted := make(chan struct{})
	var once sync.Once
	for batch := 0; batch < 40; batch++ {
		events := lines(fmt.Sprintf("b%02d", batch), 25)
		if batch == 10 {
			c.Close()
			go func() {
				time.Sleep(time.Second) // the broker stays down while Writes wait
				c = start()
				once.Do(func() { close(restarted) })
			}()
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := s.Write(ctx, events)
			cancel()
			if err == nil {
				break
			}
			t.Logf("batch %d: %v (retrying, as the runner would)", batch, err)
		}
		for _, e := range events {
			delivered = append(delivered, string(e.Body))
		}
	}
	<-restarted
	t.Cleanup(func() { c.Close() })
	got := bodies(kafkatest.ReadN(t, brokers, "logs", len(delivered), 20*time.Second))
	missing := 0
	seen := map[string]bool{}
	for _, g := range got {
		seen[g] = true
	}
	for _, d := range delivered {
		if !seen[d] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged events are missing after the broker restart", missing, len(delivered))
	}
}

func TestLeaderMovesLoseNothing(t *testing.T) {
	c := kafkatest.Start(t, 3, kfake.SeedTopics(3, "logs"))
	brokers := c.ListenAddrs()
	s, _ := newSink(t, brokers, func(cfg *Config) { cfg.Topic = "logs"; cfg.Acks = "all" })
	total := 0
	for batch := 0; batch < 30; batch++ {
		if batch%5 == 2 {
			c.ShufflePartitionLeaders()
		}
		for {
			if err := s.Write(context.Background(), lines(fmt.Sprintf("b%02d", batch), 50)); err == nil {
				break
			} else {
				t.Logf("batch %d: %v", batch, err)
			}
		}
		total += 50
	}
	got := kafkatest.ReadN(t, brokers, "logs", total, 20*time.Second)
	seen := map[string]int{}
	for _, v := range bodies(got) {
		seen[v]++
	}
	if len(seen) != total {
		t.Fatalf("%d distinct of %d events after leader moves", len(seen), total)
	}
}

func TestSASL(t *testing.T) {
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			c := kafkatest.Start(t, 1, kfake.EnableSASL(), kfake.Superuser(mech, "flume", "s3cret"), kfake.SeedTopics(1, "logs"))
			brokers := c.ListenAddrs()
			s, _ := newSink(t, brokers, func(cfg *Config) {
				cfg.Topic = "logs"
				cfg.SASL = &kafkaclient.SASL{Mechanism: mech, Username: "flume", Password: "s3cret"}
			})
			if err := s.Write(context.Background(), lines("x", 3)); err != nil {
				t.Fatalf("Write with the right credentials: %v", err)
			}
			bad, m := newSink(t, brokers, func(cfg *Config) {
				cfg.Topic = "logs"
				cfg.SASL = &kafkaclient.SASL{Mechanism: mech, Username: "flume", Password: "wrong"}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			// A real broker answers SASL_AUTHENTICATION_FAILED, which fails the Write at once;
			// kfake hangs up instead, so the Write waits for its context and names the cause.
			err := bad.Write(ctx, lines("y", 3))
			if err == nil || !strings.Contains(err.Error(), "last broker connection error") {
				t.Fatalf("Write with a wrong password: %v; want an error naming the connection failure", err)
			}
			if m.ConnectionFailedCount.Load() == 0 {
				t.Error("ConnectionFailedCount = 0 after authentication failed")
			}
		})
	}
}

func TestKcatReadsWhatTheSinkWrote(t *testing.T) {
	kcat := kafkatest.Kcat(t)
	c, brokers := cluster(t, 1, "logs")
	s, _ := newSink(t, brokers, func(cfg *Config) { cfg.Topic = "logs" })
	events := lines("kcat", 20)
	events[3].Headers = map[string]string{"key": "k3", "host": "web-1"}
	if err := s.Write(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, kcat, "-b", kafkatest.Addrs(c), "-C", "-t", "logs", "-o", "beginning", "-e", "-q",
		"-f", "%k|%h|%s\n").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != 20 {
		t.Fatalf("kcat read %d records, want 20:\n%s", len(got), out)
	}
	if got[0] != "||kcat-0000" {
		t.Errorf("kcat record 0 = %q, want %q", got[0], "||kcat-0000")
	}
	if !strings.HasPrefix(got[3], "k3|") || !strings.Contains(got[3], "host=web-1") || !strings.HasSuffix(got[3], "|kcat-0003") {
		t.Errorf("kcat record 3 = %q, want key k3, header host=web-1 and body kcat-0003", got[3])
	}
}

func TestUntrustedBrokerCertificateFailsAtOnce(t *testing.T) {
	serverTLS, caFile := kafkatest.TLS(t)
	c := kafkatest.Start(t, 1, kfake.TLS(serverTLS), kfake.SeedTopics(1, "logs"))
	brokers := c.ListenAddrs()
	s, m := newSink(t, brokers, func(cfg *Config) { cfg.Topic = "logs"; cfg.TLS = &kafkaclient.TLS{} })
	start := time.Now()
	err := s.Write(context.Background(), lines("x", 3))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Write to a broker whose certificate is not trusted: %v; want a certificate error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the certificate error took %s to surface; it cannot be cured by waiting", d)
	}
	if m.ConnectionFailedCount.Load() == 0 {
		t.Error("ConnectionFailedCount = 0")
	}

	// Trusting the broker's CA, the same broker takes the batch.
	ok, _ := newSink(t, brokers, func(cfg *Config) {
		cfg.Topic = "logs"
		cfg.TLS = &kafkaclient.TLS{CAFile: caFile}
	})
	if err := ok.Write(context.Background(), lines("y", 3)); err != nil {
		t.Fatalf("Write over TLS with the CA trusted: %v", err)
	}
}
