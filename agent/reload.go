package agent

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/metrics"
)

// What a reload keeps. A component keeps running untouched when, between the running and the
// new configuration, all of these are the same (compared by sameSettings, which ignores source
// positions, hooks and unexported state):
//
//   - a channel: its type, its decoded settings and the agent's data_dir;
//   - a sink runner (a sink group, or a sink in no group): the channel it drains and its
//     members' dead-letter channels, which must be kept too; its members in order, each with
//     its type, decoded settings, channel, batch_size, dead_letter_channel and
//     on_permanent_error; the group's processor type and settings; data_dir;
//   - a source: its type, decoded settings, channel list, interceptors (types and settings, in
//     order) and selector, data_dir; and every channel it puts into must be kept, because its
//     processor holds them.
//
// The metrics listener is rebound only when its listen address changed, and the Ganglia
// reporter restarted only when its settings did. A component that failed at run time is never
// kept, so a reload restarts it. Everything else
// is rebuilt: changed and removed components stop in the stop order (sources; then sink runners,
// which drain first only when their channel is going away; then channels), and added and
// changed ones are built and started in the start order (channels, sinks, sources). A changed
// source is stopped before its successor is built, so one that listens on the same port can
// bind it again. If building fails (a port taken by another process, a directory that cannot be
// created), what was built is closed, the components stopped are rebuilt from the running
// configuration, and Reload returns the error.

// ReloadSummary says what a reload did, by component: "source/r1", "channel/c1",
// "sink/k1" (a sink in no group) or "sink_group/g1".
type ReloadSummary struct {
	Kept, Restarted, Added, Removed []string
}

// Changed reports whether the reload touched any component.
func (s ReloadSummary) Changed() bool {
	return len(s.Restarted)+len(s.Added)+len(s.Removed) > 0
}

// plan is the difference between the running components and a new configuration.
type plan struct {
	keepChannels, keepRunners, keepSources map[string]bool
	summary                                ReloadSummary
}

func (a *Agent) plan(next *config.Agent) plan {
	p := plan{keepChannels: map[string]bool{}, keepRunners: map[string]bool{}, keepSources: map[string]bool{}}
	label := func(key string) string { return strings.Replace(key, "group/", "sink_group/", 1) }
	seen := map[string]bool{}
	note := func(kind, name string, exists, keep bool) {
		id := kind + "/" + name
		seen[id] = true
		switch {
		case keep:
			p.summary.Kept = append(p.summary.Kept, label(id))
		case exists:
			p.summary.Restarted = append(p.summary.Restarted, label(id))
		default:
			p.summary.Added = append(p.summary.Added, label(id))
		}
	}

	for _, c := range next.Channels {
		old, ok := a.channels[c.Name]
		keep := ok && old.dataDir == next.DataDir && old.cfg.Type == c.Type && sameSettings(old.cfg.Config, c.Config)
		p.keepChannels[c.Name] = keep
		note("channel", c.Name, ok, keep)
	}
	for _, sp := range runnerSpecs(next) {
		old, ok := a.runners[sp.key]
		keep := ok && old.dataDir == next.DataDir && p.keepChannels[sp.channel] && sameRunner(old.spec, sp) && !a.hasFailed(sp.key)
		for _, s := range sp.sinks { // its members hold their dead-letter channels
			keep = keep && (s.DeadLetterChannel == "" || p.keepChannels[s.DeadLetterChannel])
		}
		p.keepRunners[sp.key] = keep
		note(strings.SplitN(sp.key, "/", 2)[0], sp.name, ok, keep)
	}
	for _, s := range next.Sources {
		old, ok := a.sources[s.Name]
		keep := ok && old.dataDir == next.DataDir && sameSource(old.cfg, s) && !a.hasFailed("source/"+s.Name)
		for _, c := range s.Channels {
			keep = keep && p.keepChannels[c]
		}
		p.keepSources[s.Name] = keep
		note("source", s.Name, ok, keep)
	}
	for n := range a.channels {
		if !seen["channel/"+n] {
			p.summary.Removed = append(p.summary.Removed, "channel/"+n)
		}
	}
	for k := range a.runners {
		if !seen[k] {
			p.summary.Removed = append(p.summary.Removed, label(k))
		}
	}
	for n := range a.sources {
		if !seen["source/"+n] {
			p.summary.Removed = append(p.summary.Removed, "source/"+n)
		}
	}
	for _, l := range [][]string{p.summary.Kept, p.summary.Restarted, p.summary.Added, p.summary.Removed} {
		sort.Strings(l)
	}
	return p
}

func (a *Agent) hasFailed(name string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.failed[name]
	return ok
}

func sameRunner(a, b runnerSpec) bool {
	if a.channel != b.channel || (a.group == nil) != (b.group == nil) || len(a.sinks) != len(b.sinks) {
		return false
	}
	if a.group != nil && (a.group.Processor.Type != b.group.Processor.Type || !sameSettings(a.group.Processor.Config, b.group.Processor.Config)) {
		return false
	}
	for i, s := range a.sinks {
		t := b.sinks[i]
		if s.Name != t.Name || s.Type != t.Type || s.Channel != t.Channel || s.BatchSize != t.BatchSize || !sameSettings(s.Config, t.Config) ||
			s.DeadLetterChannel != t.DeadLetterChannel || s.OnPermanentError != t.OnPermanentError {
			return false
		}
	}
	return true
}

func sameSource(a, b *config.Source) bool {
	if a.Type != b.Type || !slices.Equal(a.Channels, b.Channels) || !sameSettings(a.Config, b.Config) || len(a.Interceptors) != len(b.Interceptors) {
		return false
	}
	for i, ic := range a.Interceptors {
		if ic.Type != b.Interceptors[i].Type || !sameSettings(ic.Config, b.Interceptors[i].Config) {
			return false
		}
	}
	switch {
	case a.Selector == nil || b.Selector == nil:
		return a.Selector == nil && b.Selector == nil
	default:
		return a.Selector.Type == b.Selector.Type && sameSettings(a.Selector.Config, b.Selector.Config)
	}
}

// Reload changes the running agent to next, restarting only what changed (see the comment at
// the top of this file), and returns what it did. next must be validated (config.Load) and name
// the same agent. On error the agent runs its previous configuration: what could not be
// rebuilt is reported by Health.
func (a *Agent) Reload(next *config.Agent) (ReloadSummary, error) {
	a.life.Lock()
	defer a.life.Unlock()
	if a.state != running {
		return ReloadSummary{}, ErrNotRunning
	}
	if next.Name != a.cfg.Name {
		return ReloadSummary{}, fmt.Errorf("reload: the config names agent %q, the running agent is %q; restart to rename it", next.Name, a.cfg.Name)
	}
	p := a.plan(next)
	prev := a.cfg
	if p.summary.Changed() {
		a.log.Info("reload: applying changes", "agent", next.Name, "restart", p.summary.Restarted, "add", p.summary.Added, "remove", p.summary.Removed, "keep", len(p.summary.Kept))
	}
	a.stopChanged(p)
	if err := a.build(next); err != nil {
		// Back to the running configuration: what was stopped is rebuilt from it. Its ports and
		// directories were just released, so this normally succeeds.
		if rerr := a.build(prev); rerr != nil {
			a.log.Error("reload: the previous configuration could not be restored either", "err", rerr)
			a.fail("reload", rerr)
		}
		a.startNew(prev)
		return p.summary, fmt.Errorf("reload: %w", err)
	}
	a.cfg = next
	a.inflight.SetLimit(int64(next.MaxInflightBytes)) // kept sources share the same budget
	a.applyHealthSettings(next)
	a.startNew(next)
	a.forgetRemoved(prev, next)
	a.clearFailure("reload")
	// The Ganglia reporter restarts only when its settings changed.
	if err := a.ganglia.Apply(next.Ganglia); err != nil {
		a.log.Error("reload: ganglia reporting", "err", err)
	}
	if err := a.bindMetrics(next); err != nil {
		// The components run the new configuration; the metrics listener goes back where it
		// was, and the next reload tries the new address again.
		if prev.Metrics != nil {
			if rerr := a.bindMetrics(prev); rerr != nil {
				a.log.Error("reload: the previous metrics listener could not be restored", "err", rerr)
			}
		}
		return p.summary, fmt.Errorf("reload: %w", err)
	}
	if p.summary.Changed() {
		a.log.Info("reload: applied", "agent", next.Name, "restarted", len(p.summary.Restarted), "added", len(p.summary.Added), "removed", len(p.summary.Removed), "kept", len(p.summary.Kept))
	}
	return p.summary, nil
}

// stopChanged stops every component p does not keep, in stop order, and forgets it, within one
// deadline as Stop does: StopTimeout(DrainTimeout).
func (a *Agent) stopChanged(p plan) {
	ctx, cancel := context.WithTimeout(context.Background(), StopTimeout(a.drain))
	defer cancel()
	var srcs []*sourceEntry
	for n, e := range a.sources {
		if !p.keepSources[n] {
			srcs = append(srcs, e)
			delete(a.sources, n)
			a.clearFailure("source/" + n)
		}
	}
	a.stopSources(ctx, srcs)

	var runners []*runnerEntry
	for k, e := range a.runners {
		if !p.keepRunners[k] {
			runners = append(runners, e)
			delete(a.runners, k)
			a.clearFailure(k)
		}
	}
	// A runner whose channel stays leaves its events there for its successor; one whose
	// channel goes away delivers what it can first.
	a.stopRunners(ctx, runners, func(e *runnerEntry) bool { return !p.keepChannels[e.spec.channel] })
	for _, e := range runners {
		_ = a.closeSinks(ctx, e) // logged; the reload goes on
	}

	for n, e := range a.channels {
		if p.keepChannels[n] {
			continue
		}
		if left := e.metrics.ChannelSize.Load(); left > 0 {
			a.log.Warn("closing a channel that still holds events: a durable channel keeps them for its successor, a memory channel loses them",
				"channel", n, "type", e.cfg.Type, "events", left)
		}
		_ = a.closeChannel(ctx, e) // logged, and warned about above
		delete(a.channels, n)
	}
}

// forgetRemoved drops the counters of components that next no longer has. Components that
// remain under the same name and type keep theirs (the registry hands them back), so their
// rates stay continuous across the reload.
func (a *Agent) forgetRemoved(prev, next *config.Agent) {
	names := func(kind metrics.Kind, cfg *config.Agent) map[string]bool {
		out := map[string]bool{}
		switch kind {
		case metrics.KindSource:
			for _, s := range cfg.Sources {
				out[s.Name] = true
			}
		case metrics.KindChannel:
			for _, c := range cfg.Channels {
				out[c.Name] = true
			}
		case metrics.KindSink:
			for _, s := range cfg.Sinks {
				out[s.Name] = true
			}
		}
		return out
	}
	for _, kind := range []metrics.Kind{metrics.KindSource, metrics.KindChannel, metrics.KindSink} {
		keep := names(kind, next)
		for n := range names(kind, prev) {
			if !keep[n] {
				a.reg.Remove(kind, n)
			}
		}
	}
}
