// Package agent assembles one running agent from its validated configuration and owns its life:
// channels start first, then the sink runners, then the sources; on stop the sources finish
// their in-flight put, the sinks drain what they can within the drain deadline, and the channels
// close last (DESIGN §1). A component that fails at run time is logged and reported by /healthz;
// the agent keeps serving its other flows.
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
	"github.com/flumego/flumego/internal/metrics"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/source"
)

// DefaultDrainTimeout bounds how long a stopping agent lets its sinks drain.
const DefaultDrainTimeout = 10 * time.Second

// Options are the run-time settings that do not come from the config file.
type Options struct {
	Logger       *slog.Logger
	Registry     *metrics.Registry // nil: a new one for the agent
	DrainTimeout time.Duration     // 0: DefaultDrainTimeout
}

// Agent is one assembled agent, ready to Run.
type Agent struct {
	cfg      *config.Agent
	log      *slog.Logger
	reg      *metrics.Registry
	drain    time.Duration
	channels []namedChannel
	runners  []runnerEntry
	sources  []sourceEntry
	server   *metrics.Server

	mu     sync.Mutex
	failed map[string]error // component → why it stopped
}

type namedChannel struct {
	name    string
	ch      channel.Channel
	metrics *metrics.Channel
}

type runnerEntry struct {
	name    string
	runner  *sink.Runner
	sink    sink.Sink
	members []sink.Member
}

type sourceEntry struct {
	name    string
	src     source.Source
	metrics *metrics.Source
}

// New builds every component of cfg. Nothing runs yet, except that listeners (sources' ports,
// the metrics endpoint) are bound, so a port in use fails here, before the agent starts.
func New(cfg *config.Agent, opts Options) (_ *Agent, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = metrics.NewRegistry(cfg.Name)
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = DefaultDrainTimeout
	}
	a := &Agent{cfg: cfg, log: opts.Logger, reg: opts.Registry, drain: opts.DrainTimeout, failed: map[string]error{}}
	var unrun []sink.Member // sinks created but not yet owned by a runner
	defer func() {
		if err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for _, m := range unrun {
				_ = m.Sink.Close(ctx)
			}
			// Sources hold listeners from New on; release them when the agent never runs.
			for _, s := range a.sources {
				if c, ok := s.src.(interface{ Close() error }); ok {
					_ = c.Close()
				}
			}
			a.closeAll(ctx)
		}
	}()

	byName := map[string]channel.Channel{}
	for _, c := range cfg.Channels {
		m := a.reg.Channel(c.Name, c.Type)
		ch, err := c.Factory.Create(c.Config, channel.Settings{
			Name: c.Name, Type: c.Type, Logger: a.componentLogger("channel", c.Name, c.Type),
			Metrics: m, DataDir: cfg.DataDir,
		})
		if err != nil {
			return nil, fmt.Errorf("channel %s: %w", c.Name, err)
		}
		a.channels = append(a.channels, namedChannel{c.Name, ch, m})
		byName[c.Name] = ch
	}

	members := map[string]sink.Member{}
	sinkCfg := map[string]*config.Sink{}
	for _, s := range cfg.Sinks {
		m := a.reg.Sink(s.Name, s.Type)
		sk, err := s.Factory.Create(s.Config, sink.Settings{
			Name: s.Name, Type: s.Type, Logger: a.componentLogger("sink", s.Name, s.Type),
			Metrics: m, BatchSize: s.BatchSize, DataDir: cfg.DataDir,
		})
		if err != nil {
			return nil, fmt.Errorf("sink %s: %w", s.Name, err)
		}
		members[s.Name] = sink.Member{Name: s.Name, Sink: sk, Metrics: m}
		unrun = append(unrun, members[s.Name])
		sinkCfg[s.Name] = s
	}
	grouped := map[string]bool{}
	for _, g := range cfg.SinkGroups {
		var ms []sink.Member
		batch := 0
		for _, n := range g.Sinks {
			ms = append(ms, members[n])
			grouped[n] = true
			if b := sinkCfg[n].BatchSize; batch == 0 || b < batch {
				batch = b
			}
		}
		log := a.componentLogger("sink_group", g.Name, g.Processor.Type)
		proc, err := g.Factory.Create(g.Processor.Config, sink.ProcessorSettings{Name: g.Name, Type: g.Processor.Type, Logger: log, BatchSize: batch}, ms)
		if err != nil {
			return nil, fmt.Errorf("sink_group %s: %w", g.Name, err)
		}
		ch := byName[sinkCfg[g.Sinks[0]].Channel]
		a.addRunner(g.Name, ch, proc, batch, ms, log)
	}
	for _, s := range cfg.Sinks {
		if grouped[s.Name] {
			continue
		}
		m := members[s.Name]
		a.addRunner(s.Name, byName[s.Channel], sink.NewDefaultProcessor(m, s.BatchSize), s.BatchSize, []sink.Member{m}, a.componentLogger("sink", s.Name, s.Type))
	}
	unrun = nil // every sink now belongs to a runner and is closed by closeAll (Close is safe twice)

	for _, s := range cfg.Sources {
		if err := a.addSource(s, byName); err != nil {
			return nil, err
		}
	}

	if cfg.Metrics != nil {
		srv, err := metrics.Listen(cfg.Metrics.Listen, metrics.Handler(a.reg, a.Health), a.log.With("component", "metrics"))
		if err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		a.server = srv
	}
	return a, nil
}

func (a *Agent) addRunner(name string, ch channel.Channel, s sink.Sink, batch int, ms []sink.Member, log *slog.Logger) {
	r := sink.NewRunner(sink.RunnerConfig{
		Name: name, Channel: ch, Sink: s, BatchSize: batch, Metrics: ms[0].Metrics, Logger: log,
	})
	a.runners = append(a.runners, runnerEntry{name: name, runner: r, sink: s, members: ms})
}

func (a *Agent) addSource(s *config.Source, byName map[string]channel.Channel) error {
	log := a.componentLogger("source", s.Name, s.Type)
	var icpts []interceptor.Interceptor
	for _, ic := range s.Interceptors {
		i, err := ic.Factory.Create(ic.Config, interceptor.Settings{Source: s.Name, Type: ic.Type, Logger: log.With("interceptor", ic.Type)})
		if err != nil {
			return fmt.Errorf("source %s: interceptor %s: %w", s.Name, ic.Type, err)
		}
		icpts = append(icpts, i)
	}
	var sel interceptor.Selector
	if s.Selector != nil {
		var err error
		sel, err = s.Selector.Factory.Create(s.Selector.Config, interceptor.SelectorSettings{Source: s.Name, Channels: s.Channels, Logger: log})
		if err != nil {
			return fmt.Errorf("source %s: selector %s: %w", s.Name, s.Selector.Type, err)
		}
	}
	chans := make([]channel.Channel, len(s.Channels))
	for i, n := range s.Channels {
		chans[i] = byName[n]
	}
	m := a.reg.Source(s.Name, s.Type)
	proc := source.NewProcessor(source.ProcessorConfig{
		Channels: chans, ChannelNames: s.Channels, Interceptors: icpts, Selector: sel, Metrics: m, Logger: log,
	})
	src, err := s.Factory.Create(s.Config, source.Settings{
		Name: s.Name, Type: s.Type, Logger: log, Metrics: m, Processor: proc, DataDir: a.cfg.DataDir,
	})
	if err != nil {
		return fmt.Errorf("source %s: %w", s.Name, err)
	}
	a.sources = append(a.sources, sourceEntry{name: s.Name, src: src, metrics: m})
	return nil
}

func (a *Agent) componentLogger(kind, name, typ string) *slog.Logger {
	return a.log.With("component", kind+"/"+name, "type", typ)
}

// Registry is the agent's metrics registry.
func (a *Agent) Registry() *metrics.Registry { return a.reg }

// MetricsAddr is the address the metrics endpoint listens on, or "" when it has none.
func (a *Agent) MetricsAddr() string {
	if a.server == nil {
		return ""
	}
	return a.server.Addr().String()
}

// Health returns nil while every component runs, or an error naming those that failed.
func (a *Agent) Health() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	for name, err := range a.failed {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	return errors.Join(errs...)
}

func (a *Agent) fail(name string, err error) {
	a.mu.Lock()
	a.failed[name] = err
	a.mu.Unlock()
}

// Run runs the agent until ctx is cancelled, then stops it in order within the drain timeout.
// It returns nil after a clean stop.
func (a *Agent) Run(ctx context.Context) error {
	for _, c := range a.channels {
		c.metrics.MarkStarted()
	}
	runCtx, stopRunners := context.WithCancel(context.Background())
	defer stopRunners()
	var runners sync.WaitGroup
	for _, r := range a.runners {
		for _, m := range r.members {
			m.Metrics.MarkStarted()
		}
		runners.Add(1)
		go func() {
			defer runners.Done()
			if err := r.runner.Run(runCtx); err != nil {
				a.log.Error("sink runner stopped", "sink", r.name, "err", err)
				a.fail("sink "+r.name, err)
			}
		}()
	}
	srcCtx, stopSources := context.WithCancel(context.Background())
	defer stopSources()
	var sources sync.WaitGroup
	for _, s := range a.sources {
		s.metrics.MarkStarted()
		sources.Add(1)
		go func() {
			defer sources.Done()
			err := s.src.Run(srcCtx)
			s.metrics.MarkStopped()
			if err != nil && srcCtx.Err() == nil {
				a.log.Error("source stopped", "source", s.name, "err", err)
				a.fail("source "+s.name, err)
			}
		}()
	}
	a.log.Info("agent started", "agent", a.cfg.Name, "sources", len(a.sources), "channels", len(a.channels), "sinks", len(a.runners))

	<-ctx.Done()
	a.log.Info("agent stopping", "agent", a.cfg.Name, "drain_timeout", a.drain)
	deadline, cancel := context.WithTimeout(context.Background(), a.drain)
	defer cancel()

	stopSources()
	sources.Wait()
	stopRunners()
	runners.Wait()

	var drained sync.WaitGroup
	for _, r := range a.runners {
		drained.Add(1)
		go func() {
			defer drained.Done()
			n, err := r.runner.Drain(deadline)
			if err != nil {
				a.log.Warn("sink did not drain its channel", "sink", r.name, "drained", n, "err", err)
			} else if n > 0 {
				a.log.Info("sink drained", "sink", r.name, "events", n)
			}
		}()
	}
	drained.Wait()
	closeCtx, cancelClose := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelClose()
	a.closeAll(closeCtx)
	a.log.Info("agent stopped", "agent", a.cfg.Name)
	return nil
}

// closeAll closes what New built: sinks, then channels, then the metrics endpoint.
func (a *Agent) closeAll(ctx context.Context) {
	for _, r := range a.runners {
		for _, m := range r.members {
			if err := m.Sink.Close(ctx); err != nil {
				a.log.Warn("sink close failed", "sink", m.Name, "err", err)
			}
			m.Metrics.MarkStopped()
		}
	}
	for _, c := range a.channels {
		if err := c.ch.Close(ctx); err != nil {
			a.log.Warn("channel close failed", "channel", c.name, "err", err)
		}
		c.metrics.MarkStopped()
	}
	if a.server != nil {
		_ = a.server.Close(ctx)
	}
}
