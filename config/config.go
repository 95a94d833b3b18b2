// Package config reads a flumego HCL file into typed, validated agent configurations (DESIGN §3).
// Decoding is two-staged (STYLE 9): this package decodes the outer blocks and the settings every
// component of a kind shares (a source's channels, interceptors and selector; a sink's channel
// and batch_size), then hands the rest of each body to that component type's factory. Every
// mistake is reported before anything starts, all at once, each with file:line:column and the
// component's name.
package config

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/interceptor"
	"github.com/flumego/flumego/internal/ganglia"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/source"
)

// DefaultMaxInflightBytes is the agent's max_inflight_bytes when none is written: what its
// network sources may hold at once of calls read and not yet in a channel — four maximal avro
// calls (64MiB), sixteen maximal http requests (16MiB), or many thousands of ordinary ones.
// A fixed size, since a Go process has no heap size to take a share of and file and Kafka
// channels have no byte capacity to derive one from.
const DefaultMaxInflightBytes = 256 << 20

// DefaultSinkBatchSize is a sink's batch_size when none is written, lowered to its channel's
// transaction_capacity when that is smaller (Flume's usual is 100). A sink takes what its
// channel holds, up to the batch size, without waiting for a batch to fill, so a large default
// costs no latency; it makes a slow destination (an fsync, a produce request) carry many
// events per round.
const DefaultSinkBatchSize = 10_000

// Components lists the component types an agent binary knows. components.Builtin() builds
// it explicitly; tests build exactly the set they need.
type Components struct {
	Sources      []source.Factory
	Channels     []channel.Factory
	Sinks        []sink.Factory
	Processors   []sink.ProcessorFactory
	Interceptors []interceptor.Factory
	Selectors    []interceptor.SelectorFactory
}

// Check reports every component type listed twice in one kind (two source factories of type
// "netcat", say): which one a config meant would depend on the order of the list.
func (c Components) Check() error {
	var errs []error
	dup := func(kind string, types []string) {
		seen := map[string]bool{}
		for _, t := range types {
			if seen[t] {
				errs = append(errs, fmt.Errorf("component list: two %s factories of type %q; list each type once", kind, t))
			}
			seen[t] = true
		}
	}
	dup("source", typesOf(c.Sources))
	dup("channel", typesOf(c.Channels))
	dup("sink", typesOf(c.Sinks))
	dup("sink processor", typesOf(c.Processors))
	dup("interceptor", typesOf(c.Interceptors))
	dup("selector", typesOf(c.Selectors))
	return errors.Join(errs...)
}

func typesOf[F interface{ Type() string }](fs []F) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Type()
	}
	return out
}

// decode hands a component's body to its factory. A factory that panics (a custom one, most
// likely) is reported as an error on the block naming the component, not a crash of validate.
func decode(f interface {
	Decode(hcl.Body, *hcl.EvalContext, string, hcl.Range) (any, hcl.Diagnostics)
}, body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (cfg any, diags hcl.Diagnostics) {
	defer func() {
		if r := recover(); r != nil {
			cfg, diags = nil, hcl.Diagnostics{errAt(subject, fmt.Sprintf("%s: decoding its settings panicked: %v", what, r))}
		}
	}()
	return f.Decode(body, ectx, what, subject)
}

// Agent is one agent's validated configuration.
type Agent struct {
	Name       string
	DefRange   hcl.Range
	DataDir    string
	Sources    []*Source
	Channels   []*Channel
	Sinks      []*Sink
	SinkGroups []*SinkGroup
	Metrics    *Metrics // nil when the agent serves no metrics
	// Ganglia is the `monitoring "ganglia"` block; nil when the agent reports to no gmond.
	Ganglia *ganglia.Config
	// MaxInflightBytes is the agent-wide budget of bytes its network sources hold in flight
	// (source.Budget); 0 means no bound.
	MaxInflightBytes schema.Size
}

// Component is what every configured component has: its name, type, decoded settings and the
// factory that builds it.
type Component struct {
	Name     string
	Type     string
	DefRange hcl.Range
	Config   any // the factory's decoded config struct
}

// Source is a configured source.
type Source struct {
	Component
	Factory      source.Factory
	Channels     []string
	Interceptors []*Interceptor
	Selector     *Selector // nil means replicating into every channel
	body         hcl.Body  // the factory's part, for positions in cross-checks
}

// Interceptor is one interceptor of a source's chain.
type Interceptor struct {
	Component
	Factory interceptor.Factory
}

// Selector is a source's channel selector.
type Selector struct {
	Component
	Factory interceptor.SelectorFactory
}

// Channel is a configured channel.
type Channel struct {
	Component
	Factory channel.Factory
	body    hcl.Body // for positions in cross-checks
}

// Sink is a configured sink.
type Sink struct {
	Component
	Factory   sink.Factory
	Channel   string
	BatchSize int
	batchSet  bool // batch_size was written
	// DeadLetterChannel is where the runner puts the events the sink refuses for good, when
	// OnPermanentError is sink.DeadLetter ("" for none).
	DeadLetterChannel string
	// OnPermanentError is sink.DeadLetter (the default with a DeadLetterChannel) or sink.Drop
	// (the default without).
	OnPermanentError sink.OnPermanentError
}

// SinkGroup is a configured sink group with its processor.
type SinkGroup struct {
	Name      string
	DefRange  hcl.Range
	Sinks     []string
	Processor Component
	Factory   sink.ProcessorFactory
}

// Metrics configures the HTTP listener for /metrics, /metrics.json, /healthz and /status.
type Metrics struct {
	Listen string
	// UnhealthyAfter is how long a component may fail without a break before /healthz answers
	// 503 and the agent reports it degraded (metrics.DefaultUnhealthyAfter when not set).
	UnhealthyAfter time.Duration
}

// LoadFile reads and decodes path, returning the agent called name (which may be empty when the
// file holds exactly one agent). The returned diagnostics include warnings even on success.
func LoadFile(path, name string, comps Components) (*Agent, map[string]*hcl.File, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("cannot read config: %v", err)}}
	}
	return Load(path, src, name, comps)
}

// Load decodes src (named filename in diagnostics) and returns the agent called name. It checks
// comps first (Check), so a custom agent whose list is broken says so at once.
func Load(filename string, src []byte, name string, comps Components) (*Agent, map[string]*hcl.File, hcl.Diagnostics) {
	if err := comps.Check(); err != nil {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: err.Error()}}
	}
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	files := map[string]*hcl.File{filename: file}
	if diags.HasErrors() {
		if d := flumePropertiesHint(filename, src); d != nil {
			return nil, files, hcl.Diagnostics{d}
		}
		return nil, files, hintEscapes(diags)
	}
	root, d := file.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "agent", LabelNames: []string{"name"}}}})
	diags = append(diags, d...)
	if d.HasErrors() {
		return nil, files, diags
	}
	var chosen *hcl.Block
	var names []string
	seen := map[string]hcl.Range{}
	for _, b := range root.Blocks {
		n := b.Labels[0]
		if prev, dup := seen[n]; dup {
			diags = append(diags, errAt(b.LabelRanges[0], fmt.Sprintf("agent %q is declared twice (first at %s)", n, short(prev))))
			continue
		}
		seen[n] = b.DefRange
		names = append(names, n)
		if name == "" || n == name {
			chosen = b
		}
	}
	switch {
	case len(root.Blocks) == 0:
		if d := flumePropertiesHint(filename, src); d != nil {
			return nil, files, hcl.Diagnostics{d}
		}
		return nil, files, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError,
			Summary: fmt.Sprintf("%s: no agent block: write `agent \"a1\" { ... }`", filename)})
	case name == "" && len(names) > 1:
		return nil, files, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError,
			Summary: fmt.Sprintf("%s holds several agents (%s): choose one with -n NAME", filename, strings.Join(names, ", "))})
	case chosen == nil:
		return nil, files, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError,
			Summary: fmt.Sprintf("%s has no agent %q (it has: %s)", filename, name, strings.Join(names, ", "))})
	}
	a, d := decodeAgent(chosen, comps)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, files, diags
	}
	return a, files, diags
}

// EvalContext is the context HCL expressions are evaluated in: env("VAR") and
// env("VAR", "default") read the environment.
func EvalContext() *hcl.EvalContext {
	env := function.New(&function.Spec{
		Params:   []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam: &function.Parameter{Name: "default", Type: cty.String},
		Type:     function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if v, ok := os.LookupEnv(args[0].AsString()); ok {
				return cty.StringVal(v), nil
			}
			if len(args) > 1 {
				return args[1], nil
			}
			return cty.NilVal, fmt.Errorf("environment variable %s is not set (give a default: env(%q, \"value\"))", args[0].AsString(), args[0].AsString())
		},
	})
	return &hcl.EvalContext{Functions: map[string]function.Function{"env": env}}
}

var agentSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "data_dir"}, {Name: "max_inflight_bytes"}},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "source", LabelNames: []string{"type", "name"}},
		{Type: "channel", LabelNames: []string{"type", "name"}},
		{Type: "sink", LabelNames: []string{"type", "name"}},
		{Type: "sink_group", LabelNames: []string{"name"}},
		{Type: "metrics"},
		{Type: "monitoring", LabelNames: []string{"type"}},
	},
}

var sourceSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "channels", Required: true}},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "interceptor", LabelNames: []string{"type"}},
		{Type: "selector", LabelNames: []string{"type"}},
	},
}

var sinkSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "channel", Required: true}, {Name: "batch_size"},
		{Name: "dead_letter_channel"}, {Name: "on_permanent_error"}},
}

var sinkGroupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "sinks", Required: true}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "processor", LabelNames: []string{"type"}}},
}

var metricsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "listen", Required: true}, {Name: "unhealthy_after"}},
}

type ref struct {
	name string
	rng  hcl.Range
}

func decodeAgent(block *hcl.Block, comps Components) (*Agent, hcl.Diagnostics) {
	ectx := EvalContext()
	a := &Agent{Name: block.Labels[0], DefRange: block.DefRange, MaxInflightBytes: DefaultMaxInflightBytes}
	content, diags := block.Body.Content(agentSchema)
	if attr, ok := content.Attributes["data_dir"]; ok {
		diags = append(diags, decodeString(attr, ectx, &a.DataDir, "agent "+quote(a.Name))...)
	}
	if attr, ok := content.Attributes["max_inflight_bytes"]; ok {
		diags = append(diags, decodeSize(attr, ectx, &a.MaxInflightBytes, "agent "+quote(a.Name))...)
	}

	sources := index(comps.Sources)
	channels := index(comps.Channels)
	sinks := index(comps.Sinks)
	procs := index(comps.Processors)
	icpts := index(comps.Interceptors)
	sels := index(comps.Selectors)

	names := map[string]map[string]hcl.Range{"source": {}, "channel": {}, "sink": {}, "sink_group": {}}
	var chanRefs []ref // every channel reference, for the undeclared check
	var deadLetterRefs []deadLetterRef
	var metricsBlocks int
	for _, b := range content.Blocks {
		if b.Type == "metrics" {
			metricsBlocks++
			if metricsBlocks > 1 {
				diags = append(diags, errAt(b.DefRange, "agent "+quote(a.Name)+": only one metrics block is allowed"))
				continue
			}
			mc, d := b.Body.Content(metricsSchema)
			diags = append(diags, prefixed(d, "metrics")...)
			m := &Metrics{UnhealthyAfter: metrics.DefaultUnhealthyAfter}
			if attr, ok := mc.Attributes["listen"]; ok {
				diags = append(diags, decodeString(attr, ectx, &m.Listen, "metrics")...)
			}
			if attr, ok := mc.Attributes["unhealthy_after"]; ok {
				d := decodeDuration(attr, ectx, &m.UnhealthyAfter, "metrics")
				if !d.HasErrors() && m.UnhealthyAfter <= 0 {
					d = hcl.Diagnostics{errAt(attr.Expr.Range(), fmt.Sprintf("metrics: unhealthy_after: must be positive, got %s", m.UnhealthyAfter))}
				}
				diags = append(diags, d...)
			}
			a.Metrics = m
			continue
		}
		if b.Type == "monitoring" {
			diags = append(diags, decodeMonitoring(a, b, ectx)...)
			continue
		}
		name := b.Labels[len(b.Labels)-1]
		nameRange := b.LabelRanges[len(b.LabelRanges)-1]
		if prev, dup := names[b.Type][name]; dup {
			diags = append(diags, errAt(nameRange, fmt.Sprintf("%s %q is declared twice (first at %s)", b.Type, name, short(prev))))
			continue
		}
		names[b.Type][name] = b.DefRange
		what := fmt.Sprintf("%s %s", b.Type, strings.Join(quoteAll(b.Labels), " "))
		comp := Component{Name: name, DefRange: b.DefRange}
		if len(b.Labels) == 2 {
			comp.Type = b.Labels[0]
		}
		switch b.Type {
		case "source":
			s := &Source{Component: comp}
			f, ok := sources[comp.Type]
			if !ok {
				diags = append(diags, unknownType(b, "source", keys(sources)))
			}
			sc, remain, d := b.Body.PartialContent(sourceSchema)
			diags = append(diags, prefixed(d, what)...)
			if attr, ok := sc.Attributes["channels"]; ok {
				var d hcl.Diagnostics
				var rs []ref
				s.Channels, rs, d = decodeNameList(attr, ectx, what)
				diags = append(diags, d...)
				chanRefs = append(chanRefs, rs...)
				if len(s.Channels) == 0 && !d.HasErrors() {
					diags = append(diags, errAt(attr.Expr.Range(), what+": channels: a source needs at least one channel"))
				}
			}
			for _, ib := range sc.Blocks {
				iwhat := fmt.Sprintf("%s: %s %q", what, ib.Type, ib.Labels[0])
				ic := Component{Name: ib.Labels[0], Type: ib.Labels[0], DefRange: ib.DefRange}
				switch ib.Type {
				case "interceptor":
					f, ok := icpts[ic.Type]
					if !ok {
						diags = append(diags, unknownType(ib, "interceptor", keys(icpts)))
						continue
					}
					cfg, d := decode(f, ib.Body, ectx, iwhat, ib.DefRange)
					diags = append(diags, d...)
					ic.Config = cfg
					s.Interceptors = append(s.Interceptors, &Interceptor{Component: ic, Factory: f})
				case "selector":
					if s.Selector != nil {
						diags = append(diags, errAt(ib.DefRange, what+": only one selector is allowed"))
						continue
					}
					f, ok := sels[ic.Type]
					if !ok {
						diags = append(diags, unknownType(ib, "selector", keys(sels)))
						continue
					}
					cfg, d := decode(f, ib.Body, ectx, iwhat, ib.DefRange)
					diags = append(diags, d...)
					ic.Config = cfg
					s.Selector = &Selector{Component: ic, Factory: f}
				}
			}
			if ok {
				cfg, d := decode(f, remain, ectx, what, b.DefRange)
				diags = append(diags, d...)
				s.Config, s.Factory, s.body = cfg, f, remain
			}
			a.Sources = append(a.Sources, s)
		case "channel":
			c := &Channel{Component: comp, body: b.Body}
			f, ok := channels[comp.Type]
			if !ok {
				diags = append(diags, unknownType(b, "channel", keys(channels)))
				a.Channels = append(a.Channels, c)
				continue
			}
			cfg, d := decode(f, b.Body, ectx, what, b.DefRange)
			diags = append(diags, d...)
			c.Config, c.Factory = cfg, f
			a.Channels = append(a.Channels, c)
		case "sink":
			s := &Sink{Component: comp, BatchSize: DefaultSinkBatchSize}
			f, ok := sinks[comp.Type]
			if !ok {
				diags = append(diags, unknownType(b, "sink", keys(sinks)))
			}
			sc, remain, d := b.Body.PartialContent(sinkSchema)
			diags = append(diags, prefixed(d, what)...)
			if attr, ok := sc.Attributes["channel"]; ok {
				d := decodeString(attr, ectx, &s.Channel, what)
				diags = append(diags, d...)
				if !d.HasErrors() {
					chanRefs = append(chanRefs, ref{s.Channel, attr.Expr.Range()})
				}
			}
			if attr, ok := sc.Attributes["batch_size"]; ok {
				s.batchSet = true
				diags = append(diags, decodeInt(attr, ectx, &s.BatchSize, what)...)
				if s.BatchSize < 1 {
					diags = append(diags, errAt(attr.Expr.Range(), fmt.Sprintf("%s: batch_size: must be at least 1, got %d", what, s.BatchSize)))
				}
			}
			d = decodeSetAside(s, sc.Attributes, ectx, what)
			diags = append(diags, d...)
			if attr := sc.Attributes["dead_letter_channel"]; attr != nil && !d.HasErrors() {
				chanRefs = append(chanRefs, ref{s.DeadLetterChannel, attr.Expr.Range()})
				deadLetterRefs = append(deadLetterRefs, deadLetterRef{s, attr.Expr.Range()})
			}
			if ok {
				cfg, d := decode(f, remain, ectx, what, b.DefRange)
				diags = append(diags, d...)
				s.Config, s.Factory = cfg, f
			}
			a.Sinks = append(a.Sinks, s)
		case "sink_group":
			g := &SinkGroup{Name: name, DefRange: b.DefRange}
			gc, d := b.Body.Content(sinkGroupSchema)
			diags = append(diags, prefixed(d, what)...)
			if attr, ok := gc.Attributes["sinks"]; ok {
				var rs []ref
				var d hcl.Diagnostics
				g.Sinks, rs, d = decodeNameList(attr, ectx, what)
				diags = append(diags, d...)
				diags = append(diags, checkGroupSinks(g, rs, what)...)
			}
			switch len(gc.Blocks) {
			case 0:
				diags = append(diags, errAt(b.DefRange, what+`: missing processor block: write processor "failover" { ... } or processor "load_balance" { ... }`))
			default:
				if len(gc.Blocks) > 1 {
					diags = append(diags, errAt(gc.Blocks[1].DefRange, what+": only one processor is allowed"))
				}
				pb := gc.Blocks[0]
				g.Processor = Component{Name: name, Type: pb.Labels[0], DefRange: pb.DefRange}
				f, ok := procs[pb.Labels[0]]
				if !ok {
					diags = append(diags, unknownType(pb, "sink processor", keys(procs)))
					break
				}
				cfg, d := decode(f, pb.Body, ectx, fmt.Sprintf("%s: processor %q", what, pb.Labels[0]), pb.DefRange)
				diags = append(diags, d...)
				g.Processor.Config, g.Factory = cfg, f
				if m, ok := cfg.(sink.Members); ok && !d.HasErrors() {
					for n, r := range m.ReferencedSinks() {
						if !contains(g.Sinks, n) {
							diags = append(diags, errAt(orRange(r, pb.DefRange), fmt.Sprintf("%s: processor %q names sink %q, which is not in the group's sinks (%s)", what, pb.Labels[0], n, strings.Join(g.Sinks, ", "))))
						}
					}
				}
			}
			a.SinkGroups = append(a.SinkGroups, g)
		}
	}
	diags = append(diags, crossCheck(a, names, chanRefs)...)
	diags = append(diags, checkDeadLetters(a, names["channel"], deadLetterRefs)...)
	sortDiags(diags)
	return a, diags
}

// decodeMonitoring decodes a `monitoring "TYPE" { ... }` block. Ganglia is the only type: what
// Flume calls `monitoring.type = http` is the metrics block here.
func decodeMonitoring(a *Agent, b *hcl.Block, ectx *hcl.EvalContext) hcl.Diagnostics {
	what := "monitoring " + quote(b.Labels[0])
	switch b.Labels[0] {
	case "ganglia":
		if a.Ganglia != nil {
			return hcl.Diagnostics{errAt(b.DefRange, "agent "+quote(a.Name)+": only one monitoring \"ganglia\" block is allowed; list every gmond in its hosts")}
		}
		cfg := ganglia.Defaults()
		diags := schema.Decode(b.Body, ectx, cfg, what, b.DefRange)
		a.Ganglia = cfg
		return diags
	case "http":
		r := b.LabelRanges[0]
		return hcl.Diagnostics{{Severity: hcl.DiagError, Subject: &r,
			Summary: what + `: Flume's HTTP monitoring is the metrics block here: write metrics { listen = "0.0.0.0:41414" }`}}
	default:
		return hcl.Diagnostics{unknownType(b, "monitoring", []string{"ganglia"})}
	}
}

// crossCheck runs the checks that need the whole agent: references, sinks in several groups,
// batch sizes against transaction capacities, unused channels.
func crossCheck(a *Agent, names map[string]map[string]hcl.Range, chanRefs []ref) hcl.Diagnostics {
	var diags hcl.Diagnostics
	declared := names["channel"]
	for _, r := range chanRefs {
		if _, ok := declared[r.name]; !ok {
			diags = append(diags, errAt(r.rng, fmt.Sprintf("channel %q is not declared in agent %q%s", r.name, a.Name, suggest(r.name, mapKeys(declared)))))
		}
	}
	used := map[string]bool{}
	for _, r := range chanRefs {
		used[r.name] = true
	}
	filledBy, drained := map[string][]string{}, map[string]bool{}
	for _, s := range a.Sources {
		for _, c := range s.Channels {
			filledBy[c] = append(filledBy[c], s.Name)
		}
	}
	for _, s := range a.Sinks {
		drained[s.Channel] = true
	}
	if len(a.Sources)+len(a.Sinks) == 0 {
		r := a.DefRange
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Subject: &r,
			Summary: fmt.Sprintf("agent %q has no sources and no sinks: it runs nothing", a.Name)})
	}
	txCap := map[string]int{}
	chans := map[string]*Channel{}
	for _, c := range a.Channels {
		if tc, ok := c.Config.(channel.TxCapacity); ok {
			txCap[c.Name] = tc.TransactionCapacity()
			chans[c.Name] = c
		}
		if o, ok := c.Config.(channel.Outlet); len(filledBy[c.Name]) > 0 && !drained[c.Name] && !(ok && o.Outlet()) {
			r := c.DefRange
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Subject: &r,
				Summary: fmt.Sprintf("channel %q %q is filled by source %s and drained by no sink: once it is full, its sources wait or refuse their clients", c.Type, c.Name, strings.Join(quoteAll(filledBy[c.Name]), ", "))})
		}
		if !used[c.Name] {
			r := c.DefRange
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Subject: &r,
				Summary: fmt.Sprintf("channel %q %q is not used by any source or sink", c.Type, c.Name)})
		}
	}
	for _, s := range a.Sinks {
		if tc, ok := txCap[s.Channel]; ok && !s.batchSet && s.BatchSize > tc {
			s.BatchSize = tc
		}
		if tc, ok := txCap[s.Channel]; ok && s.BatchSize > tc {
			r := s.DefRange
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Subject: &r,
				Summary: fmt.Sprintf("sink %q %q: batch_size %d is above channel %q's transaction_capacity %d", s.Type, s.Name, s.BatchSize, s.Channel, tc)})
		}
	}
	for _, s := range a.Sources {
		if b, ok := s.Config.(source.Batched); ok {
			diags = append(diags, checkPuts(s, b.BatchLimit(), chans)...)
		}
		if s.Selector != nil {
			if refs, ok := s.Selector.Config.(interceptor.ChannelRefs); ok {
				for n, r := range refs.ReferencedChannels() {
					if !contains(s.Channels, n) {
						diags = append(diags, errAt(orRange(r, s.Selector.DefRange), fmt.Sprintf("source %q %q: selector %q names channel %q, which is not in the source's channels (%s)", s.Type, s.Name, s.Selector.Type, n, strings.Join(s.Channels, ", "))))
					}
				}
			}
		}
	}
	inGroup := map[string]string{}
	declaredSinks := names["sink"]
	for _, g := range a.SinkGroups {
		for _, n := range g.Sinks {
			r := g.DefRange
			if _, ok := declaredSinks[n]; !ok {
				diags = append(diags, errAt(r, fmt.Sprintf("sink_group %q: sink %q is not declared%s", g.Name, n, suggest(n, mapKeys(declaredSinks)))))
				continue
			}
			if other, dup := inGroup[n]; dup && other != g.Name {
				diags = append(diags, errAt(r, fmt.Sprintf("sink_group %q: sink %q is already in sink_group %q; a sink belongs to at most one group", g.Name, n, other)))
				continue
			}
			inGroup[n] = g.Name
		}
		// All sinks of a group share one runner, so they must drain the same channel.
		var ch string
		for _, n := range g.Sinks {
			for _, s := range a.Sinks {
				if s.Name == n && s.Channel != "" {
					if ch == "" {
						ch = s.Channel
					} else if s.Channel != ch {
						diags = append(diags, errAt(g.DefRange, fmt.Sprintf("sink_group %q: its sinks read different channels (%q and %q); a group drains one channel", g.Name, ch, s.Channel)))
					}
				}
			}
		}
	}
	return diags
}

func checkGroupSinks(g *SinkGroup, rs []ref, what string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.name] {
			diags = append(diags, errAt(r.rng, fmt.Sprintf("%s: sink %q is listed twice", what, r.name)))
		}
		seen[r.name] = true
	}
	if len(rs) == 0 {
		diags = append(diags, errAt(g.DefRange, what+": sinks: a group needs at least one sink"))
	}
	return diags
}

func decodeString(attr *hcl.Attribute, ectx *hcl.EvalContext, dst *string, what string) hcl.Diagnostics {
	v, diags := attr.Expr.Value(ectx)
	if diags.HasErrors() {
		return diags
	}
	if v.IsNull() || v.Type() != cty.String {
		r := attr.Expr.Range()
		return hcl.Diagnostics{errAt(r, fmt.Sprintf("%s: %s: want a string", what, attr.Name))}
	}
	*dst = v.AsString()
	return nil
}

func decodeDuration(attr *hcl.Attribute, ectx *hcl.EvalContext, dst *time.Duration, what string) hcl.Diagnostics {
	var text string
	if diags := decodeString(attr, ectx, &text, what); diags.HasErrors() {
		return diags
	}
	d, err := schema.ParseDuration(text)
	if err != nil {
		return hcl.Diagnostics{errAt(attr.Expr.Range(), fmt.Sprintf("%s: %s: %v", what, attr.Name, err))}
	}
	*dst = d
	return nil
}

func decodeInt(attr *hcl.Attribute, ectx *hcl.EvalContext, dst *int, what string) hcl.Diagnostics {
	v, diags := attr.Expr.Value(ectx)
	if diags.HasErrors() {
		return diags
	}
	if n, err := convert.Convert(v, cty.Number); err == nil {
		v = n
	}
	if v.IsNull() || v.Type() != cty.Number || !v.AsBigFloat().IsInt() {
		return hcl.Diagnostics{errAt(attr.Expr.Range(), fmt.Sprintf("%s: %s: want a whole number", what, attr.Name))}
	}
	i, _ := v.AsBigFloat().Int64()
	*dst = int(i)
	return nil
}

// checkPuts holds a source's largest put against the transaction_capacity of each of its
// channels when the size is written, naming both positions: the source's attribute and the
// channel's transaction_capacity. A source that answers its client for the whole put (http,
// avro) cannot split it, so a channel too small for it is an error: every such call would be
// refused at run time. Other sources' puts are split into transactions that fit (Deliver), which
// is worth a warning. A default size is not checked: a Whole source's calls above the channel's
// transaction_capacity are then refused permanently at run time (HTTP 413), and other sources
// split, so every default configuration validates whatever the channels' defaults.
func checkPuts(s *Source, lim source.BatchLimit, chans map[string]*Channel) hcl.Diagnostics {
	at, written := attrRange(s.body, lim.Attr)
	if !written {
		return nil
	}
	var diags hcl.Diagnostics
	for _, name := range s.Channels {
		c, ok := chans[name]
		if !ok {
			continue
		}
		tc := c.Config.(channel.TxCapacity).TransactionCapacity()
		if lim.Events <= tc {
			continue
		}
		where, ok := attrRange(c.body, "transaction_capacity")
		if !ok {
			where = c.DefRange
		}
		head := fmt.Sprintf("source %q %q: %s %d is above channel %q's transaction_capacity %d (%s)",
			s.Type, s.Name, lim.Attr, lim.Events, name, tc, pos(where))
		r := at
		if lim.Whole {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Subject: &r,
				Summary: head + fmt.Sprintf(": a call is acknowledged for all its events or none, so it cannot be split; lower %s or raise transaction_capacity", lim.Attr)})
		} else {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Subject: &r,
				Summary: head + fmt.Sprintf(": each batch is put in transactions of at most %d events", tc)})
		}
	}
	return diags
}

// attrRange is the range of the value of body's attribute name, if it is written.
func attrRange(body hcl.Body, name string) (hcl.Range, bool) {
	if body == nil {
		return hcl.Range{}, false
	}
	content, _, _ := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: name}}})
	if content == nil {
		return hcl.Range{}, false
	}
	attr, ok := content.Attributes[name]
	if !ok {
		return hcl.Range{}, false
	}
	return attr.Expr.Range(), true
}

// pos prints a range as file:line:col.
func pos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// decodeSize decodes a size: a number of bytes or a string with a unit ("256MiB").
func decodeSize(attr *hcl.Attribute, ectx *hcl.EvalContext, dst *schema.Size, what string) hcl.Diagnostics {
	v, diags := attr.Expr.Value(ectx)
	if diags.HasErrors() {
		return diags
	}
	bad := func(msg string) hcl.Diagnostics {
		return hcl.Diagnostics{errAt(attr.Expr.Range(), fmt.Sprintf("%s: %s: %s", what, attr.Name, msg))}
	}
	switch {
	case v.IsNull():
		return bad("want a size")
	case v.Type() == cty.String:
		n, err := schema.ParseSize(v.AsString())
		if err != nil {
			return bad(err.Error())
		}
		*dst = n
	case v.Type() == cty.Number && v.AsBigFloat().IsInt() && v.AsBigFloat().Sign() >= 0:
		n, _ := v.AsBigFloat().Int64()
		*dst = schema.Size(n)
	default:
		return bad(`want a number of bytes or a string such as "256MiB"`)
	}
	return nil
}

// decodeNameList decodes a list of names, keeping each element's range where the expression
// is a literal list, so a reference error points at the very name.
func decodeNameList(attr *hcl.Attribute, ectx *hcl.EvalContext, what string) ([]string, []ref, hcl.Diagnostics) {
	var out []string
	var refs []ref
	if tup, ok := attr.Expr.(*hclsyntax.TupleConsExpr); ok {
		var diags hcl.Diagnostics
		for _, e := range tup.Exprs {
			v, d := e.Value(ectx)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			if v.IsNull() || v.Type() != cty.String {
				diags = append(diags, errAt(e.Range(), fmt.Sprintf("%s: %s: want a list of names", what, attr.Name)))
				continue
			}
			out = append(out, v.AsString())
			refs = append(refs, ref{v.AsString(), e.Range()})
		}
		return out, refs, diags
	}
	v, diags := attr.Expr.Value(ectx)
	if diags.HasErrors() {
		return nil, nil, diags
	}
	if v.IsNull() || !(v.Type().IsListType() || v.Type().IsTupleType()) {
		return nil, nil, hcl.Diagnostics{errAt(attr.Expr.Range(), fmt.Sprintf("%s: %s: want a list of names such as [\"c1\", \"c2\"]", what, attr.Name))}
	}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			return nil, nil, hcl.Diagnostics{errAt(attr.Expr.Range(), fmt.Sprintf("%s: %s: want a list of names", what, attr.Name))}
		}
		out = append(out, e.AsString())
		refs = append(refs, ref{e.AsString(), attr.Expr.Range()})
	}
	return out, refs, nil
}

func unknownType(b *hcl.Block, kind string, known []string) *hcl.Diagnostic {
	r := b.LabelRanges[0]
	return &hcl.Diagnostic{Severity: hcl.DiagError, Subject: &r,
		Summary: fmt.Sprintf("%s %s: unknown %s type %q%s (known: %s)", b.Type, strings.Join(quoteAll(b.Labels), " "), kind, b.Labels[0], suggest(b.Labels[0], known), strings.Join(known, ", "))}
}

func suggest(given string, known []string) string {
	for _, k := range known {
		if levenshtein.Distance(given, k, nil) < 3 {
			return fmt.Sprintf("; did you mean %q?", k)
		}
	}
	return ""
}

// prefixed names the component in hcl's own diagnostics ("Missing required argument").
func prefixed(diags hcl.Diagnostics, what string) hcl.Diagnostics {
	for _, d := range diags {
		if !strings.HasPrefix(d.Summary, what) {
			d.Summary = what + ": " + d.Summary
		}
	}
	return diags
}

func errAt(r hcl.Range, summary string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Subject: &r}
}

func orRange(r, fallback hcl.Range) hcl.Range {
	if r.Filename == "" {
		return fallback
	}
	return r
}

func short(r hcl.Range) string { return fmt.Sprintf("line %d", r.Start.Line) }

func quote(s string) string { return fmt.Sprintf("%q", s) }

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = quote(s)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func index[F interface{ Type() string }](fs []F) map[string]F {
	m := make(map[string]F, len(fs))
	for _, f := range fs {
		m[f.Type()] = f
	}
	return m
}

func keys[F any](m map[string]F) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func mapKeys(m map[string]hcl.Range) []string { return keys(m) }

// sortDiags orders diagnostics by position so the output reads top to bottom.
func sortDiags(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a != nil
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		default:
			return a.Start.Column < b.Start.Column
		}
	})
}
