// Package kafkatest starts real Kafka wire-protocol brokers for tests (franz-go's kfake,
// in-process, on 127.0.0.1) and reads and writes their topics with an independent client, so
// the Kafka components are checked against a broker, never a mock of the client.
package kafkatest

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flumego/flumego/internal/testkit"
)

// Start starts a cluster of brokers brokers on free loopback ports, closed when the test ends.
// Extra options (topics, SASL, persistence) are passed through.
func Start(t testing.TB, brokers int, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	ports := make([]int, brokers)
	for i := range ports {
		ports[i] = testkit.FreePort(t)
	}
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.Ports(ports...)}, opts...)...)
	if err != nil {
		t.Fatalf("start kfake cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// Client returns a plain franz-go client on the brokers, closed when the test ends.
func Client(t testing.TB, brokers []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Produce writes records and fails the test unless every one was acknowledged.
func Produce(t testing.TB, brokers []string, recs ...*kgo.Record) {
	t.Helper()
	cl := Client(t, brokers)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// ReadN reads topic from its start, without a group, until it has n records, and fails the
// test if they do not all arrive within timeout. Records are in partition order within each
// partition.
func ReadN(t testing.TB, brokers []string, topic string, n int, timeout time.Duration) []*kgo.Record {
	t.Helper()
	cl := Client(t, brokers, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(200*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %s: %d of %d records after %s", topic, len(out), n, timeout)
		}
		fs.EachError(func(topic string, p int32, err error) {
			t.Logf("fetch %s/%d: %v", topic, p, err)
		})
		out = append(out, fs.Records()...)
	}
	return out
}

// Count returns the number of records in topic: the sum of its partitions' end offsets (no
// records are ever deleted by the tests).
func Count(t testing.TB, c *kfake.Cluster, topic string) int64 {
	t.Helper()
	var n int64
	for _, p := range c.PartitionInfos(topic) {
		n += p.HighWatermark
	}
	return n
}

// Kcat returns the path of kcat (librdkafka's command-line client), skipping the test when it is
// not installed.
func Kcat(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not installed (Debian package kcat); skipping the librdkafka interoperability check")
	}
	return p
}

// Addrs returns a cluster's listen addresses joined by commas, as kcat and Flume configs take
// them.
func Addrs(c *kfake.Cluster) string { return strings.Join(c.ListenAddrs(), ",") }
