// Package cli is the agent's command line: `agent -f flume.hcl [-n NAME]` runs one agent from an
// HCL file, `agent validate -f FILE` only checks the file, `agent convert flume.conf` turns a
// Flume properties file into HCL, `agent status` shows a running agent's components at a glance,
// and `agent version` prints the version. A custom agent is a main of a few lines that calls Main
// with its own component list (components.Builtin() plus its own factories).
// Exit codes: 0 after a clean stop; 2 for a configuration error (nothing was started); 1 for a
// run-time failure: the agent could not start (a port in use), or its stop was not clean —
// events were abandoned (a memory channel closed holding events, including those a drain that
// ran out of time left in it; the log says how many) or a sink or channel failed to close.
// Events a drain left in a durable channel (file, kafka) are kept for the next start: that stop
// is clean. On SIGINT or SIGTERM the whole stop has one deadline, --drain-timeout plus
// agent.CloseAllowance: the sinks drain for up to --drain-timeout, and closing them and the
// channels gets the rest. A second signal exits at once with status 1.
//
// A running agent reloads its config file on SIGHUP and when the file changes (see reload.go);
// under systemd (Type=notify) it reports readiness, reloads and stopping, and serves the
// watchdog (see notify.go).
package cli

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/flumego/flumego/agent"
	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/metrics"
)

// Settings are what a distribution of the agent brings to the command line.
type Settings struct {
	// Components are the component types the agent can run; a custom agent lists
	// components.Builtin() plus its own.
	Components config.Components
	// Version, Commit and Date describe the build: `agent version` prints them and /metrics
	// exports them as flumego_build_info. A release stamps them with -ldflags; left empty,
	// Version is "dev" and Commit and Date come from the version-control information the go
	// command records in the binary.
	Version, Commit, Date string
}

const (
	exitOK      = 0
	exitRuntime = 1
	exitConfig  = 2
)

const usage = `usage:
  agent -f FILE [-n NAME] [--log-level LEVEL] [--log-format text|json] [--drain-timeout 10s]
        [--no-reload-conf] [--reload-poll 30s]
  agent validate -f FILE [-n NAME]
  agent convert FLUME.CONF [-n NAME] > flume.hcl
  agent status [--addr HOST:PORT | -f FILE [-n NAME]] [--interval 1s] [--timeout 5s]
  agent version | --version
`

// Main runs the command line args (without the program name) and returns the process's exit code.
func Main(args []string, stdout, stderr io.Writer, set Settings) int {
	cmd := "run"
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || args[0] == "--version" || args[0] == "-version") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionLine(build(set)))
		return exitOK
	case "status":
		return runStatus(args, stdout, stderr, set.Components)
	case "convert":
		return runConvert(args, stdout, stderr, set.Components)
	case "run", "validate":
	case "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "agent: unknown command %q\n%s", cmd, usage)
		return exitConfig
	}

	fs := flag.NewFlagSet("agent "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "the agent's HCL configuration file")
	name := fs.String("n", "", "the agent to run, when the file holds several")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "text or json")
	drain := fs.Duration("drain-timeout", agent.DefaultDrainTimeout, "how long sinks may drain their channels on stop (the stop's deadline adds 5s for closing)")
	noReload := fs.Bool("no-reload-conf", false, "do not reload the config file when it changes (SIGHUP still reloads it)")
	reloadPoll := fs.Duration("reload-poll", defaultReloadPoll, "how often the config file is checked for changes besides change notifications (0: only notifications)")
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitConfig
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "agent: unexpected argument %q\n%s", fs.Arg(0), usage)
		return exitConfig
	}
	if *file == "" {
		fmt.Fprintf(stderr, "agent: -f FILE is required\n%s", usage)
		return exitConfig
	}
	logger, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "agent: %v\n", err)
		return exitConfig
	}

	// Watch before reading, so a change made while the agent starts (a ConfigMap swapped right
	// after the pod started) is seen within the settle time, not at the next poll.
	var changed <-chan struct{}
	if cmd == "run" && !*noReload {
		watchCtx, stopWatch := context.WithCancel(context.Background())
		defer stopWatch()
		changed = watchConfig(watchCtx, *file, *reloadPoll, logger)
	}
	src, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintf(stderr, "agent: cannot read config: %v\n", err)
		return exitConfig
	}
	comps := set.Components
	cfg, _, diags := config.Load(*file, src, *name, comps)
	config.WriteDiagnostics(stderr, diags)
	if diags.HasErrors() {
		fmt.Fprintf(stderr, "agent: %s: %d error(s); nothing was started\n", *file, config.Errors(diags))
		return exitConfig
	}
	if cmd == "validate" {
		fmt.Fprintf(stdout, "%s: agent %q is valid\n", *file, cfg.Name)
		return exitOK
	}

	reg := metrics.NewRegistry(cfg.Name)
	reg.SetBuildInfo(build(set))
	a, err := agent.New(cfg, agent.Options{Logger: logger, Registry: reg, DrainTimeout: *drain})
	if err != nil {
		logger.Error("agent failed to start", "err", err)
		return exitRuntime
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// SIGHUP is caught from the start: its default action would kill the agent.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	if err := a.Start(); err != nil {
		logger.Error("agent failed to start", "err", err)
		return exitRuntime
	}
	sd := notifier{log: logger}
	sd.ready(runningStatus(cfg))
	go sd.watchdog(ctx, a.Alive)

	r := &reloader{file: *file, name: *name, comps: comps, agent: a, log: logger, notify: sd, last: sha256.Sum256(src)}
	if *noReload {
		logger.Info("not watching the config file (--no-reload-conf); SIGHUP still reloads it", "file", *file)
	}
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-hup:
			r.reload("SIGHUP", false)
		case <-changed:
			r.reload("file changed", true)
		}
	}

	// A second signal while draining means the operator wants out now. Listen before
	// NotifyContext lets go, so no signal falls back to its default action in between.
	again := make(chan os.Signal, 1)
	signal.Notify(again, syscall.SIGINT, syscall.SIGTERM)
	stop()
	go func() {
		<-again
		logger.Error("second signal: exiting without finishing the drain")
		os.Exit(exitRuntime)
	}()
	sd.stopping()
	stopCtx, cancel := context.WithTimeout(context.Background(), agent.StopTimeout(*drain))
	defer cancel()
	if err := a.Stop(stopCtx); err != nil {
		logger.Error("the stop was not clean; exiting with status 1", "err", err)
		return exitRuntime
	}
	return exitOK
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format: %q is not text or json", format)
	}
}
