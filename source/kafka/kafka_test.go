package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flumego/flumego/internal/flumeevent"
	"github.com/flumego/flumego/internal/kafkaclient"
	"github.com/flumego/flumego/internal/kafkatest"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/internal/testkit"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

// waitBodies waits until p committed at least n events and returns their bodies.
func waitBodies(t *testing.T, p *sourcetest.Processor, n int, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b := p.Bodies()
		if len(b) >= n {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events delivered after %s", len(b), n, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// running is a source whose Run goroutine is stopped by stop (and when the test ends).
type running struct {
	src    *Source
	m      *metrics.Source
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("Run: %v", r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of its context ending")
	}
}

func start(t *testing.T, brokers []string, proc source.Processor, edit func(*Config)) *running {
	t.Helper()
	cfg := Defaults()
	cfg.Brokers = brokers
	cfg.Topics = []string{"logs"}
	cfg.StartOffset = "earliest"
	cfg.BatchDuration = 100 * time.Millisecond
	if edit != nil {
		edit(cfg)
	}
	m := metrics.NewRegistry("a1").Source("r1", "kafka")
	s, err := New(cfg, source.Settings{Name: "r1", Type: "kafka", Logger: slog.New(slog.DiscardHandler), Metrics: m, Processor: proc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{src: s.(*Source), m: m, cancel: cancel, done: make(chan struct{})}
	go func() { r.err = s.Run(ctx); close(r.done) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

func produce(t *testing.T, brokers []string, topic, prefix string, n int) []string {
	t.Helper()
	recs := make([]*kgo.Record, n)
	want := make([]string, n)
	for i := range recs {
		want[i] = fmt.Sprintf("%s-%05d", prefix, i)
		recs[i] = &kgo.Record{Topic: topic, Value: []byte(want[i])}
	}
	kafkatest.Produce(t, brokers, recs...)
	return want
}

func assertOnce(t *testing.T, want, got []string) {
	t.Helper()
	seen := map[string]int{}
	for _, g := range got {
		seen[g]++
	}
	var missing, dup int
	for _, w := range want {
		switch seen[w] {
		case 0:
			missing++
		case 1:
		default:
			dup++
		}
	}
	if missing > 0 || dup > 0 || len(got) != len(want) {
		t.Fatalf("%d events delivered for %d records: %d missing, %d duplicated", len(got), len(want), missing, dup)
	}
}

func TestDeliversRecordsWithFlumeHeaders(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.SeedTopics(1, "logs"))
	brokers := c.ListenAddrs()
	ts := time.UnixMilli(1700000000123)
	kafkatest.Produce(t, brokers,
		&kgo.Record{Topic: "logs", Key: []byte("k1"), Value: []byte("first"), Timestamp: ts,
			Headers: []kgo.RecordHeader{{Key: "host", Value: []byte("web-1")}}},
		&kgo.Record{Topic: "logs", Value: []byte("second"), Timestamp: ts})
	p := &sourcetest.Processor{}
	r := start(t, brokers, p, nil)
	waitBodies(t, p, 2, 10*time.Second)
	want := []map[string]string{
		{"topic": "logs", "partition": "0", "offset": "0", "timestamp": "1700000000123", "key": "k1", "host": "web-1"},
		{"topic": "logs", "partition": "0", "offset": "1", "timestamp": "1700000000123"},
	}
	for i, e := range p.Events() {
		if !maps.Equal(e.Headers, want[i]) {
			t.Errorf("event %d headers = %v, want %v", i, e.Headers, want[i])
		}
	}
	r.stop(t)
	if got := r.m.EventReadFail.Load(); got != 0 {
		t.Errorf("EventReadFail = %d", got)
	}
}

func TestCommittedOffsetsResumeWhereDeliveryEnded(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.SeedTopics(3, "logs"))
	brokers := c.ListenAddrs()
	first := produce(t, brokers, "logs", "a", 300)
	p1 := &sourcetest.Processor{}
	r := start(t, brokers, p1, nil)
	assertOnce(t, first, waitBodies(t, p1, 300, 10*time.Second))
	r.stop(t)

	// The same group again: only what was produced since.
	second := produce(t, brokers, "logs", "b", 200)
	p2 := &sourcetest.Processor{}
	start(t, brokers, p2, nil)
	assertOnce(t, second, waitBodies(t, p2, 200, 10*time.Second))
	time.Sleep(200 * time.Millisecond) // nothing more may come
	assertOnce(t, second, p2.Bodies())
}

func TestUndeliveredBatchIsNotCommitted(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.SeedTopics(1, "logs"))
	brokers := c.ListenAddrs()
	want := produce(t, brokers, "logs", "x", 50)
	stuck := &sourcetest.Processor{Gate: make(chan struct{})} // the channel is full and stays full
	r := start(t, brokers, stuck, nil)
	// Wait until the source is holding a batch in Deliver, then stop it.
	deadline := time.Now().Add(10 * time.Second)
	for stuck.Attempts() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the source never delivered a batch")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.stop(t)
	if n := len(stuck.Bodies()); n != 0 {
		t.Fatalf("%d events delivered through a processor that never accepted", n)
	}
	p := &sourcetest.Processor{}
	start(t, brokers, p, nil)
	assertOnce(t, want, waitBodies(t, p, 50, 10*time.Second))
}

func TestBatchSizeAndDuration(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.SeedTopics(1, "logs"))
	brokers := c.ListenAddrs()
	produce(t, brokers, "logs", "x", 250)
	p := &sourcetest.Processor{}
	start(t, brokers, p, func(c *Config) { c.Batch = 100; c.BatchDuration = time.Second })
	waitBodies(t, p, 250, 10*time.Second)
	sizes := p.BatchSizes()
	for _, n := range sizes {
		if n > 100 {
			t.Fatalf("batches %v: one holds more than batch_size 100", sizes)
		}
	}
}

func TestFlumeEventFormatAndMalformedValues(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.SeedTopics(1, "logs"))
	brokers := c.ListenAddrs()
	kafkatest.Produce(t, brokers,
		&kgo.Record{Topic: "logs", Value: flumeevent.Append(nil, map[string]string{"host": "web-1", "topic": "original"}, []byte("avro body"))},
		&kgo.Record{Topic: "logs", Value: []byte("\xffnot avro")})
	p := &sourcetest.Processor{}
	r := start(t, brokers, p, func(c *Config) { c.UseFlumeEventFormat = true })
	waitBodies(t, p, 2, 10*time.Second)
	got := p.Events()
	e := got[0]
	if string(e.Body) != "avro body" || e.Headers["host"] != "web-1" || e.Headers["topic"] != "original" || e.Headers["offset"] != "0" {
		t.Errorf("Avro event = %q %v; want its own body and headers (topic kept) plus the Kafka ones", e.Body, e.Headers)
	}
	if string(got[1].Body) != "\xffnot avro" {
		t.Errorf("a malformed value arrived as %q, want it delivered as it is", got[1].Body)
	}
	r.stop(t)
	if n := r.m.EventReadFail.Load(); n != 1 {
		t.Errorf("EventReadFail = %d, want 1", n)
	}
}

func TestTopicsRegexAndStartOffsetLatest(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.SeedTopics(1, "app-web", "app-db", "other"))
	brokers := c.ListenAddrs()
	produce(t, brokers, "app-web", "old", 10)
	p := &sourcetest.Processor{}
	r := start(t, brokers, p, func(c *Config) { c.Topics = nil; c.TopicsRegex = "^app-"; c.StartOffset = "latest" })
	// Latest: only what arrives once the group has its partitions.
	time.Sleep(time.Second)
	var want []string
	want = append(want, produce(t, brokers, "app-web", "web", 5)...)
	want = append(want, produce(t, brokers, "app-db", "db", 5)...)
	produce(t, brokers, "other", "ignored", 5)
	assertOnce(t, want, waitBodies(t, p, 10, 10*time.Second))
	time.Sleep(300 * time.Millisecond)
	assertOnce(t, want, p.Bodies())
	r.stop(t)
}

func TestRebalanceLosesNothing(t *testing.T) {
	// Two members share a 6-partition topic while records keep arriving: one joins mid-stream,
	// the first leaves mid-stream. Every record is delivered, duplicates only from batches a
	// member delivered but had not committed when its partitions moved (none, with commits
	// before each rebalance).
	c := kafkatest.Start(t, 3, kfake.SeedTopics(6, "logs"))
	brokers := c.ListenAddrs()
	a, b := &sourcetest.Processor{}, &sourcetest.Processor{}
	ra := start(t, brokers, a, nil)
	var want []string
	for i := range 10 {
		want = append(want, produce(t, brokers, "logs", fmt.Sprintf("r%d", i), 100)...)
		switch i {
		case 3:
			start(t, brokers, b, nil)
		case 6:
			ra.stop(t)
		}
		time.Sleep(100 * time.Millisecond)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := append(a.Bodies(), b.Bodies()...)
		seen := map[string]bool{}
		for _, g := range got {
			seen[g] = true
		}
		if len(seen) == len(want) {
			if dup := len(got) - len(seen); dup > 0 {
				t.Logf("%d duplicates across the rebalances", dup)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d records delivered after the rebalances", len(seen), len(want))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestReadsWhatKcatProduced(t *testing.T) {
	kcat := kafkatest.Kcat(t)
	c := kafkatest.Start(t, 1, kfake.SeedTopics(1, "logs"))
	brokers := c.ListenAddrs()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-b", kafkatest.Addrs(c), "-P", "-t", "logs", "-K", ":", "-H", "origin=kcat")
	cmd.Stdin = strings.NewReader("k1:hello from librdkafka\nk2:second line\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	p := &sourcetest.Processor{}
	start(t, brokers, p, nil)
	got := waitBodies(t, p, 2, 10*time.Second)
	if got[0] != "hello from librdkafka" || got[1] != "second line" {
		t.Fatalf("bodies = %q", got)
	}
	if h := p.Events()[0].Headers; h["key"] != "k1" || h["origin"] != "kcat" || h["topic"] != "logs" {
		t.Errorf("headers = %v, want key k1, origin kcat, topic logs", h)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no topics", func(c *Config) { c.Topics = nil }, "topics: set topics or topics_regex"},
		{"both", func(c *Config) { c.TopicsRegex = "x" }, "topics_regex: set topics or topics_regex, not both"},
		{"bad regex", func(c *Config) { c.Topics = nil; c.TopicsRegex = "(" }, "topics_regex:"},
		{"no brokers", func(c *Config) { c.Brokers = nil }, "brokers: must list"},
		{"broker without port", func(c *Config) { c.Brokers = []string{"kafka1"} }, `brokers: "kafka1" is not host:port`},
		{"start offset", func(c *Config) { c.StartOffset = "beginning" }, "start_offset:"},
		{"batch size", func(c *Config) { c.Batch = 0 }, "batch_size:"},
		{"sasl mechanism", func(c *Config) { c.SASL = &kafkaclient.SASL{Mechanism: "GSSAPI", Username: "u"} }, "sasl.mechanism: unknown mechanism"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Defaults()
			cfg.Brokers = []string{"127.0.0.1:9092"}
			cfg.Topics = []string{"logs"}
			c.edit(cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want %q", err, c.want)
			}
		})
	}
}

// TestUnreachableBrokersFeedTheSourcesHealth: the client retries unreachable brokers without
// a word, so a source that cannot fetch must say so through its health; once the broker
// answers and records flow, the streak ends.
func TestUnreachableBrokersFeedTheSourcesHealth(t *testing.T) {
	port := testkit.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	proc := &sourcetest.Processor{}
	r := start(t, []string{addr}, proc, nil)
	sourcetest.WaitFor(t, 30*time.Second, "a failure on the source's health", func() bool {
		return r.m.Health().State(time.Now(), time.Hour).Failures > 0
	})
	if st := r.m.Health().State(time.Now(), time.Hour); !strings.Contains(st.LastError, "cannot reach the brokers") {
		t.Errorf("last error %q, want it to say the brokers cannot be reached", st.LastError)
	}
	c := kafkatest.Start(t, 1, kfake.Ports(port), kfake.SeedTopics(1, "logs"))
	produce(t, c.ListenAddrs(), "logs", "m", 3)
	waitBodies(t, proc, 3, 30*time.Second)
	sourcetest.WaitFor(t, 30*time.Second, "the streak to end", func() bool {
		return !r.m.Health().State(time.Now(), time.Hour).Failing()
	})
}
