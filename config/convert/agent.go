package convert

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// agentConv converts one Flume agent.
type agentConv struct {
	fa      *flumeAgent
	filters map[string]string // config filter name → its type
	notes   []Note
	top     comment // agent-level notes
	dataDir string

	sources  []*outSource
	channels []*outChannel
	sinks    []*outSink
	groups   []*outGroup
	ignored  map[string][]node // kind → components written out as comments
}

type outSource struct {
	name     string
	flume    string // the Flume source's name (several syslog sources come from one multiport source)
	b        *block
	channels []string
	chanLine int
	icpts    []node
	sel      *outSelector
	batch    int // flumego's default batch_size of the type, 0 when it has none
	dropped  comment
}

type outSelector struct {
	typ      string // replicating or multiplexing
	b        *block
	header   value
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
	b     *block
	txCap int // 0 when unknown
}

type outSink struct {
	name     string
	b        *block
	channel  string
	chanLine int
	dropped  comment
}

type outGroup struct {
	name     string
	c        *comp
	sinks    []string
	proc     string
	b        *block // the processor block
	priority []route
	dropped  bool
}

func newAgentConv(fa *flumeAgent, filters map[string]string) *agentConv {
	a := &agentConv{fa: fa, filters: filters, ignored: map[string][]node{}}
	for _, n := range fa.notes {
		a.notes = append(a.notes, n)
		a.top = append(a.top, noteComment(n))
	}
	return a
}

func (a *agentConv) agentNote(line int, key string, changed bool, format string, args ...any) {
	n := Note{Line: line, Key: key, Agent: a.fa.name, Changed: changed, Reason: fmt.Sprintf(format, args...)}
	a.notes = append(a.notes, n)
	a.top = append(a.top, noteComment(n))
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
				a.agentNote(list.Line, list.Key, false, "%s %q is listed but has no properties (no type): Flume drops it too", singular(kind), n)
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
		why := fmt.Sprintf("not listed in %s.%s, so Flume ignores it; not converted", a.fa.name, kind)
		a.ignore(c, why)
	}
	return out
}

// ignore writes a component out as comments with the reason.
func (a *agentConv) ignore(c *comp, why string) {
	n := Note{Line: c.line, Key: c.full, Agent: a.fa.name, Reason: why}
	a.notes = append(a.notes, n)
	a.ignored[c.kind] = append(a.ignored[c.kind], propsComment(n, c))
}

func propsComment(n Note, c *comp) comment {
	cm := comment{noteComment(n)}
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
	if isEnvFilter(t.Value) {
		return
	}
	a.agentNote(c.line, c.full, false, "config filter type %q: flumego reads secrets only from the environment, with env(\"NAME\"); its ${%s['...']} references are kept as literal text", t.Value, c.name)
}

func isEnvFilter(t string) bool {
	t = strings.TrimSpace(t)
	return strings.EqualFold(t, "env") || t == "org.apache.flume.configfilter.EnvironmentVariableConfigFilter"
}

// cc converts one component (or one interceptor, selector or processor) into a block.
type cc struct {
	a     *agentConv
	c     *comp
	b     *block
	sp    *spec
	st    map[string]any
	wrote map[string]bool
}

func (a *agentConv) newCC(c *comp, b *block) *cc {
	return &cc{a: a, c: c, b: b, st: map[string]any{}, wrote: map[string]bool{}}
}

func (x *cc) key(p Property) string { return x.c.full + "." + p.Key }

func (x *cc) note(p Property, changed bool, format string, args ...any) {
	n := Note{Line: p.Line, Key: x.key(p), Agent: x.a.fa.name, Changed: changed, Reason: fmt.Sprintf(format, args...)}
	if x.a.record(n) {
		x.b.addNote(n)
	}
}

// record adds a note unless the same one was made already (a value can be read twice).
func (a *agentConv) record(n Note) bool {
	if slices.Contains(a.notes, n) {
		return false
	}
	a.notes = append(a.notes, n)
	return true
}

// compNote is a note about the component as a whole.
func (x *cc) compNote(changed bool, format string, args ...any) {
	n := Note{Line: x.c.line, Key: x.c.full, Agent: x.a.fa.name, Changed: changed, Reason: fmt.Sprintf(format, args...)}
	if x.a.record(n) {
		x.b.addNote(n)
	}
}

func (x *cc) drop(p Property, format string, args ...any) { x.note(p, false, format, args...) }

// set writes an attribute once; a second write of the same attribute replaces the first.
func (x *cc) set(name string, v value) {
	if x.wrote[name] {
		if a := x.b.attr(name); a != nil {
			a.val = v
			return
		}
	}
	x.wrote[name] = true
	x.b.set(name, v)
}

var (
	dollarRef = regexp.MustCompile(`\$\{([^}]*)\}`)
	envRefRe  = regexp.MustCompile(`^\s*env:([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	filterRe  = regexp.MustCompile(`^\s*([A-Za-z0-9_-]+)\[\s*['"]?([^'"\]]+?)['"]?\s*\]\s*$`)
)

// tmpl reads a Flume value, turning ${env:X} and env config filter references into env("X").
func (x *cc) tmpl(p Property) tmpl {
	v := p.Value
	var t tmpl
	last := 0
	for _, m := range dollarRef.FindAllStringSubmatchIndex(v, -1) {
		inner := v[m[2]:m[3]]
		name := ""
		if sm := envRefRe.FindStringSubmatch(inner); sm != nil {
			name = sm[1]
		} else if sm := filterRe.FindStringSubmatch(inner); sm != nil && isEnvFilter(x.a.filters[sm[1]]) {
			name = sm[2]
		}
		if name == "" {
			x.note(p, true, "${%s} is kept as literal text: flumego substitutes ${env:NAME} (as env(\"NAME\")) and Flume's env config filters only", inner)
			continue
		}
		if m[0] > last {
			t = append(t, piece{lit: v[last:m[0]]})
		}
		t = append(t, piece{env: name})
		last = m[1]
	}
	if last < len(v) || len(t) == 0 {
		t = append(t, piece{lit: v[last:]})
	}
	return t
}

// convKind is how a Flume value is read.
type convKind int

const (
	cStr    convKind = iota // a string
	cLower                  // an enum, lower-cased
	cInt                    // a whole number
	cFloat                  // a number
	cBool                   // Java's Boolean.parseBoolean: "true" in any case, else false
	cSecs                   // seconds → a duration
	cMillis                 // milliseconds → a duration
	cBytes                  // bytes → a size
	cWords                  // a white-space separated list
	cCommas                 // a comma-separated list
)

// conv reads p as kind. A value that does not parse is kept as a string (so `agent validate`
// points at it: Flume would have refused it too) and reported.
func (x *cc) conv(p Property, kind convKind) value {
	t := x.tmpl(p)
	if t.hasEnv() {
		switch kind {
		case cSecs:
			return t.withSuffix("s")
		case cMillis:
			return t.withSuffix("ms")
		case cWords, cCommas:
			return listVal{t}
		}
		return t
	}
	s := strings.TrimSpace(t.literal())
	switch kind {
	case cLower:
		return str(strings.ToLower(s))
	case cInt, cSecs, cMillis, cBytes:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			x.note(p, true, "%q is not a whole number; kept as written for `agent validate` to point at", s)
			return str(s)
		}
		switch kind {
		case cSecs:
			return durVal(time.Duration(n) * time.Second)
		case cMillis:
			return durVal(time.Duration(n) * time.Millisecond)
		case cBytes:
			return sizeVal(n)
		}
		return intVal(n)
	case cFloat:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			x.note(p, true, "%q is not a number; kept as written for `agent validate` to point at", s)
			return str(s)
		}
		return floatVal(f)
	case cBool:
		switch strings.ToLower(s) {
		case "true":
			return boolVal(true)
		case "false":
			return boolVal(false)
		}
		x.note(p, true, "%q is not true or false; Flume reads it as false, and so does the conversion", s)
		return boolVal(false)
	case cWords:
		return strList(strings.Fields(s))
	case cCommas:
		return strList(splitCommas(s))
	}
	return t
}

func splitCommas(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// literal returns p's value when it holds no environment reference.
func (x *cc) literal(p Property) (string, bool) {
	t := x.tmpl(p)
	if t.hasEnv() {
		return "", false
	}
	return strings.TrimSpace(t.literal()), true
}

// setting maps Flume property names (the current one first, older ones after) to a flumego
// attribute, or to a function that writes what it needs.
type setting struct {
	keys []string
	attr string
	kind convKind
	fn   func(x *cc, p Property)
}

// spec describes how one Flume component type converts.
type spec struct {
	flume    string // Flume's name of the type, for messages
	ours     string // flumego's type
	aliases  []string
	settings []setting
	prefixes []prefix
	// dropped are Flume settings with no flumego equivalent, and why.
	dropped map[string]string
	finish  func(x *cc)
	batch   int // sources: flumego's default batch_size; channels: default transaction_capacity
}

type prefix struct {
	prefix string
	fn     func(x *cc, p Property)
}

// dropPrefix reports every key under a prefix as not carried over.
func dropPrefix(p, why string) prefix {
	return prefix{prefix: p, fn: func(x *cc, pr Property) { x.drop(pr, "%s", why) }}
}

func (sp *spec) find(key string) (*setting, int) {
	for i := range sp.settings {
		if j := slices.Index(sp.settings[i].keys, key); j >= 0 {
			return &sp.settings[i], j
		}
	}
	return nil, -1
}

// apply converts the component's properties, except those skip claims, in file order.
func (x *cc) apply(sp *spec, skip func(key string) bool) {
	x.sp = sp
	type pick struct {
		p   Property
		idx int
	}
	chosen := map[*setting]pick{}
	for _, p := range x.c.props {
		if skip != nil && skip(p.Key) {
			continue
		}
		if s, idx := sp.find(p.Key); s != nil {
			if prev, ok := chosen[s]; !ok || idx < prev.idx {
				chosen[s] = pick{p, idx}
			}
		}
	}
	for _, p := range x.c.props {
		if skip != nil && skip(p.Key) {
			continue
		}
		if s, _ := sp.find(p.Key); s != nil {
			if win := chosen[s].p; win.Key != p.Key {
				x.drop(p, "%s is set too and takes precedence, as in Flume", x.key(win))
				continue
			}
			if s.fn != nil {
				s.fn(x, p)
			} else {
				x.set(s.attr, x.conv(p, s.kind))
			}
			continue
		}
		if h := sp.prefixFn(p.Key); h != nil {
			h(x, p)
			continue
		}
		if why, ok := sp.dropped[p.Key]; ok {
			x.drop(p, "%s", why)
			continue
		}
		x.unknown(p)
	}
	if sp.finish != nil {
		sp.finish(x)
	}
}

func (sp *spec) prefixFn(key string) func(*cc, Property) {
	for _, pr := range sp.prefixes {
		if strings.HasPrefix(key, pr.prefix) {
			return pr.fn
		}
	}
	return nil
}

func (x *cc) unknown(p Property) {
	full := Property{Key: x.key(p), Value: p.Value}
	if h := malformedHint(full); h != "" {
		x.drop(p, "malformed key%s", h)
		return
	}
	x.drop(p, "not a setting flumego knows for Flume's %s; Flume ignores unknown settings too", x.sp.flume)
}

// lookup finds the spec of a Flume type among specs: by alias (case-insensitive, as Flume's
// type enums) or by class name.
func lookup(specs []*spec, typ string) *spec {
	t := strings.ToLower(strings.TrimSpace(typ))
	for _, sp := range specs {
		for _, al := range sp.aliases {
			if strings.ToLower(al) == t {
				return sp
			}
		}
	}
	return nil
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
	sp := lookup(sourceSpecs, t.Value)
	if sp == nil {
		a.ignore(c, fmt.Sprintf("Flume source type %q has no flumego equivalent (flumego's sources: avro, exec, http, kafka, netcat, seq, spooldir, syslog, taildir)", t.Value))
		return
	}
	b := newBlock("source", sp.ours, c.name)
	x := a.newCC(c, b)
	x.apply(sp, sourceGeneric)
	s := &outSource{name: c.name, flume: c.name, b: b, batch: sp.batch}
	if p, ok := c.get("channels"); ok {
		s.channels, s.chanLine = strings.Fields(p.Value), p.Line
	}
	a.convertSelector(x, s)
	a.convertInterceptors(x, s)
	if ports, ok := x.st["ports"].([]string); ok && len(ports) > 1 {
		// multiport_syslogtcp: one syslog source per port.
		x.compNote(true, "multiport_syslogtcp listens on %d ports: converted into one syslog source per port, named %s_PORT", len(ports), c.name)
		for _, port := range ports {
			cp := *s
			cb := *b
			cb.labels = []string{sp.ours, c.name + "_" + port}
			cb.items = slices.Clone(b.items)
			cb.notes, cb.lines = slices.Clone(b.notes), slices.Clone(b.lines)
			for i, n := range cb.items {
				if at, ok := n.(*attr); ok && at.name == "port" {
					cb.items[i] = &attr{name: "port", val: portValue(port)}
				}
			}
			cp.b, cp.name = &cb, c.name+"_"+port
			if port != ports[0] {
				cb.notes, cb.lines = nil, nil
			}
			a.sources = append(a.sources, &cp)
		}
		return
	}
	a.sources = append(a.sources, s)
}

func portValue(s string) value {
	if n, err := strconv.Atoi(s); err == nil {
		return intVal(n)
	}
	return str(s)
}

// ---- channels ----

func (a *agentConv) convertChannel(c *comp) {
	t, ok := c.get("type")
	if !ok {
		a.ignore(c, "has no type: Flume drops it too")
		return
	}
	sp := lookup(channelSpecs, t.Value)
	b := newBlock("channel", "memory", c.name)
	x := a.newCC(c, b)
	if sp == nil {
		x.note(t, false, "Flume channel type %q has no flumego equivalent: converted into a memory channel (flumego's channels: memory, file, kafka) — choose file for durability", t.Value)
		sp = substituteChannel
	} else {
		b.labels[0] = sp.ours
	}
	x.apply(sp, func(k string) bool { return k == "type" })
	ch := &outChannel{name: c.name, b: b, txCap: sp.batch}
	if at := b.attr("transaction_capacity"); at != nil {
		if n, ok := at.val.(intVal); ok {
			ch.txCap = int(n)
		} else {
			ch.txCap = 0
		}
	}
	a.channels = append(a.channels, ch)
}

// ---- sinks ----

func (a *agentConv) convertSink(c *comp) {
	t, ok := c.get("type")
	if !ok {
		a.ignore(c, "has no type: Flume drops it too")
		return
	}
	sp := lookup(sinkSpecs, t.Value)
	if sp == nil {
		a.ignore(c, fmt.Sprintf("Flume sink type %q has no flumego equivalent (flumego's sinks: avro, file_roll, hdfs, kafka, logger, null)", t.Value))
		return
	}
	b := newBlock("sink", sp.ours, c.name)
	s := &outSink{name: c.name, b: b}
	if p, ok := c.get("channel"); ok {
		s.channel, s.chanLine = strings.TrimSpace(p.Value), p.Line
		b.set("channel", str(s.channel))
	}
	x := a.newCC(c, b)
	x.apply(sp, func(k string) bool { return k == "type" || k == "channel" })
	a.sinks = append(a.sinks, s)
}

// ---- sink groups ----

func (a *agentConv) convertGroup(c *comp) {
	g := &outGroup{name: c.name, c: c}
	b := newBlock("processor", "failover")
	x := a.newCC(c, b)
	x.sp = &spec{flume: "sink group"}
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
		x.drop(p, "sink processor %q has no flumego equivalent (failover, load_balance): converted as failover", typ)
		g.proc = "failover"
	}
	b.labels[0] = g.proc
	g.b = b
	for _, p := range c.props {
		switch {
		case p.Key == "sinks" || p.Key == "processor.type":
		case g.proc == "failover" && strings.HasPrefix(p.Key, "processor.priority."):
			sink := strings.TrimPrefix(p.Key, "processor.priority.")
			g.priority = append(g.priority, route{value: sink, chans: []string{p.Value}})
			if _, err := strconv.Atoi(strings.TrimSpace(p.Value)); err != nil {
				x.drop(p, "priority %q is not a whole number", p.Value)
				g.priority = g.priority[:len(g.priority)-1]
			}
		case g.proc == "failover" && p.Key == "processor.maxpenalty":
			x.set("max_penalty", x.conv(p, cMillis))
		case g.proc == "load_balance" && p.Key == "processor.backoff":
			x.set("backoff", x.conv(p, cBool))
		case g.proc == "load_balance" && p.Key == "processor.selector":
			switch v := strings.ToLower(strings.TrimSpace(p.Value)); v {
			case "round_robin", "random":
				x.set("selector", str(v))
			default:
				x.drop(p, "custom selector class %q cannot run in flumego: round_robin is used", p.Value)
			}
		case g.proc == "load_balance" && p.Key == "processor.selector.maxTimeOut":
			x.set("max_timeout", x.conv(p, cMillis))
		default:
			x.unknown(p)
		}
	}
	a.groups = append(a.groups, g)
}
