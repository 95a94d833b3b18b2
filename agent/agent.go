// Package agent assembles one running agent from its validated configuration and owns its life:
// channels start first, then the sink runners, then the sources; on stop the sources finish
// their in-flight put, the sinks drain what they can within the drain deadline, and the channels
// close last (DESIGN §1). A component that fails at run time is logged and reported by /healthz;
// the agent keeps serving its other flows.
//
// A running agent can Reload a new configuration. Only what changed is rebuilt: every component
// whose decoded settings and wiring are the same keeps running untouched (its listener, its
// taildir positions, what its memory channel holds), so a reload is safe under load. See
// reload.go for what "the same" means and the order changes are applied in.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/interceptor"
	"github.com/flumego/flumego/internal/ganglia"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/source"
)

// DefaultDrainTimeout bounds how long a stopping agent lets its sinks drain.
const DefaultDrainTimeout = 10 * time.Second

// closeTimeout bounds closing sinks, channels and the metrics listener.
const closeTimeout = 5 * time.Second

// ErrNotRunning is returned by Reload before Start and after Stop.
var ErrNotRunning = errors.New("agent is not running")

// Options are the run-time settings that do not come from the config file.
type Options struct {
	Logger       *slog.Logger
	Registry     *metrics.Registry // nil: a new one for the agent
	DrainTimeout time.Duration     // 0: DefaultDrainTimeout
}

// Agent is one assembled agent. New builds it, Start runs it, Reload changes it while it runs,
// Stop stops it; Run does Start and Stop around a context.
type Agent struct {
	log   *slog.Logger
	reg   *metrics.Registry
	drain time.Duration

	// life serialises Start, Reload and Stop; everything below it is owned by whoever holds it.
	life     sync.Mutex
	state    lifeState
	cfg      *config.Agent
	channels map[string]*channelEntry
	runners  map[string]*runnerEntry // by runnerSpec.key
	sources  map[string]*sourceEntry
	server   *metrics.Server
	listen   string // the address server was asked to bind ("" when none)
	ganglia  *ganglia.Service
	inflight *source.Budget // max_inflight_bytes, shared by every source

	mu     sync.Mutex
	failed map[string]error // component → why it stopped
}

type lifeState int

const (
	built lifeState = iota
	running
	stopped
)

type channelEntry struct {
	cfg     *config.Channel
	dataDir string
	ch      channel.Channel
	metrics *metrics.Channel
	started bool
}

type runnerEntry struct {
	spec    runnerSpec
	dataDir string
	runner  *sink.Runner
	members []sink.Member
	cancel  context.CancelFunc // nil until started
	done    chan struct{}
}

type sourceEntry struct {
	cfg     *config.Source
	dataDir string
	src     source.Source
	metrics *metrics.Source
	cancel  context.CancelFunc // nil until started
	done    chan struct{}
}

// runnerSpec is one sink runner as the config describes it: a sink group, or a sink in no group.
type runnerSpec struct {
	key     string // "group/NAME" or "sink/NAME": groups and sinks have separate name spaces
	name    string
	channel string
	group   *config.SinkGroup // nil for a lone sink
	sinks   []*config.Sink    // the group's members in order, or the lone sink
}

// New builds every component of cfg. Nothing runs yet, except that listeners (sources' ports,
// the metrics endpoint) are bound, so a port in use fails here, before the agent starts.
func New(cfg *config.Agent, opts Options) (*Agent, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = metrics.NewRegistry(cfg.Name)
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = DefaultDrainTimeout
	}
	a := &Agent{
		log: opts.Logger, reg: opts.Registry, drain: opts.DrainTimeout, cfg: cfg,
		channels: map[string]*channelEntry{}, runners: map[string]*runnerEntry{}, sources: map[string]*sourceEntry{},
		failed:   map[string]error{},
		inflight: source.NewBudget(int64(cfg.MaxInflightBytes)),
	}
	a.ganglia = ganglia.NewService(a.reg, a.log.With("component", "monitoring/ganglia"))
	a.applyHealthSettings(cfg)
	a.reg.ConfigLoaded(true, time.Now())
	if err := a.build(cfg); err != nil {
		return nil, err
	}
	if err := a.bindMetrics(cfg); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		a.closeEverything(ctx)
		return nil, err
	}
	return a, nil
}

// build creates every component of cfg that the agent does not hold yet, in start order
// (channels, sink runners, sources), without starting any. On error it releases what it
// created and leaves the agent as it was.
func (a *Agent) build(cfg *config.Agent) (err error) {
	var newChannels, newRunners, newSources []string
	defer func() {
		if err == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		for _, n := range newSources {
			closeSource(a.sources[n].src)
			delete(a.sources, n)
		}
		for _, k := range newRunners {
			a.closeSinks(ctx, a.runners[k])
			delete(a.runners, k)
		}
		for _, n := range newChannels {
			a.closeChannel(ctx, a.channels[n])
			delete(a.channels, n)
		}
	}()

	for _, c := range cfg.Channels {
		if _, ok := a.channels[c.Name]; ok {
			continue
		}
		m := a.reg.Channel(c.Name, c.Type)
		ch, err := c.Factory.Create(c.Config, channel.Settings{
			Name: c.Name, Type: c.Type, Logger: a.componentLogger("channel", c.Name, c.Type),
			Metrics: m, DataDir: cfg.DataDir,
		})
		if err != nil {
			return fmt.Errorf("channel %s: %w", c.Name, err)
		}
		a.channels[c.Name] = &channelEntry{cfg: c, dataDir: cfg.DataDir, ch: ch, metrics: m}
		newChannels = append(newChannels, c.Name)
	}

	for _, sp := range runnerSpecs(cfg) {
		if _, ok := a.runners[sp.key]; ok {
			continue
		}
		r, err := a.buildRunner(sp, cfg.DataDir)
		if err != nil {
			return err
		}
		a.runners[sp.key] = r
		newRunners = append(newRunners, sp.key)
	}

	for _, s := range cfg.Sources {
		if _, ok := a.sources[s.Name]; ok {
			continue
		}
		e, err := a.buildSource(s, cfg.DataDir)
		if err != nil {
			return err
		}
		a.sources[s.Name] = e
		newSources = append(newSources, s.Name)
	}
	return nil
}

// runnerSpecs lists the runners cfg describes: one per sink group, then one per sink in no group.
func runnerSpecs(cfg *config.Agent) []runnerSpec {
	byName := map[string]*config.Sink{}
	for _, s := range cfg.Sinks {
		byName[s.Name] = s
	}
	grouped := map[string]bool{}
	var out []runnerSpec
	for _, g := range cfg.SinkGroups {
		sp := runnerSpec{key: "group/" + g.Name, name: g.Name, group: g}
		for _, n := range g.Sinks {
			sp.sinks = append(sp.sinks, byName[n])
			grouped[n] = true
		}
		sp.channel = sp.sinks[0].Channel
		out = append(out, sp)
	}
	for _, s := range cfg.Sinks {
		if !grouped[s.Name] {
			out = append(out, runnerSpec{key: "sink/" + s.Name, name: s.Name, channel: s.Channel, sinks: []*config.Sink{s}})
		}
	}
	return out
}

func (a *Agent) buildRunner(sp runnerSpec, dataDir string) (*runnerEntry, error) {
	e := &runnerEntry{spec: sp, dataDir: dataDir}
	batch := 0
	for _, s := range sp.sinks {
		m := a.reg.Sink(s.Name, s.Type)
		sk, err := s.Factory.Create(s.Config, sink.Settings{
			Name: s.Name, Type: s.Type, Logger: a.componentLogger("sink", s.Name, s.Type),
			Metrics: m, BatchSize: s.BatchSize, DataDir: dataDir,
		})
		if err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			defer cancel()
			a.closeSinks(ctx, e)
			return nil, fmt.Errorf("sink %s: %w", s.Name, err)
		}
		e.members = append(e.members, sink.Member{Name: s.Name, Sink: sk, Metrics: m, SetAside: a.setAside(s)})
		if batch == 0 || s.BatchSize < batch {
			batch = s.BatchSize
		}
	}
	var proc sink.Sink
	log := a.componentLogger("sink", sp.name, sp.sinks[0].Type)
	if g := sp.group; g != nil {
		log = a.componentLogger("sink_group", g.Name, g.Processor.Type)
		var err error
		proc, err = g.Factory.Create(g.Processor.Config, sink.ProcessorSettings{Name: g.Name, Type: g.Processor.Type, Logger: log, BatchSize: batch}, e.members)
		if err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			defer cancel()
			a.closeSinks(ctx, e)
			return nil, fmt.Errorf("sink_group %s: %w", g.Name, err)
		}
	} else {
		proc = sink.NewDefaultProcessor(e.members[0], batch)
	}
	e.runner = sink.NewRunner(sink.RunnerConfig{
		Name: sp.name, Channel: a.channels[sp.channel].ch, Sink: proc, BatchSize: batch,
		Metrics: e.members[0].Metrics, Logger: log,
	})
	return e, nil
}

// setAside is what s's runner does with the events s refuses for good: its on_permanent_error,
// into its dead_letter_channel.
func (a *Agent) setAside(s *config.Sink) sink.SetAside {
	sa := sink.SetAside{Policy: s.OnPermanentError}
	if e := a.channels[s.DeadLetterChannel]; e != nil && s.OnPermanentError == sink.DeadLetter {
		sa.Channel, sa.ChannelName = e.ch, s.DeadLetterChannel
	}
	return sa
}

func (a *Agent) buildSource(s *config.Source, dataDir string) (*sourceEntry, error) {
	log := a.componentLogger("source", s.Name, s.Type)
	m := a.reg.Source(s.Name, s.Type)
	var icpts []interceptor.Interceptor
	for _, ic := range s.Interceptors {
		i, err := ic.Factory.Create(ic.Config, interceptor.Settings{Source: s.Name, Type: ic.Type, Logger: log.With("interceptor", ic.Type), Metrics: m.Component})
		if err != nil {
			return nil, fmt.Errorf("source %s: interceptor %s: %w", s.Name, ic.Type, err)
		}
		icpts = append(icpts, i)
	}
	var sel interceptor.Selector
	if s.Selector != nil {
		var err error
		sel, err = s.Selector.Factory.Create(s.Selector.Config, interceptor.SelectorSettings{Source: s.Name, Channels: s.Channels, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("source %s: selector %s: %w", s.Name, s.Selector.Type, err)
		}
	}
	chans := make([]channel.Channel, len(s.Channels))
	txCaps := make([]int, len(s.Channels))
	for i, n := range s.Channels {
		chans[i] = a.channels[n].ch
		if tc, ok := a.channels[n].cfg.Config.(channel.TxCapacity); ok {
			txCaps[i] = tc.TransactionCapacity()
		}
	}
	proc := source.NewProcessor(source.ProcessorConfig{
		Channels: chans, ChannelNames: s.Channels, TxCapacities: txCaps, Interceptors: icpts, Selector: sel, Metrics: m, Logger: log,
	})
	src, err := s.Factory.Create(s.Config, source.Settings{
		Name: s.Name, Type: s.Type, Logger: log, Metrics: m, Processor: proc, DataDir: dataDir, InFlight: a.inflight,
	})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.Name, err)
	}
	return &sourceEntry{cfg: s, dataDir: dataDir, src: src, metrics: m}, nil
}

func (a *Agent) componentLogger(kind, name, typ string) *slog.Logger {
	return a.log.With("component", kind+"/"+name, "type", typ)
}

// bindMetrics binds the metrics listener cfg asks for, unless it is already bound there.
func (a *Agent) bindMetrics(cfg *config.Agent) error {
	want := ""
	if cfg.Metrics != nil {
		want = cfg.Metrics.Listen
	}
	if a.server != nil && want == a.listen {
		return nil
	}
	if a.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		err := a.server.Close(ctx)
		cancel()
		if err != nil {
			a.log.Warn("metrics listener close failed", "addr", a.listen, "err", err)
		}
		a.server, a.listen = nil, ""
	}
	if want == "" {
		return nil
	}
	srv, err := metrics.Listen(want, metrics.Handler(a.reg, metrics.Probes{Health: a.Health, Alive: a.Alive}), a.log.With("component", "metrics"))
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	a.server, a.listen = srv, want
	return nil
}

// Registry is the agent's metrics registry.
func (a *Agent) Registry() *metrics.Registry { return a.reg }

// MetricsAddr is the address the metrics endpoint listens on, or "" when it has none.
func (a *Agent) MetricsAddr() string {
	a.life.Lock()
	defer a.life.Unlock()
	if a.server == nil {
		return ""
	}
	return a.server.Addr().String()
}

// Health returns nil while the agent does its job, or an error starting "degraded: " that
// names every component that stopped (Alive) or has failed without a break, or hung in one
// attempt, for longer than the metrics block's unhealthy_after, with its last error.
func (a *Agent) Health() error {
	errs := a.stopped()
	for _, u := range a.reg.Unhealthy(time.Now()) {
		errs = append(errs, errors.New(u.String()))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("degraded: %w", errors.Join(errs...))
}

// Alive returns nil unless a component stopped for good (a source whose Run failed, a
// configuration that could not be restored), which only a restart heals: what a liveness
// probe or systemd's watchdog should act on. A degraded destination is not such a failure.
func (a *Agent) Alive() error { return errors.Join(a.stopped()...) }

func (a *Agent) stopped() []error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	for name, err := range a.failed {
		errs = append(errs, fmt.Errorf("%s stopped: %w", name, err))
	}
	return errs
}

// applyHealthSettings sets the health threshold cfg's metrics block asks for.
func (a *Agent) applyHealthSettings(cfg *config.Agent) {
	var d time.Duration
	if cfg.Metrics != nil {
		d = cfg.Metrics.UnhealthyAfter
	}
	a.reg.SetUnhealthyAfter(d)
}

func (a *Agent) fail(name string, err error) {
	a.mu.Lock()
	a.failed[name] = err
	a.mu.Unlock()
}

func (a *Agent) clearFailure(name string) {
	a.mu.Lock()
	delete(a.failed, name)
	a.mu.Unlock()
}

// Run starts the agent, runs it until ctx is cancelled, then stops it in order within the drain
// timeout. It returns nil after a clean stop.
func (a *Agent) Run(ctx context.Context) error {
	if err := a.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	a.Stop()
	return nil
}

// Start starts every component: channels, then sink runners, then sources. It returns once
// all of them run (their goroutines started), which is when the agent is ready.
func (a *Agent) Start() error {
	a.life.Lock()
	defer a.life.Unlock()
	if a.state != built {
		return errors.New("agent: Start called twice")
	}
	a.state = running
	n := a.startNew(a.cfg)
	if err := a.ganglia.Apply(a.cfg.Ganglia); err != nil {
		a.log.Error("ganglia reporting not started", "err", err)
	}
	a.log.Info("agent started", "agent", a.cfg.Name, "sources", len(a.sources), "channels", len(a.channels), "sinks", len(a.runners), "started", n)
	return nil
}

// startNew starts, in start order, every component that is built and not yet running, and
// returns how many it started.
func (a *Agent) startNew(cfg *config.Agent) int {
	n := 0
	for _, c := range cfg.Channels {
		if e := a.channels[c.Name]; !e.started {
			e.metrics.MarkStarted()
			e.started = true
		}
	}
	for _, sp := range runnerSpecs(cfg) {
		e := a.runners[sp.key]
		if e.cancel != nil {
			continue
		}
		for _, m := range e.members {
			m.Metrics.MarkStarted()
		}
		ctx, cancel := context.WithCancel(context.Background())
		e.cancel, e.done = cancel, make(chan struct{})
		go func() {
			defer close(e.done)
			if err := e.runner.Run(ctx); err != nil {
				a.log.Error("sink runner stopped", "sink", e.spec.name, "err", err)
				a.fail(e.spec.key, err)
			}
		}()
		n++
	}
	for _, s := range cfg.Sources {
		e := a.sources[s.Name]
		if e.cancel != nil {
			continue
		}
		e.metrics.MarkStarted()
		ctx, cancel := context.WithCancel(context.Background())
		e.cancel, e.done = cancel, make(chan struct{})
		go func() {
			defer close(e.done)
			if err := e.src.Run(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("source stopped", "source", s.Name, "err", err)
				a.fail("source/"+s.Name, err)
			}
		}()
		n++
	}
	return n
}

// Stop stops the agent in order: sources, then sink runners, which drain their channels within
// the drain timeout, then channels and the metrics listener. It is safe to call twice.
func (a *Agent) Stop() {
	a.life.Lock()
	defer a.life.Unlock()
	if a.state == stopped {
		return
	}
	wasRunning := a.state == running
	a.state = stopped
	a.log.Info("agent stopping", "agent", a.cfg.Name, "drain_timeout", a.drain)
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if !wasRunning {
		a.closeEverything(ctx)
		return
	}
	var srcs []*sourceEntry
	for _, e := range a.sources {
		srcs = append(srcs, e)
	}
	a.stopSources(srcs)
	var runners []*runnerEntry
	for _, e := range a.runners {
		runners = append(runners, e)
	}
	a.stopRunners(runners, func(*runnerEntry) bool { return true })
	for _, e := range a.sources {
		e.metrics.MarkStopped()
	}
	a.closeEverything(ctx)
	a.log.Info("agent stopped", "agent", a.cfg.Name)
}

// stopSources stops the given sources together and waits until each finished its in-flight
// put and released its listener.
func (a *Agent) stopSources(es []*sourceEntry) {
	for _, e := range es {
		if e.cancel != nil {
			e.cancel()
		}
	}
	for _, e := range es {
		if e.done != nil {
			<-e.done
		}
		closeSource(e.src)
	}
}

// closeSource releases what a source holds from New on (its listener, its client, its position
// journal): needed when Run never ran, harmless after it did.
func closeSource(s source.Source) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	_ = s.Close(ctx)
}

// stopRunners stops the given runners together; those for which drain holds then take what
// is left in their channel until it is empty or the drain timeout passes. Their sinks are not
// closed here.
func (a *Agent) stopRunners(es []*runnerEntry, drain func(*runnerEntry) bool) {
	for _, e := range es {
		if e.cancel != nil {
			e.cancel()
		}
	}
	for _, e := range es {
		if e.done != nil {
			<-e.done
		}
	}
	deadline, cancel := context.WithTimeout(context.Background(), a.drain)
	defer cancel()
	var drained sync.WaitGroup
	for _, e := range es {
		if e.cancel == nil || !drain(e) {
			continue
		}
		drained.Add(1)
		go func() {
			defer drained.Done()
			n, err := e.runner.Drain(deadline)
			if err != nil {
				a.log.Warn("sink did not drain its channel", "sink", e.spec.name, "drained", n, "err", err)
			} else if n > 0 {
				a.log.Info("sink drained", "sink", e.spec.name, "events", n)
			}
		}()
	}
	drained.Wait()
}

// closeSinks closes a runner's sinks (Close is safe twice).
func (a *Agent) closeSinks(ctx context.Context, e *runnerEntry) {
	for _, m := range e.members {
		if err := m.Sink.Close(ctx); err != nil {
			a.log.Warn("sink close failed", "sink", m.Name, "err", err)
		}
	}
}

func (a *Agent) closeChannel(ctx context.Context, e *channelEntry) {
	if err := e.ch.Close(ctx); err != nil {
		a.log.Warn("channel close failed", "channel", e.cfg.Name, "err", err)
	}
}

// closeEverything closes what the agent holds: sources' listeners, sinks, then channels, then
// the metrics endpoint, marking each stopped.
func (a *Agent) closeEverything(ctx context.Context) {
	for _, e := range a.sources {
		if e.cancel == nil { // a running source was closed when it stopped
			closeSource(e.src)
		}
	}
	for _, e := range a.runners {
		a.closeSinks(ctx, e)
		for _, m := range e.members {
			m.Metrics.MarkStopped()
		}
	}
	for _, e := range a.channels {
		a.closeChannel(ctx, e)
		e.metrics.MarkStopped()
	}
	if a.server != nil {
		_ = a.server.Close(ctx)
	}
	a.ganglia.Stop()
}
