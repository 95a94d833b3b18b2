package ganglia

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/internal/ganglia/gmondtest"
	"github.com/flumego/flumego/metrics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error, one per problem; none when valid
	}{
		{"defaults with a host", Config{Hosts: []string{"gmond:8649"}, PollFrequency: DefaultPollFrequency}, nil},
		{"several hosts, IPv6, 3.0", Config{Hosts: []string{"10.0.0.1:8649", "[::1]:8649"}, PollFrequency: time.Second, IsGanglia3: true}, nil},
		{"no hosts", Config{PollFrequency: time.Minute}, []string{"hosts: at least one gmond address"}},
		{"bad hosts and poll", Config{Hosts: []string{"gmond", ":8649", "gmond:0", "gmond:http", "gmond:70000"}, PollFrequency: 500 * time.Millisecond}, []string{
			`element 0: "gmond" is not host:port`,
			`element 1: ":8649" is not host:port`,
			`element 2: "gmond:0": port must be a number in 1..65535`,
			`element 3: "gmond:http": port must be`,
			`element 4: "gmond:70000": port must be`,
			"poll_frequency: must be at least 1s, got 500ms",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %d problems", len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v\nwant it to contain %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tt.want) {
				t.Errorf("Validate() reported %d problems, want %d:\n%v", n, len(tt.want), err)
			}
		})
	}
}

// testRegistry is an agent with one component of each kind and known counts.
func testRegistry() *metrics.Registry {
	reg := metrics.NewRegistry("a1")
	src := reg.Source("r1", "netcat")
	src.EventAcceptedCount.Add(7)
	ch := reg.Channel("c1", "memory")
	ch.ChannelCapacity.Set(200)
	ch.ChannelSize.Set(25)
	ch.EventPutSuccessCount.Add(123456789) // above 2^24: a float would round it
	sk := reg.Sink("k1", "null")
	sk.EventDrainSuccessCount.Add(3)
	return reg
}

func TestCollectNamesEveryValueAsFlumeDoes(t *testing.T) {
	got := map[string]metric{}
	for _, m := range collect(testRegistry()) {
		got[m.name] = m
	}
	// Every value of /metrics.json is sent: counters, derived values, Type and the times.
	json := metrics.FlumeJSON(testRegistry())
	n := 0
	for comp, attrs := range json {
		n += len(attrs)
		for a, v := range attrs {
			m, ok := got["flume."+comp+"."+a]
			if !ok {
				t.Errorf("flume.%s.%s is not reported", comp, a)
				continue
			}
			if m.value != v {
				t.Errorf("%s = %q, want %q", m.name, m.value, v)
			}
		}
	}
	if len(got) != n {
		t.Errorf("reported %d values, want %d", len(got), n)
	}
	for name, want := range map[string]metric{
		"flume.CHANNEL.c1.EventPutSuccessCount":  {value: "123456789", typ: "double"},
		"flume.CHANNEL.c1.ChannelFillPercentage": {value: "12.5", typ: "double"},
		"flume.SOURCE.r1.EventAcceptedCount":     {value: "7", typ: "double"},
		"flume.SINK.k1.Type":                     {value: "SINK", typ: "string"},
	} {
		if m := got[name]; m.value != want.value || m.typ != want.typ {
			t.Errorf("%s = %q (%s), want %q (%s)", name, m.value, m.typ, want.value, want.typ)
		}
	}
}

// udpCollector receives datagrams on a loopback port.
type udpCollector struct {
	conn *net.UDPConn
}

func listenUDP(t *testing.T) *udpCollector {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &udpCollector{conn: c}
}

func (u *udpCollector) addr() string { return u.conn.LocalAddr().String() }

// read returns the next n datagrams, failing after a few seconds without one.
func (u *udpCollector) read(t *testing.T, n int) [][]byte {
	t.Helper()
	var out [][]byte
	buf := make([]byte, 65536)
	for len(out) < n {
		_ = u.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		k, _, err := u.conn.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("received %d of %d datagrams: %v", len(out), n, err)
		}
		out = append(out, append([]byte(nil), buf[:k]...))
	}
	return out
}

func TestReportSendsEveryValueToEveryHostIn31Format(t *testing.T) {
	reg := testRegistry()
	a, b := listenUDP(t), listenUDP(t)
	r, err := NewReporter(Config{Hosts: []string{a.addr(), b.addr()}, PollFrequency: 30 * time.Second}, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := collect(reg)
	r.report(context.Background())

	for _, c := range []*udpCollector{a, b} {
		got := c.read(t, 2*len(want))
		for i, m := range want {
			meta, val := decode31(t, got[2*i]), decode31(t, got[2*i+1])
			wantMeta := decoded{
				id: idMetadataFull, host: r.hostname, name: m.name, typ: m.typ, name2: m.name,
				slope: 3, tmax: 30, extra: map[string]string{"GROUP": "flume"},
			}
			if !equalDecoded(meta, wantMeta) {
				t.Errorf("metadata %d:\n got  %+v\n want %+v", i, meta, wantMeta)
			}
			wantVal := decoded{id: idValueString, host: r.hostname, name: m.name, format: "%s", value: m.value}
			if !equalDecoded(val, wantVal) {
				t.Errorf("value %d:\n got  %+v\n want %+v", i, val, wantVal)
			}
		}
	}
}

func TestReportIn30FormatWhenIsGanglia3(t *testing.T) {
	reg := testRegistry()
	c := listenUDP(t)
	r, err := NewReporter(Config{Hosts: []string{c.addr()}, PollFrequency: 90 * time.Second, IsGanglia3: true}, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := collect(reg)
	r.report(context.Background())
	got := c.read(t, len(want))
	for i, m := range want {
		d := decode30(t, got[i])
		w := decoded{id: 0, typ: m.typ, name: r.hostname + "." + m.name, value: m.value, slope: 3, tmax: 90}
		if !equalDecoded(d, w) {
			t.Errorf("message %d:\n got  %+v\n want %+v", i, d, w)
		}
	}
}

func equalDecoded(a, b decoded) bool {
	if len(a.extra) == 0 && len(b.extra) == 0 {
		a.extra, b.extra = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// lockedBuffer is a log destination tests read while the reporter writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAnUnreachableHostIsLoggedAndTheOthersStillReceive(t *testing.T) {
	reg := testRegistry()
	good := listenUDP(t)
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	r, err := NewReporter(Config{Hosts: []string{"no-such-host.invalid:8649", good.addr()}, PollFrequency: time.Minute}, reg, log)
	if err != nil {
		t.Fatal(err)
	}
	r.report(context.Background())
	good.read(t, 2*len(collect(reg)))
	if out := logs.String(); !strings.Contains(out, "could not send metrics") || !strings.Contains(out, "no-such-host.invalid:8649") {
		t.Errorf("no warning naming the unreachable host:\n%s", out)
	}
}

func TestAValueTooLongForADatagramIsSkippedWithOneWarning(t *testing.T) {
	reg := metrics.NewRegistry("a1")
	reg.Sink(strings.Repeat("k", 1500), "null")
	reg.Sink("short", "null").EventDrainSuccessCount.Add(1)
	var logs lockedBuffer
	r, err := NewReporter(Config{Hosts: []string{"127.0.0.1:8649"}, PollFrequency: time.Minute}, reg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for _, p := range r.packets() {
			if len(p) > maxPacket {
				t.Fatalf("a %d-byte datagram was built; gmond reads at most %d", len(p), maxPacket)
			}
		}
	}
	short := 0
	for _, p := range r.packets() {
		if bytes.Contains(p, []byte("flume.SINK.short.")) {
			short++
		}
	}
	if want := 2 * len(metrics.FlumeJSON(reg)["SINK.short"]); short != want {
		t.Errorf("the short sink got %d datagrams, want %d", short, want)
	}
	// One warning per long value, not one per round.
	if n := strings.Count(logs.String(), "too long"); n != len(metrics.FlumeJSON(reg)["SINK."+strings.Repeat("k", 1500)]) {
		t.Errorf("%d warnings about long values, want one per value:\n%s", n, logs.String())
	}
}

func TestRunReportsAtOnceThenEveryPollFrequency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := testRegistry()
		r, err := NewReporter(Config{Hosts: []string{"a:8649", "b:8649"}, PollFrequency: 10 * time.Second}, reg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		rounds := map[string][]time.Time{}
		r.send = func(_ context.Context, host string, packets [][]byte) error {
			mu.Lock()
			defer mu.Unlock()
			rounds[host] = append(rounds[host], time.Now())
			if host == "a:8649" {
				return errors.New("refused") // a failing host does not stop the reports
			}
			return nil
		}
		count := func(host string) int {
			mu.Lock()
			defer mu.Unlock()
			return len(rounds[host])
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		start := time.Now()
		go func() { done <- r.Run(ctx) }()

		synctest.Wait()
		if count("a:8649") != 1 || count("b:8649") != 1 {
			t.Fatalf("after start: %d and %d reports, want 1 each", count("a:8649"), count("b:8649"))
		}
		time.Sleep(35 * time.Second)
		synctest.Wait()
		if got := count("b:8649"); got != 4 {
			t.Errorf("after 35s: %d reports, want 4 (at 0, 10, 20, 30s)", got)
		}
		if got := count("a:8649"); got != 4 {
			t.Errorf("the failing host got %d reports after 35s, want 4", got)
		}
		mu.Lock()
		if d := rounds["b:8649"][3].Sub(start); d != 30*time.Second {
			t.Errorf("fourth report at %v, want 30s", d)
		}
		mu.Unlock()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
}

func TestNewReporterRejectsABadConfig(t *testing.T) {
	if _, err := NewReporter(Config{PollFrequency: time.Minute}, metrics.NewRegistry("a1"), nil); err == nil || !strings.Contains(err.Error(), "ganglia: hosts") {
		t.Errorf("NewReporter without hosts = %v, want a hosts error", err)
	}
	if _, err := NewReporter(Config{Hosts: []string{"g:8649"}, PollFrequency: time.Minute}, nil, nil); err == nil {
		t.Error("NewReporter without a registry succeeded")
	}
}

// TestARealGmondShowsTheCounters sends to a real gmond (Debian ganglia-monitor) in 3.1's
// format and reads them back from its XML dump, then checks that a later report updates them.
func TestARealGmondShowsTheCounters(t *testing.T) {
	g := gmondtest.Start(t)
	reg := testRegistry()
	r, err := NewReporter(Config{Hosts: []string{g.UDPAddr}, PollFrequency: 20 * time.Second}, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitForMetric := func(name, val string) gmondtest.Metric {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			ms, err := g.Dump()
			if err != nil {
				t.Fatal(err)
			}
			if m, ok := ms[name]; ok && m.Val == val {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("gmond does not show %s = %s; it shows %+v", name, val, ms[name])
			}
			r.report(context.Background()) // UDP may drop: send again
			time.Sleep(100 * time.Millisecond)
		}
	}
	r.report(context.Background())
	m := waitForMetric("flume.CHANNEL.c1.EventPutSuccessCount", "123456789")
	if m.Type != "double" || m.Slope != "both" || m.TMax != "20" || m.DMax != "0" || m.ExtraData("GROUP") != "flume" {
		t.Errorf("gmond's view of the metric: %+v; want type double, slope both, tmax 20, dmax 0, GROUP flume", m)
	}
	waitForMetric("flume.CHANNEL.c1.ChannelFillPercentage", "12.5")
	waitForMetric("flume.SINK.k1.Type", "SINK")
	ms, err := g.Dump()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(collect(reg)); len(ms) != n {
		t.Errorf("gmond holds %d metrics, want %d (every value)", len(ms), n)
	}

	reg.Channel("c1", "memory").EventPutSuccessCount.Add(1)
	r.report(context.Background())
	waitForMetric("flume.CHANNEL.c1.EventPutSuccessCount", "123456790")
}
