package sink

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/testkit"
)

// trace records, across the members of a group, which member each write went to and what was
// delivered, in the order it happened.
type trace struct {
	mu        sync.Mutex
	calls     []string
	delivered []string
}

func (tr *trace) callList() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.calls)
}

func (tr *trace) deliveredList() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.delivered)
}

// traced is a flaky sink that reports to a trace.
type traced struct {
	flaky
	name string
	tr   *trace
}

func (s *traced) Write(ctx context.Context, events []channel.Event) error {
	s.tr.mu.Lock()
	s.tr.calls = append(s.tr.calls, s.name)
	s.tr.mu.Unlock()
	err := s.flaky.Write(ctx, events)
	if err == nil {
		s.tr.mu.Lock()
		s.tr.delivered = append(s.tr.delivered, testkit.Bodies(events)...)
		s.tr.mu.Unlock()
	}
	return err
}

// group returns traced sinks for names, their members and the shared trace.
func group(names ...string) (map[string]*traced, []Member, *trace) {
	tr := &trace{}
	sinks := map[string]*traced{}
	var members []Member
	for _, n := range names {
		s := &traced{name: n, tr: tr}
		sinks[n] = s
		members = append(members, member(n, s))
	}
	return sinks, members, tr
}

func TestMemberWriteCounts(t *testing.T) {
	s := &flaky{}
	m := member("k1", s)
	ctx := context.Background()
	if err := m.Write(ctx, numbered(0, 10), 10); err != nil {
		t.Fatal(err)
	}
	if err := m.Write(ctx, numbered(10, 4), 10); err != nil {
		t.Fatal(err)
	}
	s.setFailing(true)
	err := m.Write(ctx, numbered(14, 10), 10)
	if !errors.Is(err, errDown) || !strings.HasPrefix(err.Error(), "sink k1: ") {
		t.Errorf("failed write returned %v, want errDown wrapped as \"sink k1: ...\"", err)
	}
	checkCounters(t, m.Metrics, map[string]int64{
		"EventDrainAttemptCount": 24, "EventDrainSuccessCount": 14, "EventWriteFail": 10,
		"BatchCompleteCount": 1, "BatchUnderflowCount": 1,
	})
}

func TestDefaultProcessorWritesAndCloses(t *testing.T) {
	s := &flaky{}
	p := NewDefaultProcessor(member("k1", s), 5)
	if err := p.Write(context.Background(), numbered(0, 5)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := s.delivered(), numberedBodies(0, 5); !slices.Equal(got, want) || s.closed != 1 {
		t.Errorf("delivered %v, closed %d times; want %v, closed once", got, s.closed, want)
	}
}

// decodeProcessor decodes an HCL processor body with factory f.
func decodeProcessor(t *testing.T, f ProcessorFactory, src string) (any, hcl.Diagnostics) {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(src), "flume.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return f.Decode(file.Body, nil, `processor "`+f.Type()+`"`, hcl.Range{Filename: "flume.hcl"})
}

// newProcessor builds a processor from HCL over members.
func newProcessor(t *testing.T, f ProcessorFactory, src string, members []Member) Sink {
	t.Helper()
	cfg, diags := decodeProcessor(t, f, src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, err := f.Create(cfg, ProcessorSettings{Name: "g1", Type: f.Type(), BatchSize: 10}, members)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func TestProcessorConfigErrors(t *testing.T) {
	tests := []struct {
		factory ProcessorFactory
		src     string
		want    []string // one substring per expected diagnostic
	}{
		{NewFailoverFactory(), `max_penalty = "0s"`, []string{`flume.hcl:1,15-19: processor "failover": max_penalty: must be positive`}},
		{NewFailoverFactory(), `max_penaltyy = "1s"`, []string{"max_penaltyy"}},
		{NewFailoverFactory(), `priority = { k1 = "high" }`, []string{"flume.hcl:1,12-13: processor \"failover\": Unsuitable value type; Unsuitable value: a number is required"}},
		{NewLoadBalanceFactory(), "selector = \"weighted\"\nmax_timeout = \"0s\"",
			[]string{`flume.hcl:1,12-22: processor "load_balance": selector: unknown selector "weighted"`, "flume.hcl:2,15-19: processor \"load_balance\": max_timeout: must be positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.factory.Type()+" "+tt.src, func(t *testing.T) {
			_, diags := decodeProcessor(t, tt.factory, tt.src)
			var got []string
			for _, d := range diags {
				got = append(got, d.Error())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("diagnostics %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("diagnostic %q lacks %q", got[i], w)
				}
			}
		})
	}
}

func TestProcessorCreateChecksMembers(t *testing.T) {
	_, members, _ := group("k1", "k2")
	tests := []struct {
		name    string
		factory ProcessorFactory
		src     string
		members []Member
		want    string
	}{
		{"unknown priority key", NewFailoverFactory(), `priority = { k9 = 1, k1 = 2 }`, members, "not in the group: k9"},
		{"no members", NewFailoverFactory(), ``, nil, "no sinks"},
		{"duplicate member", NewLoadBalanceFactory(), ``, []Member{members[0], members[0]}, `"k1" listed twice`},
		{"member without metrics", NewLoadBalanceFactory(), ``, []Member{{Name: "k1", Sink: &flaky{}}}, "no metrics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := decodeProcessor(t, tt.factory, tt.src)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			_, err := tt.factory.Create(cfg, ProcessorSettings{Name: "g1"}, tt.members)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Create = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestProcessorsCloseEveryMember(t *testing.T) {
	for _, f := range []ProcessorFactory{NewFailoverFactory(), NewLoadBalanceFactory()} {
		sinks, members, _ := group("k1", "k2", "k3")
		p := newProcessor(t, f, "", members)
		if err := p.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		for name, s := range sinks {
			if s.closed != 1 {
				t.Errorf("%s: %s closed %d times, want 1", f.Type(), name, s.closed)
			}
		}
	}
}
