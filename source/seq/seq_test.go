package seq_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/exampletest"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/seq"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func sourceSettings(p source.Processor) source.Settings {
	return source.Settings{Name: "s1", Type: "seq", Processor: p}
}

func newSource(t *testing.T, cfg *seq.Config, p source.Processor) source.Source {
	t.Helper()
	src, err := seq.New(cfg, sourceSettings(p))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return src
}

// runToEnd runs a source that has a total and fails if Run does not return by itself.
func runToEnd(t *testing.T, src source.Source) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := src.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("Run returned only when its context ended")
	}
}

func numbers(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

func TestBodiesAreConsecutiveNumbers(t *testing.T) {
	tests := []struct {
		batch      int
		total      int64
		wantSizes  []int
		wantBodies []string
	}{
		{batch: 1, total: 5, wantSizes: []int{1, 1, 1, 1, 1}},
		{batch: 3, total: 10, wantSizes: []int{3, 3, 3, 1}},
		{batch: 7, total: 14, wantSizes: []int{7, 7}},
		{batch: 100, total: 25, wantSizes: []int{25}},
		{batch: 1000, total: 2500, wantSizes: []int{1000, 1000, 500}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("batch=%d/total=%d", tt.batch, tt.total), func(t *testing.T) {
			p := &sourcetest.Processor{}
			runToEnd(t, newSource(t, &seq.Config{Batch: tt.batch, Total: tt.total}, p))
			if got := p.BatchSizes(); !slices.Equal(got, tt.wantSizes) {
				t.Errorf("batch sizes = %v, want %v", got, tt.wantSizes)
			}
			if got, want := p.Bodies(), numbers(0, int(tt.total)); !slices.Equal(got, want) {
				t.Errorf("bodies = %q, want %q", got, want)
			}
			for _, b := range p.Batches() {
				for _, e := range b {
					if cap(e.Body) != len(e.Body) {
						t.Fatalf("body %q has room to grow into its neighbour (cap %d)", e.Body, cap(e.Body))
					}
					if e.Headers != nil {
						t.Fatalf("event %q has headers %v", e.Body, e.Headers)
					}
				}
			}
		})
	}
}

func TestStartAndPadding(t *testing.T) {
	tests := []struct {
		name string
		cfg  seq.Config
		want []string
	}{
		{name: "start", cfg: seq.Config{Start: 1000, Total: 3, Batch: 2}, want: []string{"1000", "1001", "1002"}},
		{name: "padded", cfg: seq.Config{Total: 3, Batch: 10, BodySize: 4}, want: []string{"0000", "0001", "0002"}},
		{name: "padding never truncates", cfg: seq.Config{Start: 998, Total: 4, Batch: 10, BodySize: 3},
			want: []string{"998", "999", "1000", "1001"}},
		{name: "padding across a new digit", cfg: seq.Config{Start: 8, Total: 4, Batch: 4, BodySize: 2},
			want: []string{"08", "09", "10", "11"}},
		{name: "large body", cfg: seq.Config{Start: 7, Total: 2, Batch: 2, BodySize: 1000},
			want: []string{strings.Repeat("0", 999) + "7", strings.Repeat("0", 999) + "8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &sourcetest.Processor{}
			runToEnd(t, newSource(t, &tt.cfg, p))
			if got := p.Bodies(); !slices.Equal(got, tt.want) {
				t.Errorf("bodies = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFullChannelLosesNothing(t *testing.T) {
	p := &sourcetest.Processor{RefuseFirst: 25}
	runToEnd(t, newSource(t, &seq.Config{Total: 50, Batch: 5}, p))
	if n := p.Refusals(); n != 25 {
		t.Errorf("refused %d attempts, want 25", n)
	}
	if got, want := p.Bodies(), numbers(0, 50); !slices.Equal(got, want) {
		t.Errorf("bodies = %q, want %q", got, want)
	}
}

func TestRateIsRespected(t *testing.T) {
	tests := []struct {
		rate     float64
		batch    int
		run      time.Duration
		min, max int
	}{
		{rate: 100, batch: 10, run: 10 * time.Second, min: 1000, max: 1010},
		{rate: 1000, batch: 1, run: 2 * time.Second, min: 2000, max: 2001},
		{rate: 0.5, batch: 1, run: 10 * time.Second, min: 5, max: 6},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("rate=%v/batch=%d", tt.rate, tt.batch), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := &sourcetest.Processor{}
				src := newSource(t, &seq.Config{Batch: tt.batch, Rate: tt.rate}, p)
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error)
				go func() { done <- src.Run(ctx) }()
				time.Sleep(tt.run)
				synctest.Wait()
				n := p.Count()
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Run: %v", err)
				}
				if n < tt.min || n > tt.max {
					t.Errorf("%v at %v events/s delivered %d events, want %d-%d", tt.run, tt.rate, n, tt.min, tt.max)
				}
			})
		})
	}
}

func TestCancelStopsRun(t *testing.T) {
	tests := []struct {
		name string
		p    *sourcetest.Processor
	}{
		{name: "generating without end", p: &sourcetest.Processor{}},
		{name: "blocked in a full channel", p: &sourcetest.Processor{Gate: make(chan struct{})}},
		{name: "retrying a refusing channel", p: &sourcetest.Processor{RefuseFirst: 1 << 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource(t, &seq.Config{Batch: 100}, tt.p)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- src.Run(ctx) }()
			deadline := time.Now().Add(10 * time.Second)
			for tt.p.Attempts() < 1 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if tt.p.Attempts() < 1 {
				t.Fatal("the source never reached its processor")
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run = %v, want nil", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after cancellation")
			}
			// What was delivered is a gap-free prefix.
			if got := tt.p.Bodies(); !slices.Equal(got, numbers(0, len(got))) {
				t.Errorf("delivered bodies are not 0..%d in order", len(got)-1)
			}
		})
	}
}

func TestProcessorFailureEndsRun(t *testing.T) {
	p := &sourcetest.Processor{Fail: channel.ErrClosed}
	err := newSource(t, &seq.Config{Total: 10, Batch: 4}, p).Run(context.Background())
	if !errors.Is(err, channel.ErrClosed) || !strings.Contains(err.Error(), "seq: deliver events 0-3") {
		t.Errorf("Run = %v, want the processor's error, naming the events", err)
	}
}

func TestAllocationsArePerBatch(t *testing.T) {
	p := discard{}
	src := newSource(t, &seq.Config{Total: 10_000, Batch: 1000, BodySize: 8}, p)
	allocs := testing.AllocsPerRun(5, func() {
		if err := src.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	// Two per batch (the body slab and the events) and a few for the run itself; never one per
	// event.
	if allocs > 40 {
		t.Errorf("%v allocations for 10 batches of 1000 events", allocs)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		want  seq.Config
		diags []string // "line: prefix" of each expected error
	}{
		{name: "defaults", body: "", want: seq.Config{Batch: 1}},
		{
			name: "everything set",
			body: "total = 1000000\nbatch_size = 1000\nbody_size = 12\nstart = 500\nrate = 2.5\n",
			want: seq.Config{Total: 1000000, Batch: 1000, BodySize: 12, Start: 500, Rate: 2.5},
		},
		{
			name: "every problem at once",
			body: "total = -1\nbatch_size = 0\nbody_size = -3\nstart = -5\nrate = -1\n",
			diags: []string{
				"1: total: must be 0 (no end) or more, got -1",
				"2: batch_size: must be at least 1, got 0",
				"3: body_size: must be 0-",
				"4: start: must not be negative, got -5",
				"5: rate: must be 0 (no limit) or a positive number",
			},
		},
		{
			name:  "sequence beyond int64",
			body:  "start = 9223372036854775000\ntotal = 1000\n",
			diags: []string{"2: total: start 9223372036854775000 + total 1000 is beyond"},
		},
		{name: "misspelt attribute", body: "totl = 5\n", diags: []string{"1: Unsupported argument"}},
		{name: "fractional total", body: "total = 2.5\n", diags: []string{"1: total: want a whole number"}},
	}
	f := seq.NewFactory()
	if f.Type() != "seq" {
		t.Fatalf("Type = %q", f.Type())
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, got := exampletest.DecodeSnippet(t, f, `source "seq" "s1"`, tt.body)
			exampletest.MatchDiagnostics(t, got, tt.diags)
			if len(tt.diags) == 0 {
				c := cfg.(*seq.Config)
				if *c != tt.want {
					t.Errorf("config = %+v, want %+v", *c, tt.want)
				}
				if c.BatchLimit().Events != tt.want.Batch {
					t.Errorf("BatchLimit().Events = %d", c.BatchLimit().Events)
				}
				if _, err := f.Create(cfg, source.Settings{Name: "s1", Processor: discard{}}); err != nil {
					t.Errorf("Create: %v", err)
				}
			}
		})
	}
}
