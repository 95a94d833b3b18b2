// Command agent runs one flumego agent from an HCL file: `agent -f flume.hcl [-n NAME]`.
// `agent validate -f FILE` only checks the file; `agent version` prints the version.
// Exit codes: 0 after a clean stop, 2 for a configuration error, 1 for a run-time failure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/internal/agent"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

const (
	exitOK      = 0
	exitRuntime = 1
	exitConfig  = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  agent -f FILE [-n NAME] [--log-level LEVEL] [--log-format text|json] [--drain-timeout 10s]
  agent validate -f FILE [-n NAME]
  agent version
`

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "flumego agent", versionString())
		return exitOK
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
	drain := fs.Duration("drain-timeout", agent.DefaultDrainTimeout, "how long sinks may drain their channels on stop")
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

	cfg, _, diags := config.LoadFile(*file, *name, components())
	config.WriteDiagnostics(stderr, diags)
	if diags.HasErrors() {
		fmt.Fprintf(stderr, "agent: %s: %d error(s); nothing was started\n", *file, config.Errors(diags))
		return exitConfig
	}
	if cmd == "validate" {
		fmt.Fprintf(stdout, "%s: agent %q is valid\n", *file, cfg.Name)
		return exitOK
	}

	a, err := agent.New(cfg, agent.Options{Logger: logger, DrainTimeout: *drain})
	if err != nil {
		logger.Error("agent failed to start", "err", err)
		return exitRuntime
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		// A second signal while draining means the operator wants out now.
		<-ctx.Done()
		stop()
		again := make(chan os.Signal, 1)
		signal.Notify(again, syscall.SIGINT, syscall.SIGTERM)
		<-again
		logger.Error("second signal: exiting without finishing the drain")
		os.Exit(exitRuntime)
	}()
	if err := a.Run(ctx); err != nil {
		logger.Error("agent failed", "err", err)
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

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + bi.GoVersion
	}
	return v
}
