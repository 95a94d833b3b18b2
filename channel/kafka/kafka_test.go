package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/kafkatest"
	"github.com/flumego/flumego/metrics"
)

func open(t *testing.T, brokers []string, edit func(*Config)) *Channel {
	t.Helper()
	cfg := Defaults()
	cfg.Brokers = brokers
	cfg.TxCapacity = 100
	if edit != nil {
		edit(cfg)
	}
	ch, err := New(cfg, channel.Settings{Name: "c1", Type: "kafka", Logger: slog.New(slog.DiscardHandler),
		Metrics: metrics.NewRegistry("a1").Channel("c1", "kafka")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ch.Close(context.Background()) })
	return ch.(*Channel)
}

func TestAgentsSharingAChannelLoseNothingWhenOneLeaves(t *testing.T) {
	// Two agents share a 4-partition channel topic on three brokers through one group; each
	// puts and takes. One leaves half-way: its partitions move to the other, which must end
	// with every event, duplicates only from takes the leaver had open.
	c := kafkatest.Start(t, 3, kfake.SeedTopics(4, "shared"))
	brokers := c.ListenAddrs()
	a := open(t, brokers, func(c *Config) { c.Topic = "shared" })
	b := open(t, brokers, func(c *Config) { c.Topic = "shared" })
	const perAgent = 2000
	var mu sync.Mutex
	taken := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	takeFrom := func(ch *Channel, stop <-chan struct{}) {
		for ctx.Err() == nil {
			select {
			case <-stop:
				return
			default:
			}
			tx := ch.BeginTake()
			evs, err := tx.Take(50)
			if err != nil {
				tx.Rollback()
				return
			}
			got := make([]string, len(evs))
			for i, e := range evs {
				got[i] = string(e.Body)
			}
			if tx.Commit(ctx) != nil {
				return
			}
			mu.Lock()
			for _, g := range got {
				taken[g]++
			}
			mu.Unlock()
			if len(evs) == 0 {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	put := func(ch *Channel, name string, from, to int) {
		for i := from; i < to; i += 50 {
			batch := make([]channel.Event, 50)
			for j := range batch {
				batch[j] = channel.Event{Body: fmt.Appendf(nil, "%s-%05d", name, i+j)}
			}
			if err := channel.PutBatch(ctx, ch, batch); err != nil {
				t.Errorf("put into %s: %v", name, err)
				return
			}
		}
	}
	stopA, stopB := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); takeFrom(a, stopA) }()
	go func() { defer wg.Done(); takeFrom(b, stopB) }()
	put(a, "a", 0, perAgent/2)
	put(b, "b", 0, perAgent/2)
	close(stopA)
	if err := a.Close(ctx); err != nil { // a leaves; b gets its partitions
		t.Fatal(err)
	}
	put(b, "a", perAgent/2, perAgent) // a's traffic moves to b, as a load balancer would send it
	put(b, "b", perAgent/2, perAgent)
	want := 2 * perAgent
	for {
		mu.Lock()
		n := len(taken)
		mu.Unlock()
		if n == want {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d of %d events taken", n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stopB)
	wg.Wait()
	dups := 0
	for _, n := range taken {
		dups += n - 1
	}
	t.Logf("%d events, none lost, %d taken twice across the rebalance", want, dups)
}

func TestKcatReadsTheChannelTopic(t *testing.T) {
	kcat := kafkatest.Kcat(t)
	c := kafkatest.Start(t, 1, kfake.SeedTopics(1, "plain"))
	ch := open(t, c.ListenAddrs(), func(c *Config) { c.Topic = "plain"; c.ParseAsFlumeEvent = false })
	in := []channel.Event{{Headers: map[string]string{"host": "web-1"}, Body: []byte("first")}, {Body: []byte("second")}}
	if err := channel.PutBatch(context.Background(), ch, in); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, kcat, "-b", kafkatest.Addrs(c), "-C", "-t", "plain", "-o", "beginning", "-e", "-q",
		"-f", "%h|%s\n").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	if got := strings.Split(strings.TrimSpace(string(out)), "\n"); !slices.Equal(got, []string{"host=web-1|first", "|second"}) {
		t.Fatalf("kcat read %q", got)
	}
	// And the channel hands the same events back, headers included.
	tx := ch.BeginTake()
	defer tx.Rollback()
	evs, err := tx.Take(10)
	if err != nil || len(evs) != 2 || string(evs[0].Body) != "first" || evs[0].Headers["host"] != "web-1" {
		t.Fatalf("Take = %v, %v", evs, err)
	}
}
