// Package agent assembles one running agent from its validated configuration and owns its life:
// channels start first, then the sink runners, then the sources; on stop the sources finish
// their in-flight put, the sinks drain what they can, and the channels close last (DESIGN §1),
// all within one deadline (Stop). A component that fails at run time is logged and reported by
// /healthz; the agent keeps serving its other flows. A component whose constructor or Run
// panics (a custom one, typically) is reported by its name the same way: a panic at build
// fails New or the Reload, a panic in Run stops that component only.
//
// A program that embeds the agent (rather than calling cli.Main) loads its config with
// config.Load and its component list (components.Builtin() plus its own), then calls New,
// Start, Reload as often as it likes, and Stop:
//
//	cfg, _, diags := config.Load("flume.hcl", src, "", comps)
//	a, err := agent.New(cfg, agent.Options{Logger: logger})
//	err = a.Start()
//	...
//	ctx, cancel := context.WithTimeout(context.Background(), agent.StopTimeout(agent.DefaultDrainTimeout))
//	err = a.Stop(ctx) // an *agent.AbandonedError when events were lost
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
	"runtime/debug"
	"sort"
	"strings"
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

// CloseAllowance is the part of a stop deadline kept for closing sinks (flushing and closing
// their files), channels and the metrics listener after the drain; it also bounds closing what
// a failed build or reload had created.
const CloseAllowance = 5 * time.Second

const closeTimeout = CloseAllowance

// ErrNotRunning is returned by Reload before Start and after Stop.
var ErrNotRunning = errors.New("agent is not running")

// Options are the run-time settings that do not come from the config file.
type Options struct {
	Logger   *slog.Logger
	Registry *metrics.Registry // nil: a new one for the agent
	// DrainTimeout bounds how long sinks drain a channel that goes away: at Stop (within Stop's
	// deadline) and at a reload that removes or changes the channel. 0: DefaultDrainTimeout.
	DrainTimeout time.Duration
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
		_ = a.closeEverything(ctx) // nothing ran: nothing to lose
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
			a.closeSource(ctx, a.sources[n])
			delete(a.sources, n)
		}
		for _, k := range newRunners {
			_ = a.closeSinks(ctx, a.runners[k]) // logged; the build error is what counts
			delete(a.runners, k)
		}
		for _, n := range newChannels {
			_ = a.closeChannel(ctx, a.channels[n]) // new and never started: empty
			delete(a.channels, n)
		}
	}()

	for _, c := range cfg.Channels {
		if _, ok := a.channels[c.Name]; ok {
			continue
		}
		m := a.reg.Channel(c.Name, c.Type)
		ch, err := create(a, "channel/"+c.Name, func() (channel.Channel, error) {
			return c.Factory.Create(c.Config, channel.Settings{
				Name: c.Name, Type: c.Type, Logger: a.componentLogger("channel", c.Name, c.Type),
				Metrics: m, DataDir: cfg.DataDir,
			})
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
		sk, err := create(a, "sink/"+s.Name, func() (sink.Sink, error) {
			return s.Factory.Create(s.Config, sink.Settings{
				Name: s.Name, Type: s.Type, Logger: a.componentLogger("sink", s.Name, s.Type),
				Metrics: m, BatchSize: s.BatchSize, DataDir: dataDir,
			})
		})
		if err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			defer cancel()
			_ = a.closeSinks(ctx, e)
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
		proc, err = create(a, "sink_group/"+g.Name, func() (sink.Sink, error) {
			return g.Factory.Create(g.Processor.Config, sink.ProcessorSettings{Name: g.Name, Type: g.Processor.Type, Logger: log, BatchSize: batch}, e.members)
		})
		if err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			defer cancel()
			_ = a.closeSinks(ctx, e)
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
		i, err := create(a, "source/"+s.Name, func() (interceptor.Interceptor, error) {
			return ic.Factory.Create(ic.Config, interceptor.Settings{Source: s.Name, Type: ic.Type, Logger: log.With("interceptor", ic.Type), Metrics: m.Component})
		})
		if err != nil {
			return nil, fmt.Errorf("source %s: interceptor %s: %w", s.Name, ic.Type, err)
		}
		icpts = append(icpts, i)
	}
	var sel interceptor.Selector
	if s.Selector != nil {
		var err error
		sel, err = create(a, "source/"+s.Name, func() (interceptor.Selector, error) {
			return s.Selector.Factory.Create(s.Selector.Config, interceptor.SelectorSettings{Source: s.Name, Channels: s.Channels, Logger: log})
		})
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
	src, err := create(a, "source/"+s.Name, func() (source.Source, error) {
		return s.Factory.Create(s.Config, source.Settings{
			Name: s.Name, Type: s.Type, Logger: log, Metrics: m, Processor: proc, DataDir: dataDir, InFlight: a.inflight,
		})
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

// Run starts the agent, runs it until ctx is cancelled, then stops it in order within
// StopTimeout(DrainTimeout). It returns Stop's error: nil after a clean stop.
func (a *Agent) Run(ctx context.Context) error {
	if err := a.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), StopTimeout(a.drain))
	defer cancel()
	return a.Stop(stopCtx)
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
			if err := a.guard(e.spec.key, func() error { return e.runner.Run(ctx) }); err != nil {
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
			if err := a.guard("source/"+s.Name, func() error { return e.src.Run(ctx) }); err != nil && ctx.Err() == nil {
				a.log.Error("source stopped", "source", s.Name, "err", err)
				a.fail("source/"+s.Name, err)
			}
		}()
		n++
	}
	return n
}

// guard runs a component's code (its constructor, its Run) and turns a panic into an error,
// logging the stack once, so one broken component (a custom one, typically) is reported by
// its name and the agent keeps serving its other flows.
func (a *Agent) guard(component string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("component panicked", "component", component, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn()
}

// create calls a component's constructor through guard.
func create[T any](a *Agent, component string, fn func() (T, error)) (T, error) {
	var t T
	err := a.guard(component, func() (err error) {
		t, err = fn()
		return err
	})
	return t, err
}

// StopTimeout is the whole stop deadline that lets sinks drain their channels for drain: drain
// plus CloseAllowance for closing sinks, channels and the metrics listener afterwards.
func StopTimeout(drain time.Duration) time.Duration { return drain + CloseAllowance }

// Stop stops the agent in order, within one deadline, ctx's, shared by every phase: the
// sources stop (each finishes or abandons its in-flight put and releases its listener); the
// sink runners stop and then drain their channels until they are empty, DrainTimeout passes,
// or the close allowance before ctx's deadline is reached (min(CloseAllowance, half of what is
// left)); then sinks, channels and the metrics listener close with what remains of ctx. A ctx
// without a deadline gets StopTimeout(DrainTimeout). A component that does not stop within the
// deadline is logged and left behind. Stop is safe twice; the second call returns nil.
//
// Stop returns nil after a clean stop. It returns an error when the stop lost events, an
// *AbandonedError (errors.As) counting the events channels that cannot keep them (memory)
// still held at close, including those a drain that ran out of time left there; and when a
// sink or channel failed to close (an hdfs file left open, say). Events left in a durable
// channel after a drain ran out of time are kept for the next start: logged, not an error.
func (a *Agent) Stop(ctx context.Context) error {
	a.life.Lock()
	defer a.life.Unlock()
	if a.state == stopped {
		return nil
	}
	wasRunning := a.state == running
	a.state = stopped
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, StopTimeout(a.drain))
		defer cancel()
	}
	if !wasRunning {
		return a.closeEverything(ctx)
	}
	deadline, _ := ctx.Deadline()
	a.log.Info("agent stopping", "agent", a.cfg.Name, "drain_timeout", a.drain, "deadline", time.Until(deadline).Round(time.Millisecond))
	var srcs []*sourceEntry
	for _, e := range a.sources {
		srcs = append(srcs, e)
	}
	a.stopSources(ctx, srcs)
	var runners []*runnerEntry
	for _, e := range a.runners {
		runners = append(runners, e)
	}
	a.stopRunners(ctx, runners, func(*runnerEntry) bool { return true })
	for _, e := range a.sources {
		e.metrics.MarkStopped()
	}
	err := a.closeEverything(ctx)
	var ab *AbandonedError
	if errors.As(err, &ab) {
		a.log.Error("agent stopped; events were lost", "agent", a.cfg.Name, "abandoned_events", ab.Events, "channels", ab.Channels)
	} else {
		a.log.Info("agent stopped", "agent", a.cfg.Name)
	}
	return err
}

// AbandonedError is what Stop returns when channels that cannot keep events across a restart
// (memory channels) were closed holding some: those events are lost.
type AbandonedError struct {
	Events   int64    // how many events, in every channel together
	Channels []string // the channels that held them, sorted
}

func (e *AbandonedError) Error() string {
	return fmt.Sprintf("%d events abandoned at stop in channel(s) %s", e.Events, strings.Join(e.Channels, ", "))
}

// stopSources stops the given sources together and waits until each finished its in-flight
// put and released its listener, or ctx ends.
func (a *Agent) stopSources(ctx context.Context, es []*sourceEntry) {
	for _, e := range es {
		if e.cancel != nil {
			e.cancel()
		}
	}
	for _, e := range es {
		if !a.await(ctx, e.done, "source", e.cfg.Name) {
			continue // still in Run: closing it under its feet could not be safe
		}
		a.closeSource(ctx, e)
	}
}

// await waits for a component's goroutine to end (done nil: it never started) and reports
// whether it did before ctx ended.
func (a *Agent) await(ctx context.Context, done chan struct{}, kind, name string) bool {
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	case <-ctx.Done():
		a.log.Error("component did not stop within the stop deadline; left behind", "component", kind+"/"+name, "err", ctx.Err())
		return false
	}
}

// closeSource releases what a source holds from New on (its listener, its client, its position
// journal): needed when Run never ran, harmless after it did.
func (a *Agent) closeSource(ctx context.Context, e *sourceEntry) {
	if err := e.src.Close(ctx); err != nil {
		a.log.Warn("source close failed", "source", e.cfg.Name, "err", err)
	}
}

// stopRunners stops the given runners together; those for which drain holds then take what
// is left in their channel until it is empty, DrainTimeout passes, or the close allowance
// before ctx's deadline is reached. Their sinks are not closed here.
func (a *Agent) stopRunners(ctx context.Context, es []*runnerEntry, drain func(*runnerEntry) bool) {
	for _, e := range es {
		if e.cancel != nil {
			e.cancel()
		}
	}
	stopped := map[*runnerEntry]bool{}
	for _, e := range es {
		stopped[e] = a.await(ctx, e.done, "sink", e.spec.name)
	}
	dctx, cancel := context.WithTimeout(ctx, a.drain)
	defer cancel()
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		var c2 context.CancelFunc
		dctx, c2 = context.WithDeadline(dctx, deadline.Add(-min(CloseAllowance, left/2)))
		defer c2()
	}
	var drained sync.WaitGroup
	for _, e := range es {
		if e.cancel == nil || !stopped[e] || !drain(e) {
			continue
		}
		drained.Add(1)
		go func() {
			defer drained.Done()
			n, err := e.runner.Drain(dctx)
			left := a.channels[e.spec.channel].metrics.ChannelSize.Load()
			if err != nil {
				a.log.Warn("sink did not drain its channel in time", "sink", e.spec.name, "drained", n, "channel", e.spec.channel, "left", left, "err", err)
			} else if n > 0 {
				a.log.Info("sink drained", "sink", e.spec.name, "events", n)
			}
		}()
	}
	drained.Wait()
}

// closeSinks closes a runner's sinks (Close is safe twice) and returns their failures.
func (a *Agent) closeSinks(ctx context.Context, e *runnerEntry) error {
	var errs []error
	for _, m := range e.members {
		if err := m.Sink.Close(ctx); err != nil {
			a.log.Warn("sink close failed", "sink", m.Name, "err", err)
			errs = append(errs, fmt.Errorf("sink %s: close: %w", m.Name, err))
		}
	}
	return errors.Join(errs...)
}

// closeChannel closes a channel. An *channel.AbandonedError (a memory channel's count of what
// it lost, which it logged) is returned as is; another failure is logged and returned wrapped.
func (a *Agent) closeChannel(ctx context.Context, e *channelEntry) error {
	err := e.ch.Close(ctx)
	var ab *channel.AbandonedError
	if err == nil || errors.As(err, &ab) {
		return err
	}
	a.log.Warn("channel close failed", "channel", e.cfg.Name, "err", err)
	return fmt.Errorf("channel %s: close: %w", e.cfg.Name, err)
}

// closeEverything closes what the agent holds: sources' listeners, sinks, then channels, then
// the metrics endpoint, marking each stopped. It returns an *AbandonedError joined with the
// close failures of sinks and channels.
func (a *Agent) closeEverything(ctx context.Context) error {
	for _, e := range a.sources {
		if e.cancel == nil { // a running source was closed when it stopped
			a.closeSource(ctx, e)
		}
	}
	var errs []error
	for _, e := range a.runners {
		errs = append(errs, a.closeSinks(ctx, e))
		for _, m := range e.members {
			m.Metrics.MarkStopped()
		}
	}
	lost := &AbandonedError{}
	for _, e := range a.channels {
		err := a.closeChannel(ctx, e)
		var ab *channel.AbandonedError
		if errors.As(err, &ab) {
			lost.Events += ab.Events
			lost.Channels = append(lost.Channels, e.cfg.Name)
		} else {
			errs = append(errs, err)
		}
		e.metrics.MarkStopped()
	}
	if a.server != nil {
		_ = a.server.Close(ctx)
	}
	a.ganglia.Stop()
	if lost.Events > 0 {
		sort.Strings(lost.Channels)
		errs = append([]error{lost}, errs...)
	}
	return errors.Join(errs...)
}
