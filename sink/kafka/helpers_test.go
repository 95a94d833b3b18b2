package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/kafkatest"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/sink"
)

// newSink creates a sink on brokers with Defaults changed by edit; it is closed when the test
// ends.
func newSink(t *testing.T, brokers []string, edit func(*Config)) (*Sink, *metrics.Sink) {
	t.Helper()
	cfg := Defaults()
	cfg.Brokers = brokers
	if edit != nil {
		edit(cfg)
	}
	m := metrics.NewRegistry("a1").Sink("k1", "kafka")
	s, err := New(cfg, sink.Settings{Name: "k1", Type: "kafka", Logger: slog.New(slog.DiscardHandler), Metrics: m, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s.(*Sink), m
}

// cluster starts one broker with the topics seeded.
func cluster(t *testing.T, partitions int32, topics ...string) (*kfake.Cluster, []string) {
	t.Helper()
	c := kafkatest.Start(t, 1, kfake.SeedTopics(partitions, topics...))
	return c, c.ListenAddrs()
}

func lines(prefix string, n int) []channel.Event {
	out := make([]channel.Event, n)
	for i := range out {
		out[i] = channel.Event{Body: fmt.Appendf(nil, "%s-%04d", prefix, i)}
	}
	return out
}

func counter(m *metrics.Sink, name string) int64 { return m.Component.Counter(name).Load() }
