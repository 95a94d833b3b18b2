package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/channeltest"
	"github.com/flumego/flumego/internal/kafkatest"
	"github.com/flumego/flumego/metrics"
)

// TestConformance runs the channel suite against a kafka channel on a one-partition topic of a
// kfake broker: each Open gets a topic and group of its own, Reopen closes the channel and opens
// one on the same topic and group, as an agent restart does.
//
// The suite has no way to skip a check, and the kafka channel passes all of them, with two
// readings worth knowing (see the package doc): "capacity" is the capacity setting, which
// counts what this channel instance put and has not taken, and a take right after a put waits
// (up to poll_timeout) for the records the broker already acknowledged to come back from it.
func TestConformance(t *testing.T) {
	c := kafkatest.Start(t, 1, kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1))
	brokers := c.ListenAddrs()
	var n atomic.Int64
	open := func(t *testing.T, o channeltest.Options, topic string) channel.Channel {
		cfg := Defaults()
		cfg.Brokers = brokers
		cfg.Topic, cfg.GroupID = topic, topic+"-group"
		cfg.Capacity, cfg.TxCapacity, cfg.KeepAlive = o.Capacity, o.TransactionCapacity, o.KeepAlive
		ch, err := New(cfg, channel.Settings{Name: "c1", Type: "kafka", Logger: slog.New(slog.DiscardHandler),
			Metrics: metrics.NewRegistry("a1").Channel("c1", "kafka")})
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	channeltest.Run(t, channeltest.Harness{
		Open: func(t *testing.T, o channeltest.Options) channel.Channel {
			topic := fmt.Sprintf("ch-%d", n.Add(1))
			if err := c.CreateTopic(topic, 1, nil); err != nil {
				t.Fatal(err)
			}
			return open(t, o, topic)
		},
		Reopen: func(t *testing.T, ch channel.Channel, o channeltest.Options) channel.Channel {
			topic := ch.(*Channel).cfg.Topic
			if err := ch.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			return open(t, o, topic)
		},
	})
}
