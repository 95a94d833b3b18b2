package memory

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/channeltest"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/exampletest"
	"github.com/flumego/flumego/metrics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newChannel opens a memory channel with its own metrics, closed when the test ends.
func newChannel(t *testing.T, cfg *Config) (*memChannel, *metrics.Channel) {
	t.Helper()
	m := metrics.NewRegistry("a1").Channel("c1", "memory")
	ch, err := New(cfg, channel.Settings{Name: "c1", Type: "memory", Logger: slog.New(slog.DiscardHandler), Metrics: m})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = ch.Close(context.Background()) })
	return ch.(*memChannel), m
}

func config(capacity, txCap int, keepAlive time.Duration) *Config {
	cfg := defaults()
	cfg.Capacity, cfg.TxCapacity, cfg.KeepAlive = capacity, txCap, keepAlive
	return cfg
}

func TestConformance(t *testing.T) {
	channeltest.Run(t, channeltest.Harness{
		Open: func(t *testing.T, o channeltest.Options) channel.Channel {
			ch, _ := newChannel(t, config(o.Capacity, o.TransactionCapacity, o.KeepAlive))
			return ch
		},
	})
}

func body(n int, fill byte) []byte { return bytes.Repeat([]byte{fill}, n) }

func putBodies(ctx context.Context, ch channel.Channel, sizes ...int) error {
	evs := make([]channel.Event, len(sizes))
	for i, n := range sizes {
		evs[i] = channel.Event{Body: body(n, 'a'+byte(i%26))}
	}
	return channel.PutBatch(ctx, ch, evs)
}

func TestByteCapacity(t *testing.T) {
	ctx := context.Background()
	cfg := config(100, 10, 0) // keep_alive 0: a put that does not fit fails at once
	cfg.ByteCapacity = 1000
	cfg.ByteCapacityBufferPercentage = 20 // bodies may fill 800 bytes
	ch, _ := newChannel(t, cfg)

	if err := putBodies(ctx, ch, 300, 300, 200); err != nil {
		t.Fatalf("put of 800 body bytes into 800: %v", err)
	}
	if err := putBodies(ctx, ch, 1); !errors.Is(err, channel.ErrFull) {
		t.Fatalf("put of 1 more byte: got %v, want ErrFull", err)
	}
	if err := putBodies(ctx, ch, 0); err != nil {
		t.Fatalf("an empty body costs no bytes, yet: %v", err)
	}

	// Taken but not committed still counts; a rollback frees nothing.
	tx := ch.BeginTake()
	if got, err := tx.Take(1); err != nil || len(got[0].Body) != 300 {
		t.Fatalf("Take(1): %v %v", got, err)
	}
	if err := putBodies(ctx, ch, 100); !errors.Is(err, channel.ErrFull) {
		t.Fatalf("put while 300 bytes are taken but not committed: got %v, want ErrFull", err)
	}
	tx.Rollback()
	if err := putBodies(ctx, ch, 100); !errors.Is(err, channel.ErrFull) {
		t.Fatalf("put after a take rollback: got %v, want ErrFull", err)
	}

	// A take commit releases the bytes of what it took.
	tx = ch.BeginTake()
	if _, err := tx.Take(1); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := putBodies(ctx, ch, 300); err != nil {
		t.Fatalf("put of 300 bytes after 300 were taken: %v", err)
	}
	if err := putBodies(ctx, ch, 1); !errors.Is(err, channel.ErrFull) {
		t.Fatalf("put of 1 more byte: got %v, want ErrFull", err)
	}
	if !strings.Contains(putBodies(ctx, ch, 1).Error(), "800 of 800 body bytes") {
		t.Errorf("ErrFull should say how many bytes are in use: %v", putBodies(ctx, ch, 1))
	}
}

func TestByteCapacityOversizedBatchFailsAtOnce(t *testing.T) {
	cfg := config(100, 10, time.Hour)
	cfg.ByteCapacity = 1000
	ch, _ := newChannel(t, cfg)
	start := time.Now()
	err := putBodies(context.Background(), ch, 500, 500)
	if !errors.Is(err, channel.ErrTooLarge) || !strings.Contains(err.Error(), "however much is taken") {
		t.Fatalf("put of 1000 body bytes with room for 800: got %v, want ErrTooLarge saying it can never fit", err)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("a batch that can never fit waited %s", waited)
	}
}

func TestKeepAlive(t *testing.T) {
	t.Run("put commit waits keep_alive then fails", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ch, _ := newChannel(t, config(2, 2, 3*time.Second))
			if err := putBodies(t.Context(), ch, 1, 1); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- putBodies(t.Context(), ch, 1) }()
			synctest.Wait()
			select {
			case err := <-done:
				t.Fatalf("put into a full channel returned %v before keep_alive", err)
			default:
			}
			time.Sleep(3*time.Second - time.Nanosecond)
			synctest.Wait()
			select {
			case err := <-done:
				t.Fatalf("put returned %v after %s, before keep_alive 3s", err, time.Since(start))
			default:
			}
			time.Sleep(time.Nanosecond)
			synctest.Wait()
			select {
			case err := <-done:
				if !errors.Is(err, channel.ErrFull) || !strings.Contains(err.Error(), "keep_alive 3s") {
					t.Fatalf("got %v, want ErrFull after keep_alive 3s", err)
				}
			default:
				t.Fatal("put still waiting after keep_alive")
			}
		})
	})
	t.Run("put commit succeeds when a take commits within keep_alive", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ch, _ := newChannel(t, config(2, 2, 3*time.Second))
			if err := putBodies(t.Context(), ch, 1, 1); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- putBodies(t.Context(), ch, 1) }()
			time.Sleep(time.Second)
			tx := ch.BeginTake()
			if _, err := tx.Take(1); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatalf("put waiting for room: %v", err)
			}
			if waited := time.Since(start); waited != time.Second {
				t.Errorf("put committed after %s, want 1s (when the take committed)", waited)
			}
		})
	})
	t.Run("keep_alive 0 fails at once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ch, _ := newChannel(t, config(1, 1, 0))
			if err := putBodies(t.Context(), ch, 1); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := putBodies(t.Context(), ch, 1); !errors.Is(err, channel.ErrFull) {
				t.Fatalf("got %v, want ErrFull", err)
			}
			if time.Since(start) != 0 {
				t.Errorf("waited %s with keep_alive 0", time.Since(start))
			}
		})
	})
	t.Run("close wakes a waiting put", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ch, _ := newChannel(t, config(1, 1, time.Hour))
			if err := putBodies(t.Context(), ch, 1); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- putBodies(t.Context(), ch, 1) }()
			synctest.Wait()
			var ab *channel.AbandonedError
			if err := ch.Close(t.Context()); !errors.As(err, &ab) || ab.Events != 1 {
				t.Fatalf("Close = %v, want the one queued event abandoned", err)
			}
			if err := <-done; !errors.Is(err, channel.ErrClosed) {
				t.Fatalf("put waiting when the channel closed: got %v, want ErrClosed", err)
			}
		})
	})
}

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	ch, m := newChannel(t, config(10, 5, 0))
	if got := m.ChannelCapacity.Load(); got != 10 {
		t.Errorf("ChannelCapacity = %d, want 10", got)
	}

	if err := putBodies(ctx, ch, 1, 1, 1); err != nil { // 3 attempted, 3 committed
		t.Fatal(err)
	}
	tx := ch.BeginPut() // 2 attempted, rolled back
	if err := tx.Put(channel.Event{}, channel.Event{}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Put(make([]channel.Event, 4)...); !errors.Is(err, channel.ErrTxFull) { // not staged, not counted
		t.Fatalf("Put over transaction capacity: %v", err)
	}
	tx.Rollback()
	if err := putBodies(ctx, ch, 1, 1, 1, 1, 1); err != nil { // 5 attempted, 5 committed
		t.Fatal(err)
	}
	if err := putBodies(ctx, ch, 1, 1, 1); !errors.Is(err, channel.ErrFull) { // 3 attempted, refused
		t.Fatalf("put into a channel with room for 2: %v", err)
	}

	take := ch.BeginTake()
	if got, _ := take.Take(4); len(got) != 4 { // 4 handed out: 4 attempts
		t.Fatalf("Take(4) got %d", len(got))
	}
	if got, _ := take.Take(4); len(got) != 1 { // 1 handed out, then the transaction is full: 2 attempts
		t.Fatalf("Take(4) got %d", len(got))
	}
	if _, err := take.Take(4); !errors.Is(err, channel.ErrTxFull) { // 1 attempt
		t.Fatalf("Take on a full transaction: %v", err)
	}
	if m.ChannelSize.Load() != 3 {
		t.Errorf("ChannelSize with 5 of 8 taken = %d, want 3", m.ChannelSize.Load())
	}
	if err := take.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	take = ch.BeginTake()
	if got, _ := take.Take(5); len(got) != 3 { // 3 handed out, then empty: 4 attempts
		t.Fatalf("Take(5) got %d", len(got))
	}
	take.Rollback()

	want := map[string]int64{
		"ChannelCapacity":       10,
		"ChannelSize":           3,
		"EventPutAttemptCount":  3 + 2 + 5 + 3,
		"EventPutSuccessCount":  3 + 5,
		"EventTakeAttemptCount": 4 + 2 + 1 + 4,
		"EventTakeSuccessCount": 5,
	}
	for _, c := range m.Values() {
		if w, ok := want[c.Name()]; ok && c.Load() != w {
			t.Errorf("%s = %d, want %d", c.Name(), c.Load(), w)
		}
	}
	for _, d := range m.DerivedValues() {
		if d.Name == "ChannelFillPercentage" && d.Fn() != 30 {
			t.Errorf("ChannelFillPercentage = %v, want 30", d.Fn())
		}
	}
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCloseLogsAbandonedEvents(t *testing.T) {
	ctx := context.Background()
	var logs syncBuffer
	m := metrics.NewRegistry("a1").Channel("c1", "memory")
	ch, err := New(config(10, 5, 0), channel.Settings{Name: "c1", Logger: slog.New(slog.NewTextHandler(&logs, nil)), Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	if err := putBodies(ctx, ch, 10, 10, 10, 10); err != nil {
		t.Fatal(err)
	}
	tx := ch.BeginTake()
	if _, err := tx.Take(1); err != nil {
		t.Fatal(err)
	}
	var ab *channel.AbandonedError
	if err := ch.Close(ctx); !errors.As(err, &ab) || ab.Channel != "c1" || ab.Events != 4 || ab.Bytes != 40 {
		t.Fatalf("Close = %v, want an AbandonedError counting 4 events of 40 bytes in c1", err)
	}
	if err := ch.Close(ctx); err != nil {
		t.Fatalf("second Close = %v, want nil (the first reported)", err)
	}
	out := logs.String()
	if strings.Count(out, "level=WARN") != 1 || !strings.Contains(out, "abandoned=4 queued=3 taken_uncommitted=1 bytes=40") {
		t.Errorf("Close should warn once about the 4 events it abandons; logged:\n%s", out)
	}
	if m.ChannelSize.Load() != 0 {
		t.Errorf("ChannelSize after Close = %d", m.ChannelSize.Load())
	}

	logs = syncBuffer{}
	empty, err := New(config(10, 5, 0), channel.Settings{Name: "c2", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := empty.Close(ctx); err != nil {
		t.Errorf("closing an empty channel = %v", err)
	}
	if logs.String() != "" {
		t.Errorf("closing an empty channel logged:\n%s", logs.String())
	}
}

// TestRollbackOrderModel drives random puts, takes, commits and rollbacks by several takers
// against a model of the contract: a take always hands out the oldest events available, in commit
// order, whatever rollbacks happened before. A small capacity makes the deque wrap and grow.
func TestRollbackOrderModel(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(seed, 7))
			const capacity = 300
			ch, _ := newChannel(t, config(capacity, 40, 0))
			var available []int // the model: event numbers waiting, in order
			next := 0
			type open struct {
				tx    channel.TakeTx
				taken []int
			}
			var takers []*open
			inUse := func() int {
				n := len(available)
				for _, o := range takers {
					n += len(o.taken)
				}
				return n
			}
			for range 2000 {
				switch op := rng.IntN(10); {
				case op < 3: // put
					n := 1 + rng.IntN(40)
					evs := make([]channel.Event, n)
					for i := range evs {
						evs[i] = channel.Event{Body: []byte(strconv.Itoa(next + i))}
					}
					err := channel.PutBatch(ctx, ch, evs)
					if inUse()+n > capacity {
						if !errors.Is(err, channel.ErrFull) {
							t.Fatalf("put of %d with %d of %d in use: %v", n, inUse(), capacity, err)
						}
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					for i := range n {
						available = append(available, next+i)
					}
					next += n
				case op < 6: // take, in a new or an open transaction
					var o *open
					if len(takers) > 0 && rng.IntN(2) == 0 {
						o = takers[rng.IntN(len(takers))]
					} else {
						o = &open{tx: ch.BeginTake()}
						takers = append(takers, o)
					}
					got, err := o.tx.Take(1 + rng.IntN(15))
					if err != nil && !errors.Is(err, channel.ErrTxFull) {
						t.Fatal(err)
					}
					for _, e := range got {
						n, _ := strconv.Atoi(string(e.Body))
						if len(available) == 0 || available[0] != n {
							t.Fatalf("took event %d, the oldest available is %v", n, available[:min(3, len(available))])
						}
						available = available[1:]
						o.taken = append(o.taken, n)
					}
				case len(takers) > 0: // finish a transaction
					i := rng.IntN(len(takers))
					o := takers[i]
					takers = slices.Delete(takers, i, i+1)
					if op < 8 {
						o.tx.Rollback()
						available = append(available, o.taken...)
						slices.Sort(available)
					} else if err := o.tx.Commit(ctx); err != nil {
						t.Fatal(err)
					}
				}
				if ch.q.n != len(available) {
					t.Fatalf("channel holds %d events, model %d", ch.q.n, len(available))
				}
			}
		})
	}
}

func TestDequeGrowsLazilyAndShrinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		ch, _ := newChannel(t, config(1_000_000, 1000, 0))
		if len(ch.q.ev) != 0 {
			t.Fatalf("a new channel allocated %d slots", len(ch.q.ev))
		}
		batch := make([]channel.Event, 1000)
		for range 200 {
			if err := channel.PutBatch(ctx, ch, batch); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(ch.q.ev); n < 200_000 || n > 400_000 {
			t.Fatalf("200000 events held in %d slots", n)
		}
		takeAll := func() {
			for {
				tx := ch.BeginTake()
				got, err := tx.Take(1000)
				if err != nil {
					t.Fatal(err)
				}
				_ = tx.Commit(ctx)
				if len(got) == 0 {
					return
				}
			}
		}
		takeAll()
		if n := len(ch.q.ev); n < 200_000 {
			t.Fatalf("the deque shrank to %d slots right after the burst; it should wait %s", n, shrinkAfter)
		}
		time.Sleep(shrinkAfter)
		takeAll() // a sink polling the idle channel
		if n, floor := len(ch.q.ev), 4*1000; n != floor {
			t.Fatalf("drained channel holds %d slots %s after the burst, want %d", n, shrinkAfter, floor)
		}
	})
}

func TestConfig(t *testing.T) {
	f := NewFactory()
	if f.Type() != "memory" {
		t.Fatalf("Type() = %q", f.Type())
	}
	tests := []struct {
		name string
		src  string
		want *Config  // nil when errors are expected
		errs []string // "line: substring"
	}{
		{
			name: "defaults",
			src:  "",
			want: &Config{Capacity: 20000, TxCapacity: 10000, ByteCapacity: 128 << 20, ByteCapacityBufferPercentage: 20, KeepAlive: 3 * time.Second},
		},
		{
			name: "all settings",
			src: `capacity = 10000
transaction_capacity = 1000
byte_capacity = "64MiB"
byte_capacity_buffer_percentage = 10
keep_alive = "500ms"`,
			want: &Config{Capacity: 10000, TxCapacity: 1000, ByteCapacity: 64 << 20, ByteCapacityBufferPercentage: 10, KeepAlive: 500 * time.Millisecond},
		},
		{
			name: "keep_alive in seconds as Flume writes it",
			src:  `keep_alive = 5`,
			want: &Config{Capacity: 20000, TxCapacity: 10000, ByteCapacity: 128 << 20, ByteCapacityBufferPercentage: 20, KeepAlive: 5 * time.Second},
		},
		{
			name: "transaction_capacity left out follows a small capacity",
			src:  `capacity = 500`,
			want: &Config{Capacity: 500, TxCapacity: 500, ByteCapacity: 128 << 20, ByteCapacityBufferPercentage: 20, KeepAlive: 3 * time.Second},
		},
		{
			name: "every problem at once",
			src: `capacity = 0
transaction_capacity = -1
byte_capacity_buffer_percentage = 101`,
			errs: []string{"1: capacity: must be at least 1", "2: transaction_capacity: must be at least 1", "3: byte_capacity_buffer_percentage: must be between 0 and 100"},
		},
		{
			name: "transaction larger than the channel",
			src: `capacity = 100
transaction_capacity = 1000`,
			errs: []string{"2: transaction_capacity: 1000 is larger than capacity 100"},
		},
		{
			name: "buffer leaves nothing for bodies",
			src: `byte_capacity = "1KiB"
byte_capacity_buffer_percentage = 100`,
			errs: []string{"2: byte_capacity_buffer_percentage: 100% of byte_capacity 1KiB leaves no room"},
		},
		{
			name: "negative keep_alive",
			src:  `keep_alive = "-1s"`,
			errs: []string{"1: keep_alive: must not be negative"},
		},
		{
			name: "bad size",
			src:  `byte_capacity = "lots"`,
			errs: []string{"1: byte_capacity: invalid size"},
		},
		{
			name: "unknown attribute",
			src:  `transactionCapacity = 10`,
			errs: []string{`1: Unsupported argument`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, diags := hclsyntax.ParseConfig([]byte(tt.src), "flume.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			subject := hcl.Range{Filename: "flume.hcl", Start: hcl.InitialPos, End: hcl.InitialPos}
			cfg, diags := f.Decode(file.Body, nil, `channel "memory" "c1"`, subject)
			if tt.want != nil {
				if diags.HasErrors() {
					t.Fatalf("unexpected diagnostics: %v", diags)
				}
				if got := *cfg.(*Config); got != *tt.want {
					t.Fatalf("decoded %+v, want %+v", got, *tt.want)
				}
				return
			}
			var got []string
			for _, d := range diags {
				line := 0
				if d.Subject != nil {
					line = d.Subject.Start.Line
				}
				got = append(got, strconv.Itoa(line)+": "+d.Summary)
			}
			if len(got) != len(tt.errs) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(tt.errs), strings.Join(got, "\n"))
			}
			for i, want := range tt.errs {
				line, msg, _ := strings.Cut(want, ": ")
				if !strings.HasPrefix(got[i], line+": ") || !strings.Contains(got[i], msg) {
					t.Errorf("diagnostic %d = %q, want line %s and %q", i, got[i], line, msg)
				}
				if !strings.Contains(got[i], `channel "memory" "c1"`) {
					t.Errorf("diagnostic %d does not name the component: %q", i, got[i])
				}
			}
		})
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	_, err := New(config(10, 20, 0), channel.Settings{Name: "c1"})
	var ae *schema.AttrError
	if !errors.As(err, &ae) || ae.Attr != "transaction_capacity" || !strings.HasPrefix(err.Error(), "memory c1: ") {
		t.Fatalf("New with transaction_capacity > capacity: got %v", err)
	}
	if got := config(10, 7, 0).TransactionCapacity(); got != 7 {
		t.Errorf("TransactionCapacity() = %d, want 7", got)
	}
	var _ channel.TxCapacity = (*Config)(nil)
}

// TestExample decodes every channel block of example.hcl through the factory and opens it.
func TestExample(t *testing.T) {
	f := NewFactory()
	for _, b := range exampletest.Decode(t, "channel", "memory", f) {
		ch, err := f.Create(b.Config, channel.Settings{Name: b.Name, Type: "memory"})
		if err != nil {
			t.Fatal(err)
		}
		if err := putBodies(context.Background(), ch, 10); err != nil {
			t.Errorf("%s: put: %v", b.Name, err)
		}
		_ = ch.Close(context.Background())
	}
}
