// Package ganglia reports the agent's counters to Ganglia, as Flume's GangliaServer does
// (`flume.monitoring.type = ganglia`), so the charts of a fleet that ran Flume keep working.
//
// Every poll_frequency (and once at start) the reporter sends every value of every component
// (the values of /metrics.json: Flume's counters, ChannelFillPercentage, Type, StartTime and
// StopTime) to every host over UDP. A value is named "flume.<KIND>.<name>.<attribute>"
// ("flume.CHANNEL.c1.EventPutSuccessCount"), exactly as Flume names it.
//
// Two wire formats, chosen as Flume chooses them:
//
//   - is_ganglia3 = false (the default): Ganglia 3.1's format, which gmond 3.1 and later
//     understand. Each value is two datagrams: a metadata message (id 128, gmetadata_full:
//     host, name, spoof false, type, units "", slope "both", tmax, dmax 0 and extra data
//     GROUP = "flume"), then the value as text (id 133, gmetric_string, format "%s"). The
//     metadata is resent with every value, so a gmond that restarted, or forgot the metric,
//     learns it again at the next poll.
//   - is_ganglia3 = true: the older Ganglia 3.0 format (one gmetric message, id 0, per value,
//     its name prefixed with this host's name), for gmond 3.0 collectors. The flag's name is
//     Flume's: "Ganglia 3" means 3.0, not "3.x".
//
// Where this differs from Flume, on purpose: numeric values are typed "double" rather than
// "float" (a float rounds counters above 16,777,216), and tmax is poll_frequency rather than a
// fixed 60 s, so Ganglia knows how often to expect a value. Slope stays "both" as in Flume, so
// gmetad stores counts (not rates) and existing charts read the same.
//
// Sending is best effort, as UDP is: a host that cannot be resolved or reached is logged once
// per poll and tried again at the next one; it never stops the agent.
package ganglia

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/metrics"
)

// DefaultPollFrequency is Flume's pollFrequency default: 60 seconds.
const DefaultPollFrequency = 60 * time.Second

// Config is the `monitoring "ganglia" { ... }` block of an agent.
type Config struct {
	// Hosts are the gmond collectors to send to, each "host:port" (gmond listens on 8649).
	Hosts []string `hcl:"hosts"`
	// PollFrequency is the time between two reports (Flume's pollFrequency, in seconds there).
	PollFrequency time.Duration `hcl:"poll_frequency,optional"`
	// IsGanglia3 sends Ganglia 3.0's format instead of 3.1's (Flume's isGanglia3).
	IsGanglia3 bool `hcl:"is_ganglia3,optional"`
}

// Defaults returns Flume's defaults: a report every 60 seconds in Ganglia 3.1's format.
func Defaults() *Config { return &Config{PollFrequency: DefaultPollFrequency} }

// Validate reports every problem at once: no hosts, a host that is not "host:port" with a
// port in 1..65535, a poll frequency under one second (Flume counts it in whole seconds).
func (c *Config) Validate() error {
	var errs []error
	if len(c.Hosts) == 0 {
		errs = append(errs, schema.Errorf("hosts", `at least one gmond address is needed, such as ["gmond:8649"]`))
	}
	for i, h := range c.Hosts {
		if err := checkHostPort(h); err != nil {
			errs = append(errs, schema.Errorf("hosts", "element %d: %v", i, err))
		}
	}
	if c.PollFrequency < time.Second {
		errs = append(errs, schema.Errorf("poll_frequency", "must be at least 1s, got %v", c.PollFrequency))
	}
	return errors.Join(errs...)
}

func checkHostPort(hp string) error {
	host, port, err := net.SplitHostPort(hp)
	if err != nil || host == "" {
		return fmt.Errorf("%q is not host:port (such as \"gmond:8649\")", hp)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port must be a number in 1..65535", hp)
	}
	return nil
}

// Format is the wire format's name, for logs: "3.1" or "3.0".
func (c *Config) Format() string {
	if c.IsGanglia3 {
		return "3.0"
	}
	return "3.1"
}

// Reporter sends an agent's counters to gmond collectors. Build it with NewReporter and run it
// with Run.
type Reporter struct {
	cfg      Config
	reg      *metrics.Registry
	log      *slog.Logger
	hostname string
	tmax     uint32
	// send delivers one round's datagrams to one host; tests replace it.
	send func(ctx context.Context, host string, packets [][]byte) error
	// tooLong remembers values already reported as too long for a datagram, to warn once.
	tooLong map[string]bool
}

// NewReporter checks cfg and returns a reporter of reg's components. It opens nothing: hosts
// are resolved at every report, so a collector whose name does not resolve yet is picked up
// once it does. A nil logger discards.
func NewReporter(cfg Config, reg *metrics.Registry, logger *slog.Logger) (*Reporter, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		return nil, errors.New("ganglia: no metrics registry")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ganglia: %w", err)
	}
	hostname, err := os.Hostname()
	if err != nil || hostname == "" {
		logger.Warn("ganglia: cannot read this host's name; reporting as localhost", "err", err)
		hostname = "localhost"
	}
	r := &Reporter{
		cfg:      cfg,
		reg:      reg,
		log:      logger,
		hostname: hostname,
		tmax:     uint32(min(math.Ceil(cfg.PollFrequency.Seconds()), math.MaxUint32)),
		tooLong:  map[string]bool{},
	}
	r.send = sendUDP
	return r, nil
}

// Run reports at once and then every poll frequency until ctx is done, then returns nil. Send
// failures are logged, never returned: monitoring must not stop the agent.
func (r *Reporter) Run(ctx context.Context) error {
	r.log.Info("ganglia reporting", "hosts", r.cfg.Hosts, "format", r.cfg.Format(), "poll_frequency", r.cfg.PollFrequency)
	t := time.NewTicker(r.cfg.PollFrequency)
	defer t.Stop()
	for {
		r.report(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// report sends one round: every value of every component to every host.
func (r *Reporter) report(ctx context.Context) {
	packets := r.packets()
	for _, h := range r.cfg.Hosts {
		if ctx.Err() != nil {
			return
		}
		if err := r.send(ctx, h, packets); err != nil {
			r.log.Warn("ganglia: could not send metrics", "host", h, "err", err)
			continue
		}
		r.log.Debug("ganglia: metrics sent", "host", h, "datagrams", len(packets))
	}
}

// packets encodes the registry's values, in a stable order (component, then value name), in
// the configured format.
func (r *Reporter) packets() [][]byte {
	var out [][]byte
	for _, m := range collect(r.reg) {
		var ps [][]byte
		if r.cfg.IsGanglia3 {
			ps = [][]byte{appendMessage30(nil, r.hostname, m, r.tmax)}
		} else {
			ps = [][]byte{appendMetadata31(nil, r.hostname, m, r.tmax), appendValue31(nil, r.hostname, m)}
		}
		if fits(ps) {
			out = append(out, ps...)
			continue
		}
		if !r.tooLong[m.name] {
			r.tooLong[m.name] = true
			r.log.Warn("ganglia: value too long for one datagram; not reported", "metric", m.name, "limit_bytes", maxPacket)
		}
	}
	return out
}

func fits(ps [][]byte) bool {
	for _, p := range ps {
		if len(p) > maxPacket {
			return false
		}
	}
	return true
}

// collect lists every value Flume's JSON shows, named as Flume's GangliaServer names them.
func collect(reg *metrics.Registry) []metric {
	all := metrics.FlumeJSON(reg)
	comps := make([]string, 0, len(all))
	for c := range all {
		comps = append(comps, c)
	}
	sort.Strings(comps)
	var out []metric
	for _, c := range comps {
		attrs := make([]string, 0, len(all[c]))
		for a := range all[c] {
			attrs = append(attrs, a)
		}
		sort.Strings(attrs)
		for _, a := range attrs {
			v := all[c][a]
			out = append(out, metric{name: "flume." + c + "." + a, value: v, typ: typeOf(v)})
		}
	}
	return out
}

// sendUDP writes each packet as one datagram to host, resolving the address anew every time.
// A failed datagram does not stop the others; the error says how many failed and why the
// first did.
func sendUDP(ctx context.Context, host string, packets [][]byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", host)
	if err != nil {
		return err
	}
	defer conn.Close()
	var first error
	failed := 0
	for _, p := range packets {
		if _, err := conn.Write(p); err != nil {
			// A refused datagram (nothing listening yet) fails the next write once; keep going,
			// the others may still land.
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if first != nil {
		return fmt.Errorf("%d of %d datagrams failed: %w", failed, len(packets), first)
	}
	return nil
}
