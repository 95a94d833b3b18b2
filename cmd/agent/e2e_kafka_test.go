package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flumego/flumego/internal/kafkatest"
	"github.com/flumego/flumego/internal/testkit"
)

// The Kafka flows run the real agent against franz-go's kfake broker, a Kafka wire-protocol
// implementation, in the test process on 127.0.0.1, and read the topics back with an
// independent client.

func recordValues(recs []*kgo.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}

// readAll reads topic from its start until every line of want arrived (duplicates do not count
// twice) and returns every record read, or fails the test after timeout.
func readAll(t *testing.T, brokers []string, topic string, want []string, timeout time.Duration) []*kgo.Record {
	t.Helper()
	cl := kafkatest.Client(t, brokers, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(200*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	need := make(map[string]bool, len(want))
	for _, w := range want {
		need[w] = true
	}
	var out []*kgo.Record
	for len(need) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%d of %d lines missing from %s after %s", len(need), len(want), topic, timeout)
		}
		for _, r := range fs.Records() {
			delete(need, string(r.Value))
			out = append(out, r)
		}
	}
	return out
}

// countMissing returns how many of want are not in got, and how many of got are duplicates.
func countMissing(want, got []string) (missing, dups int) {
	seen := map[string]int{}
	for _, g := range got {
		seen[g]++
	}
	for _, w := range want {
		switch n := seen[w]; {
		case n == 0:
			missing++
		case n > 1:
			dups += n - 1
		}
	}
	return missing, dups
}

func TestNetcatMemoryKafka(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.SeedTopics(3, "test"))
	port := testkit.FreePort(t)
	p := startAgent(t, example("netcat-kafka.hcl"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_KAFKA_BROKERS": c.ListenAddrs()[0],
	})
	want := numbered("netcat-kafka-", 3000)
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", port), want, true)
	got := recordValues(readAll(t, c.ListenAddrs(), "test", want, 30*time.Second))
	time.Sleep(200 * time.Millisecond) // anything beyond the lines sent would be a duplicate
	if n := kafkatest.Count(t, c, "test"); n != int64(len(want)) {
		t.Errorf("the topic holds %d records for %d lines", n, len(want))
	}
	assertExactlyOnce(t, want, got)
	waitFor(t, 10*time.Second, "the sink's counters", func() bool {
		return p.metric(t, `flumego_sink_event_drain_success_total{agent="a1",component="k1",type="kafka"}`) == 3000
	})
	if v := p.metric(t, `flumego_sink_batch_complete_total{agent="a1",component="k1",type="kafka"}`); v < 1 {
		t.Errorf("BatchCompleteCount = %v; batches of 20 should fill", v)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestKafkaBrokerStoppedMidStreamLosesNothing(t *testing.T) {
	// The broker keeps its log on disk, is stopped for 10 s mid-stream and started again on the
	// same port. Lines acknowledged by netcat are in the memory channel; the sink's batches wait
	// (or fail and are retried) until the broker is back: none is lost.
	dir := t.TempDir()
	kport := testkit.FreePort(t)
	startBroker := func() *kfake.Cluster {
		c, err := kfake.NewCluster(kfake.Ports(kport), kfake.DataDir(dir), kfake.SeedTopics(3, "test"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := startBroker()
	var mu sync.Mutex
	t.Cleanup(func() { mu.Lock(); c.Close(); mu.Unlock() })
	broker := c.ListenAddrs()[0]
	port := testkit.FreePort(t)
	p := startAgent(t, example("netcat-kafka.hcl"), map[string]string{
		"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_KAFKA_BROKERS": broker,
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	want := numbered("restart-", 6000)
	sendLines(t, addr, want[:2000], true)
	mu.Lock()
	c.Close()
	mu.Unlock()
	stopped := time.Now()
	sendLines(t, addr, want[2000:4000], true) // accepted into the channel while Kafka is down
	time.Sleep(10*time.Second - time.Since(stopped))
	mu.Lock()
	c = startBroker()
	mu.Unlock()
	sendLines(t, addr, want[4000:], true)
	got := recordValues(readAll(t, []string{broker}, "test", want, 60*time.Second))
	missing, dups := countMissing(want, got)
	if missing > 0 {
		t.Fatalf("%d of %d lines missing after the broker restart", missing, len(want))
	}
	t.Logf("%d lines, none missing, %d duplicates (batches retried across the outage)", len(want), dups)
	p.stop(t, syscall.SIGTERM)
}

func TestKafkaFaultsAreClearAndOtherFlowsKeepRunning(t *testing.T) {
	// One agent, three flows: into a topic that does not exist (and the broker does not
	// create), into a broker that refuses our password, and into file_roll. The Kafka flows
	// fail with a clear error and their counters; the third delivers everything.
	plain := kafkatest.Start(t, 1, kfake.SeedTopics(1, "exists"))
	secured := kafkatest.Start(t, 1, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "flume", "right"), kfake.SeedTopics(1, "logs"))
	dir := t.TempDir()
	ports := [3]int{testkit.FreePort(t), testkit.FreePort(t), testkit.FreePort(t)}
	cfg := fmt.Sprintf(`agent "a1" {
  source "netcat" "missing_topic" {
    bind = "127.0.0.1"
    port = %d
    channels = ["c1"]
  }
  source "netcat" "wrong_password" {
    bind = "127.0.0.1"
    port = %d
    channels = ["c2"]
  }
  source "netcat" "healthy" {
    bind = "127.0.0.1"
    port = %d
    channels = ["c3"]
  }
  channel "memory" "c1" {}
  channel "memory" "c2" {}
  channel "memory" "c3" {}
  sink "kafka" "k1" {
    channel  = "c1"
    brokers  = [%q]
    topic    = "no-such-topic"
    producer = { "retry.backoff.ms" = "100" }
  }
  sink "kafka" "k2" {
    channel  = "c2"
    brokers  = [%q]
    topic    = "logs"
    sasl {
      mechanism = "SCRAM-SHA-256"
      username  = "flume"
      password  = "wrong"
    }
    producer = { "delivery.timeout.ms" = "2000" }
  }
  sink "file_roll" "k3" {
    channel       = "c3"
    directory     = %q
    roll_interval = "0"
  }
  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
`, ports[0], ports[1], ports[2], plain.ListenAddrs()[0], secured.ListenAddrs()[0], dir)
	path := filepath.Join(t.TempDir(), "faults.hcl")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startAgent(t, path, nil)
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", ports[0]), numbered("lost-topic-", 10), true)
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", ports[1]), numbered("bad-password-", 10), true)
	want := numbered("healthy-", 500)
	sendLines(t, fmt.Sprintf("127.0.0.1:%d", ports[2]), want, true)
	waitFor(t, 20*time.Second, "the healthy flow to deliver", func() bool { return len(dirLines(t, dir)) == len(want) })
	assertExactlyOnce(t, want, dirLines(t, dir))
	waitFor(t, 60*time.Second, "both Kafka sinks to report their failure", func() bool {
		out := p.out.String()
		// kfake hangs up on a wrong password where Kafka answers SASL_AUTHENTICATION_FAILED:
		// the error then names the connection failure.
		return strings.Contains(out, `sink k1: produce: 10 of 10 records failed: topic \"no-such-topic\": UNKNOWN_TOPIC_OR_PARTITION`) &&
			strings.Contains(out, `sink k2: produce: 10 of 10 records failed: topic \"logs\"`) && strings.Contains(out, "EOF")
	})
	for _, k := range []string{"k1", "k2"} {
		if v := p.metric(t, fmt.Sprintf(`flumego_sink_event_write_fail_total{agent="a1",component=%q,type="kafka"}`, k)); v < 10 {
			t.Errorf("%s EventWriteFail = %v, want at least 10", k, v)
		}
		if v := p.metric(t, fmt.Sprintf(`flumego_sink_rollback_total{agent="a1",component=%q,type="kafka"}`, k)); v < 1 {
			t.Errorf("%s RollbackCount = %v, want at least 1", k, v)
		}
	}
	if v := p.metric(t, `flumego_sink_connection_failed_total{agent="a1",component="k2",type="kafka"}`); v < 1 {
		t.Errorf("k2 ConnectionFailedCount = %v, want at least 1", v)
	}
	if n := kafkatest.Count(t, secured, "logs"); n != 0 {
		t.Errorf("%d records reached the broker that refused the password", n)
	}
	p.stop(t, syscall.SIGTERM)
}

func TestTaildirFileChannelKafkaSurvivesKill9(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.SeedTopics(3, "app-logs"))
	broker := c.ListenAddrs()[0]
	work := t.TempDir()
	logDir := filepath.Join(work, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"FLUMEGO_POSITION_FILE": filepath.Join(work, "positions.json"),
		"FLUMEGO_TAIL_PATH":     filepath.Join(logDir, "*.log"),
		"FLUMEGO_CHANNEL_DIR":   filepath.Join(work, "channel"),
		"FLUMEGO_MIN_SPACE":     "1MiB",
		"FLUMEGO_KAFKA_BROKERS": broker,
		"FLUMEGO_SOURCE_BATCH":  "200",
		"FLUMEGO_SINK_BATCH":    "200",
	}
	f, err := os.Create(filepath.Join(logDir, "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := numbered("tail-", 20000)
	write := func(lines []string) {
		if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	p := startAgent(t, example("taildir-file-kafka.hcl"), env)
	for i := 0; i < 10000; i += 500 {
		write(want[i : i+500])
		time.Sleep(20 * time.Millisecond)
	}
	waitFor(t, 30*time.Second, "some records in the topic", func() bool { return kafkatest.Count(t, c, "app-logs") > 2000 })
	if err := p.cmd.Process.Kill(); err != nil { // kill -9 mid-stream
		t.Fatal(err)
	}
	<-p.done
	write(want[10000:])
	p = startAgent(t, example("taildir-file-kafka.hcl"), env)
	recs := readAll(t, []string{broker}, "app-logs", want, 90*time.Second)
	got := recordValues(recs)
	missing, dups := countMissing(want, got)
	if missing > 0 {
		t.Fatalf("%d of %d lines missing after kill -9", missing, len(want))
	}
	for _, r := range recs[:1] {
		var service string
		for _, h := range r.Headers {
			if h.Key == "service" {
				service = string(h.Value)
			}
		}
		if service != "app" {
			t.Errorf("record headers %v, want the filegroup's header service=app", r.Headers)
		}
	}
	// Duplicates come only from the batch in flight: the sink's take (200) and, at most, the
	// source's last put if its position was not saved yet (200).
	if dups > 400 {
		t.Errorf("%d duplicates after kill -9; at most one sink and one source batch (400) may repeat", dups)
	}
	t.Logf("%d lines, none missing, %d duplicates after kill -9", len(want), dups)
	p.stop(t, syscall.SIGTERM)
}

func TestKafkaSourceResumesAfterRestart(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.SeedTopics(3, "app-logs"))
	broker := c.ListenAddrs()[0]
	out := t.TempDir()
	env := map[string]string{"FLUMEGO_KAFKA_BROKERS": broker, "FLUMEGO_OUT": out}
	produce := func(lines []string) {
		recs := make([]*kgo.Record, len(lines))
		for i, l := range lines {
			recs[i] = &kgo.Record{Topic: "app-logs", Value: []byte(l)}
		}
		kafkatest.Produce(t, []string{broker}, recs...)
	}
	first, second := numbered("first-", 3000), numbered("second-", 2000)
	produce(first)
	p := startAgent(t, example("kafka-fileroll.hcl"), env)
	waitFor(t, 30*time.Second, "the first records in file_roll", func() bool { return len(dirLines(t, out)) >= len(first) })
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d", code)
	}
	produce(second)
	p = startAgent(t, example("kafka-fileroll.hcl"), env)
	all := append(append([]string{}, first...), second...)
	waitFor(t, 30*time.Second, "the second records in file_roll", func() bool { return len(dirLines(t, out)) >= len(all) })
	p.stop(t, syscall.SIGTERM)
	assertExactlyOnce(t, all, dirLines(t, out))
}

func TestNetcatKafkaChannelSurvivesKill9(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.SeedTopics(1, "flume-channel"))
	port := testkit.FreePort(t)
	out := t.TempDir()
	env := map[string]string{"FLUMEGO_PORT": fmt.Sprint(port), "FLUMEGO_KAFKA_BROKERS": c.ListenAddrs()[0], "FLUMEGO_OUT": out}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	want := numbered("kchan-", 4000)
	p := startAgent(t, example("netcat-kafka-channel.hcl"), env)
	sendLines(t, addr, want[:2000], true) // every OK is in the topic
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p = startAgent(t, example("netcat-kafka-channel.hcl"), env)
	sendLines(t, addr, want[2000:], true)
	waitFor(t, 60*time.Second, "every line in file_roll", func() bool {
		missing, _ := countMissing(want, dirLines(t, out))
		return missing == 0
	})
	_, dups := countMissing(want, dirLines(t, out))
	if dups > 100 {
		t.Errorf("%d duplicates after kill -9; at most the sink's batch in flight (100) may repeat", dups)
	}
	t.Logf("%d lines through the kafka channel, none missing, %d duplicates after kill -9", len(want), dups)
	p.stop(t, syscall.SIGTERM)
}
