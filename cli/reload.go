package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/agent"
	"github.com/flumego/flumego/config"
)

// defaultReloadPoll is how often the config file is checked even without a change
// notification: Flume's 30 s.
const defaultReloadPoll = 30 * time.Second

// settle is how long the watcher waits after the last change notification before it reports
// the change, so an editor's write-rename-chmod sequence causes one reload, not three.
const settle = 100 * time.Millisecond

// watchConfig reports on the returned channel that the config file may have changed: after a
// change notification in the file's directory (and in its symlink target's, when it is one), or
// every poll (0: never) as a fallback for file systems without notifications. It watches the
// directory, not the file, so an editor that writes a new file and renames it over the old one,
// or Kubernetes swapping a ConfigMap's ..data symlink, are seen too. The watch is in place when
// watchConfig returns, so the caller starts it before it first reads the file: a change in
// between is then reported, never left to the poll. The receiver compares the content; a report
// only means "look again".
func watchConfig(ctx context.Context, path string, poll time.Duration, log *slog.Logger) <-chan struct{} {
	out := make(chan struct{}, 1)
	report := func() {
		select {
		case out <- struct{}{}:
		default: // one pending report is enough
		}
	}
	names := map[string]bool{filepath.Base(path): true}
	dirs := []string{filepath.Dir(path)}
	if real, err := filepath.EvalSymlinks(path); err == nil && real != path {
		names[filepath.Base(real)] = true
		if d := filepath.Dir(real); d != dirs[0] {
			dirs = append(dirs, d)
		}
	}
	w, err := fsnotify.NewWatcher()
	if err == nil {
		for _, d := range dirs {
			if err = w.Add(d); err != nil {
				break
			}
		}
		if err != nil {
			w.Close()
		}
	}
	var events <-chan fsnotify.Event
	var errs <-chan error
	if err != nil {
		log.Warn("config change notifications unavailable; polling only", "file", path, "poll", poll, "err", err)
		w = nil
	} else {
		events, errs = w.Events, w.Errors
	}
	go func() {
		if w != nil {
			defer w.Close()
		}
		var tick <-chan time.Time
		if poll > 0 {
			t := time.NewTicker(poll)
			defer t.Stop()
			tick = t.C
		}
		quiet := time.NewTimer(settle)
		quiet.Stop()
		defer quiet.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					events = nil
					continue
				}
				if base := filepath.Base(ev.Name); names[base] || strings.HasPrefix(base, "..") {
					quiet.Reset(settle)
				}
			case err, ok := <-errs:
				if !ok {
					errs = nil
					continue
				}
				log.Warn("config change notifications", "err", err)
			case <-quiet.C:
				report()
			case <-tick:
				report()
			}
		}
	}()
	return out
}

// reloader reloads the running agent from its config file.
type reloader struct {
	file, name string
	comps      config.Components
	agent      *agent.Agent
	log        *slog.Logger
	notify     notifier
	last       [sha256.Size]byte // the content last loaded, accepted or rejected
}

// reload reads the file and applies it. A change notification (onlyIfChanged) does nothing
// when the content is the one last loaded; SIGHUP always reloads, which also restarts failed
// components. An invalid file is rejected with its diagnostics and the agent keeps running
// unchanged.
func (r *reloader) reload(trigger string, onlyIfChanged bool) {
	loaded := false // the outcome for the reload gauges, once an attempt was made
	attempted := true
	defer func() {
		if attempted {
			r.agent.Registry().ConfigLoaded(loaded, time.Now())
		}
	}()
	src, err := os.ReadFile(r.file)
	if err != nil {
		r.log.Error("reload: cannot read the config; the running configuration stays", "file", r.file, "err", err)
		return
	}
	sum := sha256.Sum256(src)
	if onlyIfChanged && sum == r.last {
		attempted = false // nothing to load: the gauges keep the last attempt's outcome
		return
	}
	r.last = sum
	r.log.Info("reloading the configuration", "file", r.file, "trigger", trigger)
	r.notify.reloading()

	cfg, _, diags := config.Load(r.file, src, r.name, r.comps)
	logDiagnostics(r.log, diags)
	if diags.HasErrors() {
		r.log.Error("config rejected; the running configuration stays", "file", r.file, "errors", config.Errors(diags))
		r.notify.ready(fmt.Sprintf("running the previous configuration: %s has %d error(s)", r.file, config.Errors(diags)))
		return
	}
	done, err := r.agent.Reload(cfg)
	if err != nil {
		r.log.Error("reload failed; the previous configuration runs", "err", err)
		r.notify.ready("running the previous configuration: " + err.Error())
		return
	}
	loaded = true
	if !done.Changed() {
		r.log.Info("config reloaded: no component changed", "file", r.file)
	}
	r.notify.ready(runningStatus(cfg))
}

// logDiagnostics logs each diagnostic as one record whose message reads like `agent validate`'s
// output line (file:line:col: error: ...).
func logDiagnostics(log *slog.Logger, diags hcl.Diagnostics) {
	for _, d := range diags {
		var buf bytes.Buffer
		config.WriteDiagnostics(&buf, hcl.Diagnostics{d})
		msg := strings.ReplaceAll(strings.TrimSpace(buf.String()), "\n    ", " — ")
		if d.Severity == hcl.DiagError {
			log.Error("config: " + msg)
		} else {
			log.Warn("config: " + msg)
		}
	}
}

func runningStatus(cfg *config.Agent) string {
	return fmt.Sprintf("running agent %s: %d source(s), %d channel(s), %d sink(s)", cfg.Name, len(cfg.Sources), len(cfg.Channels), len(cfg.Sinks))
}
