package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/metrics"
)

const statusUsage = `usage:
  agent status [--addr HOST:PORT | -f FILE [-n NAME]] [--interval 1s] [--timeout 5s]

Shows a running agent's components at a glance: each channel's fill level, events per second
in and out of every component, failures, health, and a "<==" mark where events are piling up (a
channel filling or full, a sink or source failing, with its last error). It reads the agent's
metrics endpoint twice, --interval apart. With -f, the address is the config's metrics listen
address. Exit status: 0 when the agent is healthy, 3 when it is degraded (a component failing
for longer than unhealthy_after, or stopped), 1 when it cannot be read, 2 for a usage error.
`

// defaultStatusAddr is where `agent status` looks without --addr or -f: the listen address the
// examples use.
const defaultStatusAddr = "127.0.0.1:41414"

// exitDegraded is `agent status`'s exit code for an agent that answered degraded.
const exitDegraded = 3

// runStatus is `agent status`. Exit codes: 0 when the agent answered healthy, 3 when it
// answered degraded, 1 when it could not be read, 2 for a usage or configuration error.
func runStatus(args []string, stdout, stderr io.Writer, comps config.Components) int {
	fs := flag.NewFlagSet("agent status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "HOST:PORT of the agent's metrics endpoint (default "+defaultStatusAddr+")")
	file := fs.String("f", "", "read the metrics listen address from this configuration file")
	name := fs.String("n", "", "the agent in -f FILE, when it holds several")
	interval := fs.Duration("interval", time.Second, "time between the two samples that rates are computed over")
	timeout := fs.Duration("timeout", 5*time.Second, "how long each request to the agent may take")
	fs.Usage = func() { fmt.Fprint(stderr, statusUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitConfig
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "agent status: unexpected argument %q\n%s", fs.Arg(0), statusUsage)
		return exitConfig
	case *addr != "" && *file != "":
		fmt.Fprintf(stderr, "agent status: give --addr or -f, not both\n%s", statusUsage)
		return exitConfig
	case *interval <= 0 || *timeout <= 0:
		fmt.Fprintf(stderr, "agent status: --interval and --timeout must be positive\n")
		return exitConfig
	}
	target := *addr
	if *file != "" {
		var code int
		if target, code = statusAddrFromConfig(*file, *name, stderr, comps); code != exitOK {
			return code
		}
	}
	if target == "" {
		target = defaultStatusAddr
	}

	client := &http.Client{Timeout: *timeout}
	defer client.CloseIdleConnections()
	first, err := fetchSnapshot(client, target)
	if err != nil {
		fmt.Fprintf(stderr, "agent status: %v\n", err)
		return exitRuntime
	}
	time.Sleep(*interval)
	second, err := fetchSnapshot(client, target)
	if err != nil {
		fmt.Fprintf(stderr, "agent status: %v\n", err)
		return exitRuntime
	}
	if second.Agent == "" {
		second.Agent = first.Agent
	}
	st := metrics.Compare(first, second)
	writeStatus(stdout, target, st)
	if st.Degraded() {
		return exitDegraded
	}
	return exitOK
}

// statusAddrFromConfig returns the address to reach the metrics listener of the agent that
// file configures: its listen address, with a wildcard host ("0.0.0.0", "::", "") replaced by
// loopback.
func statusAddrFromConfig(file, name string, stderr io.Writer, comps config.Components) (string, int) {
	cfg, _, diags := config.LoadFile(file, name, comps)
	if diags.HasErrors() {
		config.WriteDiagnostics(stderr, diags)
		fmt.Fprintf(stderr, "agent status: %s: %d error(s)\n", file, config.Errors(diags))
		return "", exitConfig
	}
	if cfg.Metrics == nil {
		fmt.Fprintf(stderr, "agent status: agent %q in %s serves no metrics: add metrics { listen = %q } and restart it\n", cfg.Name, file, defaultStatusAddr)
		return "", exitConfig
	}
	host, port, err := net.SplitHostPort(cfg.Metrics.Listen)
	if err != nil {
		fmt.Fprintf(stderr, "agent status: %s: metrics listen %q: %v\n", file, cfg.Metrics.Listen, err)
		return "", exitConfig
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port), exitOK
}

// fetchSnapshot reads every component's values from the agent at addr: flumego's
// /status.json, or else Flume's JSON shape from /metrics.json (older flumego agents) or
// /metrics (an Apache Flume agent's HTTP monitoring, during a migration).
func fetchSnapshot(c *http.Client, addr string) (metrics.Snapshot, error) {
	base := "http://" + addr
	body, ok, err := getStatusPath(c, base+"/status.json")
	if err != nil {
		return metrics.Snapshot{}, err
	}
	if ok {
		var s metrics.Snapshot
		if err := json.Unmarshal(body, &s); err != nil {
			return metrics.Snapshot{}, fmt.Errorf("%s/status.json: %w", base, err)
		}
		return s, nil
	}
	for _, path := range []string{"/metrics.json", "/metrics"} {
		body, ok, err := getStatusPath(c, base+path)
		if err != nil {
			return metrics.Snapshot{}, err
		}
		var m map[string]map[string]string
		if ok && json.Unmarshal(body, &m) == nil {
			return metrics.SnapshotFromFlumeJSON(m, time.Now()), nil
		}
	}
	return metrics.Snapshot{}, fmt.Errorf("%s serves neither /status.json nor Flume's JSON metrics: is it a flumego or Flume agent's metrics endpoint?", base)
}

// getStatusPath fetches url; ok is false when the server answered 404.
func getStatusPath(c *http.Client, url string) (body []byte, ok bool, err error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, false, fmt.Errorf("cannot reach the agent: %w", err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	switch {
	case err != nil:
		return nil, false, fmt.Errorf("GET %s: %w", url, err)
	case resp.StatusCode == http.StatusNotFound:
		return nil, false, nil
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, true, nil
}

// writeStatus prints the status as a table, one component per line in the order events flow,
// with "<==" and the reason where events are piling up.
func writeStatus(w io.Writer, addr string, st metrics.Status) {
	agent := st.Agent
	if agent == "" {
		agent = "(unnamed)"
	}
	health := st.Health
	switch {
	case health == "":
		health = "unknown"
	case st.Degraded():
		health = "DEGRADED"
	}
	fmt.Fprintf(w, "agent %s at %s: health %s; events/s over %v\n\n", agent, addr, health, st.Interval.Round(time.Millisecond))
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tTYPE\tHEALTH\tFILL\tIN/S\tOUT/S\tFAILURES\tSET ASIDE\t")
	for _, r := range st.Rows {
		typ := r.Type
		if typ == "" {
			typ = "-"
		}
		mark := ""
		if r.Attention != "" {
			mark = "<== " + r.Attention
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Kind, r.Name, typ, r.HealthWord(), r.FormatFill(),
			metrics.FormatRate(r.In), metrics.FormatRate(r.Out), r.FormatFailures(), r.FormatSetAside(), mark)
	}
	_ = tw.Flush()
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
	switch {
	case len(st.Rows) == 0:
		fmt.Fprintln(w, "\nthe agent has no components")
	case st.Attention():
		fmt.Fprintln(w, "\nevents are piling up where marked <==")
	default:
		fmt.Fprintln(w, "\nnothing is piling up")
	}
	if st.Degraded() {
		fmt.Fprintln(w, "\nthe agent is DEGRADED:")
		for line := range strings.Lines(strings.TrimPrefix(st.Health, "degraded: ")) {
			fmt.Fprintln(w, "  "+strings.TrimRight(line, "\n"))
		}
	}
}
