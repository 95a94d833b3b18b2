package convert

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/config/flume"
	"github.com/flumego/flumego/config/schema"
)

// agentConv converts one Flume agent.
type agentConv struct {
	fa      *flumeAgent
	comps   config.Components
	refs    *flume.Refs
	notes   []Note
	top     flume.Comment // agent-level notes
	dataDir string

	sources  []*outSource
	channels []*outChannel
	sinks    []*outSink
	groups   []*outGroup
	ignored  map[string][]flume.Node // kind → components written out as comments
}

type outSource struct {
	name     string
	flume    string // the Flume source's name (several syslog sources come from one multiport source)
	b        *flume.Block
	channels []string
	chanLine int
	icpts    []flume.Node
	sel      *outSelector
	batch    int // flumego's default batch_size of the type, 0 when it has none
	dropped  flume.Comment
}

type outSelector struct {
	typ      string // replicating or multiplexing
	b        *flume.Block
	header   flume.Value
	headerS  string
	optional []string
	mapping  []route
	def      []string
	mopt     []route
}

type route struct {
	value string
	chans []string
}

type outChannel struct {
	name  string
	b     *flume.Block
	txCap int // 0 when unknown
}

type outSink struct {
	name     string
	b        *flume.Block
	channel  string
	chanLine int
	dropped  flume.Comment
}

type outGroup struct {
	name     string
	c        *comp
	sinks    []string
	proc     string
	b        *flume.Block // the processor block
	priority []route
	dropped  bool
}

func newAgentConv(fa *flumeAgent, comps config.Components, refs *flume.Refs) *agentConv {
	a := &agentConv{fa: fa, comps: comps, refs: refs, ignored: map[string][]flume.Node{}}
	for _, n := range fa.notes {
		a.notes = append(a.notes, n)
		a.top = append(a.top, n.Comment())
	}
	return a
}

func (a *agentConv) agentNote(line int, key string, changed bool, format string, args ...any) {
	n := Note{Line: line, Key: key, Agent: a.fa.name, Changed: changed, Reason: fmt.Sprintf(format, args...)}
	a.notes = append(a.notes, n)
	a.top = append(a.top, n.Comment())
}

// record adds a note unless the same one was made already (a value can be read twice).
func (a *agentConv) record(n Note) bool {
	if slices.Contains(a.notes, n) {
		return false
	}
	a.notes = append(a.notes, n)
	return true
}

// conv starts the conversion of a component (or an interceptor, selector or processor).
func (a *agentConv) conv(c *comp, b *flume.Block) *flume.Conv {
	return flume.NewConv(a.fa.name, c.kind, c.name, c.line, c.props, b, a.refs, a.record)
}

// convert converts every component, then runs the checks that need the whole agent.
func (a *agentConv) convert() {
	for _, f := range a.members("configfilters") {
		a.convertFilter(f)
	}
	for _, c := range a.members("channels") {
		a.convertChannel(c)
	}
	for _, c := range a.members("sources") {
		a.convertSource(c)
	}
	for _, c := range a.members("sinks") {
		a.convertSink(c)
	}
	for _, c := range a.members("sinkgroups") {
		a.convertGroup(c)
	}
	a.crossCheck()
}

// members returns the components of a kind in the order the agent's list declares them.
// Components the list leaves out are ignored by Flume: they are reported and written out as
// comments; names listed without any property are reported.
func (a *agentConv) members(kind string) []*comp {
	list, listed := a.fa.lists[kind]
	var names []string
	if listed {
		names = strings.Fields(list.Value)
	}
	var out []*comp
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		c := a.fa.comps[kind][n]
		if c == nil {
			if kind != "sinkgroups" && kind != "configfilters" {
				a.agentNote(list.Line, list.Key, false, "%s %q is listed but has no properties (no type): Flume drops it too%s", singular(kind), n, flume.CommentHint(list.Value))
			}
			continue
		}
		out = append(out, c)
	}
	for _, n := range a.fa.order[kind] {
		if seen[n] {
			continue
		}
		c := a.fa.comps[kind][n]
		a.ignore(c, fmt.Sprintf("not listed in %s.%s, so Flume ignores it; not converted", a.fa.name, kind))
	}
	return out
}

// ignore writes a component out as comments with the reason.
func (a *agentConv) ignore(c *comp, why string) {
	n := Note{Line: c.line, Key: c.full, Agent: a.fa.name, Reason: why}
	a.notes = append(a.notes, n)
	a.ignored[c.kind] = append(a.ignored[c.kind], propsComment(n, c))
}

// leaveOut writes a component whose conversion was rejected (flume.Conv.Reject, Omit) out as
// comments, with the notes made about it.
func (a *agentConv) leaveOut(c *comp, x *flume.Conv) {
	cm := propsComment(*x.Rejected, c)
	a.ignored[c.kind] = append(a.ignored[c.kind], cm)
}

func propsComment(n Note, c *comp) flume.Comment {
	cm := flume.Comment{n.Comment()}
	for _, p := range c.props {
		cm = append(cm, fmt.Sprintf("  %s.%s = %s", c.full, p.Key, p.Value))
	}
	return cm
}

func singular(kind string) string {
	switch kind {
	case "sinkgroups":
		return "sink group"
	case "configfilters":
		return "config filter"
	}
	return strings.TrimSuffix(kind, "s")
}

func (a *agentConv) convertFilter(c *comp) {
	t, _ := c.get("type")
	if flume.IsEnvFilter(t.Value) {
		return
	}
	a.agentNote(c.line, c.full, false, "config filter type %q: flumego reads secrets only from the environment, with env(\"NAME\"); its ${%s['...']} references are kept as literal text", t.Value, c.name)
}

// lookup finds the factory type and mapping of a Flume type among factories: by alias or
// class name, as their flume.go files declare them.
func lookup[F interface{ Type() string }](fs []F, typ string) (F, *flume.Mapping) {
	for _, f := range fs {
		for _, m := range flume.Of(f) {
			if m.Matches(typ) {
				return f, m
			}
		}
	}
	var zero F
	return zero, nil
}

// typesOf lists the flumego types of factories that carry a Flume mapping, for messages.
func typesOf[F interface{ Type() string }](fs []F) string {
	var out []string
	for _, f := range fs {
		if len(flume.Of(f)) > 0 && !slices.Contains(out, f.Type()) {
			out = append(out, f.Type())
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// defaultBatch is the batch_size a source type uses when none is written: its config's
// BatchSize over the defaults (0 when it has none).
func defaultBatch(decode func(hcl.Body, *hcl.EvalContext, string, hcl.Range) (any, hcl.Diagnostics)) int {
	cfg, _ := decode(hcl.EmptyBody(), nil, "", hcl.Range{})
	if b, ok := cfg.(interface{ BatchSize() int }); ok {
		return b.BatchSize()
	}
	return 0
}

// requireSettings leaves out a component that lacks a setting flumego requires: each is one
// Flume requires too (the netcat source's bind and port, the HDFS sink's hdfs.path, the Kafka
// clients' brokers), so Flume fails to configure the component and removes it at start-up.
// Mappings write what Flume defaults and flumego requires (the syslog source's host) before.
func requireSettings(x *flume.Conv, m *flume.Mapping, decode func(hcl.Body, *hcl.EvalContext, string, hcl.Range) (any, hcl.Diagnostics)) {
	cfg, _ := decode(hcl.EmptyBody(), nil, "", hcl.Range{})
	for _, attr := range schema.RequiredAttrs(cfg) {
		if x.Block.Attr(attr) != nil {
			continue
		}
		key := m.KeyOf(attr)
		if key == "" {
			key = attr
		}
		x.Reject(flume.Property{Key: key, Line: x.Line}, "%s is not set, and Flume's %s requires it", key, m.Flume)
	}
}

// ---- sources ----

var sourceGeneric = func(key string) bool {
	return key == "type" || key == "channels" || key == "interceptors" || key == "selector.type" ||
		strings.HasPrefix(key, "selector.") || strings.HasPrefix(key, "interceptors.")
}

func (a *agentConv) convertSource(c *comp) {
	t, ok := c.get("type")
	if !ok {
		a.ignore(c, "has no type: Flume drops it too")
		return
	}
	f, m := lookup(a.comps.Sources, t.Value)
	if m == nil {
		a.ignore(c, fmt.Sprintf("Flume source type %q has no flumego equivalent%s (flumego converts Flume's %s sources)", t.Value, flume.CommentHint(t.Value), typesOf(a.comps.Sources)))
		return
	}
	b := flume.NewBlock("source", f.Type(), c.name)
	x := a.conv(c, b)
	x.Apply(m, sourceGeneric)
	requireSettings(x, m, f.Decode)
	s := &outSource{name: c.name, flume: c.name, b: b, batch: defaultBatch(f.Decode)}
	if p, ok := c.get("channels"); ok {
		s.channels, s.chanLine = strings.Fields(p.Value), p.Line
	}
	a.convertSelector(x, s)
	a.convertInterceptors(x, s)
	if x.DataDir != "" {
		a.dataDir = x.DataDir
	}
	if x.Rejected != nil {
		a.leaveOut(c, x)
		return
	}
	attr, suffixes, values := x.Split()
	if attr == "" {
		a.sources = append(a.sources, s)
		return
	}
	static, _ := lookup(a.comps.Interceptors, "static")
	if x.SplitHeader != "" && static == nil {
		p, _ := x.Get("portHeader")
		x.Drop(p, "the agent has no static interceptor to set header %q with", x.SplitHeader)
	}
	for i, suffix := range suffixes {
		cp := *s
		cb := *b
		cb.Labels = []string{f.Type(), c.name}
		if len(suffixes) > 1 {
			cb.Labels[1] = c.name + "_" + suffix
		}
		if x.SplitHeader != "" && static != nil {
			v := values[i]
			if n, ok := v.(flume.Int); ok {
				v = flume.String(n.HCL())
			}
			ib := flume.NewBlock("interceptor", static.Type())
			ib.Set("key", flume.String(x.SplitHeader))
			ib.Set("value", v)
			ib.Set("preserve_existing", flume.Bool(false))
			cp.icpts = append([]flume.Node{ib}, s.icpts...)
		}
		if s.sel != nil { // each source writes its own selector block
			sel, sb := *s.sel, *s.sel.b
			sb.Items = slices.Clone(sb.Items)
			sel.b, cp.sel = &sb, &sel
		}
		cb.Items = slices.Clone(b.Items)
		cb.Notes, cb.Lines = slices.Clone(b.Notes), slices.Clone(b.Lines)
		for j, n := range cb.Items {
			if at, ok := n.(*flume.Attr); ok && at.Name == attr {
				cb.Items[j] = &flume.Attr{Name: attr, Val: values[i], Comment: at.Comment}
			}
		}
		cp.b, cp.name = &cb, cb.Labels[1]
		if i > 0 {
			cb.Notes, cb.Lines = nil, nil
		}
		a.sources = append(a.sources, &cp)
	}
}

// ---- channels ----

func (a *agentConv) convertChannel(c *comp) {
	t, ok := c.get("type")
	if !ok {
		a.ignore(c, "has no type: Flume drops it too")
		return
	}
	f, m := lookup(a.comps.Channels, t.Value)
	b := flume.NewBlock("channel", "", c.name)
	x := a.conv(c, b)
	if m == nil {
		if f, m = a.substitute(t.Value); m == nil {
			a.ignore(c, fmt.Sprintf("Flume channel type %q has no flumego equivalent%s (flumego converts Flume's %s channels)", t.Value, flume.CommentHint(t.Value), typesOf(a.comps.Channels)))
			return
		}
		x.Note(t, false, "Flume channel type %q has no flumego equivalent%s: converted into a memory channel (flumego's channels: %s) — choose file for durability", t.Value, flume.CommentHint(t.Value), typesOf(a.comps.Channels))
	}
	b.Labels[0] = f.Type()
	x.Apply(m, func(k string) bool { return k == "type" })
	requireSettings(x, m, f.Decode)
	if x.Rejected != nil {
		a.leaveOut(c, x)
		return
	}
	ch := &outChannel{name: c.name, b: b}
	if at := b.Attr("transaction_capacity"); at != nil {
		if n, ok := at.Val.(flume.Int); ok {
			ch.txCap = int(n)
		}
	} else if cfg, _ := f.Decode(hcl.EmptyBody(), nil, "", hcl.Range{}); cfg != nil {
		if tc, ok := cfg.(interface{ TransactionCapacity() int }); ok {
			ch.txCap = tc.TransactionCapacity()
		}
	}
	a.channels = append(a.channels, ch)
}

// substitute is the memory channel an unsupported channel type (jdbc) converts into, with the
// sizes of Flume's memory channel; its other settings are the unsupported type's.
func (a *agentConv) substitute(typ string) (channel.Factory, *flume.Mapping) {
	f, m := lookup(a.comps.Channels, "memory")
	if m == nil {
		return f, nil
	}
	sub := *m
	sub.Flume = fmt.Sprintf("%s channel", typ)
	sub.Unknown = fmt.Sprintf("a setting of Flume's %s channel, which has no flumego equivalent", typ)
	sub.Finish = nil
	return f, &sub
}

// ---- sinks ----

func (a *agentConv) convertSink(c *comp) {
	t, ok := c.get("type")
	if !ok {
		a.ignore(c, "has no type: Flume drops it too")
		return
	}
	f, m := lookup(a.comps.Sinks, t.Value)
	if m == nil {
		a.ignore(c, fmt.Sprintf("Flume sink type %q has no flumego equivalent%s (flumego converts Flume's %s sinks)", t.Value, flume.CommentHint(t.Value), typesOf(a.comps.Sinks)))
		return
	}
	b := flume.NewBlock("sink", f.Type(), c.name)
	s := &outSink{name: c.name, b: b}
	if p, ok := c.get("channel"); ok {
		s.channel, s.chanLine = strings.TrimSpace(p.Value), p.Line
		b.Set("channel", flume.String(s.channel))
	}
	x := a.conv(c, b)
	x.Apply(m, func(k string) bool { return k == "type" || k == "channel" })
	requireSettings(x, m, f.Decode)
	if x.Rejected != nil {
		a.leaveOut(c, x)
		return
	}
	a.sinks = append(a.sinks, s)
}

// ---- sink groups ----

func (a *agentConv) convertGroup(c *comp) {
	g := &outGroup{name: c.name, c: c}
	b := flume.NewBlock("processor", "failover")
	x := a.conv(c, b)
	if p, ok := c.get("sinks"); ok {
		g.sinks = strings.Fields(p.Value)
	}
	typ := "default"
	if p, ok := c.get("processor.type"); ok {
		typ = strings.TrimSpace(p.Value)
	}
	switch strings.ToLower(typ) {
	case "failover", "org.apache.flume.sink.failoversinkprocessor":
		g.proc = "failover"
	case "load_balance", "org.apache.flume.sink.loadbalancingsinkprocessor":
		g.proc = "load_balance"
	case "default", "org.apache.flume.sink.defaultsinkprocessor":
		g.proc = "default"
	default:
		p, _ := c.get("processor.type")
		x.Drop(p, "sink processor %q has no flumego equivalent (failover, load_balance): converted as failover", typ)
		g.proc = "failover"
	}
	b.Labels[0] = g.proc
	g.b = b
	x.Use(&flume.Mapping{Flume: g.proc + " sink processor"})
	for _, p := range c.props {
		switch {
		case p.Key == "sinks" || p.Key == "processor.type":
		case g.proc == "failover" && strings.HasPrefix(p.Key, "processor.priority."):
			sink := strings.TrimPrefix(p.Key, "processor.priority.")
			if n, ok := x.Convert(p, flume.AsInt).(flume.Int); ok {
				g.priority = append(g.priority, route{value: sink, chans: []string{n.HCL()}})
			}
		case g.proc == "failover" && p.Key == "processor.maxpenalty":
			x.Set("max_penalty", x.Convert(p, flume.AsMillis))
		case g.proc == "load_balance" && p.Key == "processor.backoff":
			x.Set("backoff", x.Convert(p, flume.AsBool))
		case g.proc == "load_balance" && p.Key == "processor.selector":
			switch v := strings.ToLower(strings.TrimSpace(p.Value)); v {
			case "round_robin", "random":
				x.Set("selector", flume.String(v))
			default:
				x.Drop(p, "custom selector class %q cannot run in flumego: round_robin is used", p.Value)
			}
		case g.proc == "load_balance" && p.Key == "processor.selector.maxTimeOut":
			x.Set("max_timeout", x.Convert(p, flume.AsMillis))
		default:
			x.Unknown(p)
		}
	}
	if x.Rejected != nil {
		g.dropped = true
		a.ignored["sinkgroups"] = append(a.ignored["sinkgroups"], propsComment(*x.Rejected, c))
		return
	}
	a.groups = append(a.groups, g)
}
