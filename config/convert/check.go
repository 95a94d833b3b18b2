package convert

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// crossCheck adapts what flumego checks across components and Flume leaves to run time or
// drops at start-up: references to undeclared channels and sinks, sink groups, selectors naming
// channels their source does not use, batches larger than a channel's transaction capacity.
func (a *agentConv) crossCheck() {
	chans := map[string]*outChannel{}
	for _, c := range a.channels {
		chans[c.name] = c
	}
	for _, s := range a.sources {
		if s.dropped != nil {
			continue
		}
		key := a.fa.name + ".sources." + s.flume + ".channels"
		if s.chanLine == 0 {
			s.dropped = a.dropComponent(s.b, 0, "has no channels: Flume drops it too")
			continue
		}
		var keep []string
		for _, c := range s.channels {
			if chans[c] == nil {
				a.compNoteOn(s.b, s.chanLine, key, false, "channel %q is not a converted channel of agent %q (declared in %s.channels with a type): the reference is dropped, as Flume drops it", c, a.fa.name, a.fa.name)
				continue
			}
			if !slices.Contains(keep, c) {
				keep = append(keep, c)
			}
		}
		s.channels = keep
		if len(keep) == 0 {
			s.dropped = a.dropComponent(s.b, s.chanLine, "has no channel left to put into: Flume drops it too")
			continue
		}
		a.checkSelector(s, key)
		a.clampSource(s, chans)
	}
	sinks := map[string]*outSink{}
	for _, k := range a.sinks {
		if k.chanLine == 0 {
			k.dropped = a.dropComponent(k.b, 0, "has no channel: Flume drops it too")
			continue
		}
		if chans[k.channel] == nil {
			k.dropped = a.dropComponent(k.b, k.chanLine, fmt.Sprintf("its channel %q is not a converted channel of agent %q: Flume drops the sink too", k.channel, a.fa.name))
			continue
		}
		sinks[k.name] = k
		a.clampSink(k, chans[k.channel])
	}
	inGroup := map[string]string{}
	for _, g := range a.groups {
		a.checkGroup(g, sinks, inGroup)
	}
}

// compNoteOn records a note and writes it at the top of block b.
func (a *agentConv) compNoteOn(b *block, line int, key string, changed bool, format string, args ...any) {
	n := Note{Line: line, Key: key, Agent: a.fa.name, Changed: changed, Reason: fmt.Sprintf(format, args...)}
	if a.record(n) {
		b.addNote(n)
	}
}

// dropComponent reports a component that cannot be kept and returns it as comments.
func (a *agentConv) dropComponent(b *block, line int, why string) comment {
	key := a.fa.name + "." + map[string]string{"source": "sources", "sink": "sinks"}[b.typ] + "." + b.labels[len(b.labels)-1]
	n := Note{Line: line, Key: key, Agent: a.fa.name, Reason: why}
	a.notes = append(a.notes, n)
	cm := comment{noteComment(n)}
	notes := b.notes
	b.notes, b.lines = nil, nil
	cm = append(cm, notes...)
	return append(cm, commentedOut(b)...)
}

// checkSelector drops selector references to channels the source does not put into.
func (a *agentConv) checkSelector(s *outSource, key string) {
	sel := s.sel
	if sel == nil {
		return
	}
	filter := func(what string, names []string) []string {
		var out []string
		for _, n := range names {
			if !slices.Contains(s.channels, n) {
				a.compNoteOn(sel.b, s.chanLine, strings.TrimSuffix(key, "channels")+"selector."+what, false, "channel %q is not one of the source's channels (%s): left out", n, strings.Join(s.channels, ", "))
				continue
			}
			out = append(out, n)
		}
		return out
	}
	sel.optional = filter("optional", sel.optional)
	sel.def = filter("default", sel.def)
	var mapping []route
	for _, r := range sel.mapping {
		if r.chans = filter("mapping."+r.value, r.chans); len(r.chans) > 0 {
			mapping = append(mapping, r)
		}
	}
	sel.mapping = mapping
	var mopt []route
	for _, r := range sel.mopt {
		if r.chans = filter("optional."+r.value, r.chans); len(r.chans) > 0 {
			mopt = append(mopt, r)
		}
	}
	sel.mopt = mopt
	if sel.typ == "multiplexing" && len(sel.mapping) == 0 && len(sel.def) == 0 {
		sel.def = s.channels
		a.compNoteOn(sel.b, s.chanLine, strings.TrimSuffix(key, "channels")+"selector", true, "the multiplexing selector has neither a mapping nor a default, so Flume routed nothing; flumego refuses that: default is set to every channel of the source")
	}
}

// clampSource lowers a source's batch to its channels' smallest transaction capacity.
func (a *agentConv) clampSource(s *outSource, chans map[string]*outChannel) {
	batch, set := s.batch, false
	if at := s.b.attr("batch_size"); at != nil {
		n, ok := at.val.(intVal)
		if !ok {
			return
		}
		batch, set = int(n), true
	}
	if batch == 0 {
		return
	}
	limit, by := 0, ""
	for _, c := range s.channels {
		if tc := chans[c].txCap; tc > 0 && (limit == 0 || tc < limit) {
			limit, by = tc, c
		}
	}
	if limit == 0 || batch <= limit {
		return
	}
	setBatch(s.b, limit)
	why := fmt.Sprintf("batch_size %d is above channel %q's transaction_capacity %d (Flume fails such a put at run time): lowered to %d", batch, by, limit, limit)
	if !set {
		why = fmt.Sprintf("flumego's %s source puts up to %d events per transaction by default, above channel %q's transaction_capacity %d: batch_size is set to %d", s.b.labels[0], batch, by, limit, limit)
	}
	a.compNoteOn(s.b, 0, a.fa.name+".sources."+s.flume, true, "%s", why)
}

// clampSink lowers a sink's batch to its channel's transaction capacity.
func (a *agentConv) clampSink(k *outSink, c *outChannel) {
	// An unset batch_size is lowered to the channel's transaction_capacity by the agent itself.
	at := k.b.attr("batch_size")
	if at == nil {
		return
	}
	n, ok := at.val.(intVal)
	if !ok {
		return
	}
	batch := int(n)
	if c.txCap == 0 || batch <= c.txCap {
		return
	}
	setBatch(k.b, c.txCap)
	why := fmt.Sprintf("batch size %d is above channel %q's transaction_capacity %d (Flume fails such a take at run time): lowered to %d", batch, c.name, c.txCap, c.txCap)
	a.compNoteOn(k.b, k.chanLine, a.fa.name+".sinks."+k.name, true, "%s", why)
}

// setBatch sets batch_size in place, or adds it.
func setBatch(b *block, n int) {
	if at := b.attr("batch_size"); at != nil {
		at.val = intVal(n)
		return
	}
	b.set("batch_size", intVal(n))
}

// checkGroup keeps the members flumego can group: declared sinks, in no other group, draining
// one channel.
func (a *agentConv) checkGroup(g *outGroup, sinks map[string]*outSink, inGroup map[string]string) {
	sp, hasSinks := g.c.get("sinks")
	key := g.c.full + ".sinks"
	if !hasSinks {
		a.groupDropped(g, g.c.line, "has no sinks: Flume drops it too")
		return
	}
	var keep []string
	for _, n := range g.sinks {
		switch {
		case sinks[n] == nil:
			a.compNoteOn(g.b, sp.Line, key, false, "sink %q is not a converted sink of agent %q: left out of the group", n, a.fa.name)
		case inGroup[n] != "" && inGroup[n] != g.name:
			a.compNoteOn(g.b, sp.Line, key, false, "sink %q is already in sink group %q; a sink belongs to one group: left out", n, inGroup[n])
		case slices.Contains(keep, n):
		default:
			keep = append(keep, n)
		}
	}
	g.sinks = keep
	if len(keep) == 0 {
		a.groupDropped(g, sp.Line, "has no sink left: not converted")
		return
	}
	ch := sinks[keep[0]].channel
	for _, n := range keep[1:] {
		if sinks[n].channel != ch {
			a.groupDropped(g, sp.Line, fmt.Sprintf("its sinks drain different channels (%q and %q); a flumego group drains one channel, so the sinks run on their own", ch, sinks[n].channel))
			return
		}
	}
	if g.proc == "default" {
		a.groupDropped(g, g.c.line, "the default sink processor runs one sink on its own, as flumego does for a sink in no group: the group is not needed")
		return
	}
	for _, n := range keep {
		inGroup[n] = g.name
	}
	var prio []route
	for _, r := range g.priority {
		if !slices.Contains(keep, r.value) {
			a.compNoteOn(g.b, g.c.line, g.c.full+".processor.priority."+r.value, false, "sink %q is not in the group", r.value)
			continue
		}
		prio = append(prio, r)
	}
	g.priority = prio
}

func (a *agentConv) groupDropped(g *outGroup, line int, why string) {
	g.dropped = true
	a.ignored["sinkgroups"] = append(a.ignored["sinkgroups"], propsComment(Note{Line: line, Key: g.c.full, Agent: a.fa.name, Changed: g.proc == "default", Reason: why}, g.c))
	a.notes = append(a.notes, Note{Line: line, Key: g.c.full, Agent: a.fa.name, Changed: g.proc == "default", Reason: why})
}

// blank is an empty line between components.
type blank struct{}

func (blank) render(b *strings.Builder, _ string) { b.WriteString("\n") }

// block assembles the agent block.
func (a *agentConv) block() *block {
	ab := newBlock("agent", a.fa.name)
	ab.notes = a.top
	if a.dataDir != "" {
		ab.set("data_dir", str(a.dataDir))
	}
	sep := func() {
		if len(ab.items) > 0 || len(ab.notes) > 0 {
			ab.add(blank{})
		}
	}
	for _, s := range a.sources {
		sep()
		if s.dropped != nil {
			ab.add(s.dropped)
			continue
		}
		s.b.insertAttr("channels", strList(s.channels))
		for _, n := range s.icpts {
			s.b.add(n)
		}
		if sel := s.sel; sel != nil {
			switch sel.typ {
			case "replicating":
				if len(sel.optional) > 0 {
					sel.b.set("optional", strList(sel.optional))
				}
			case "multiplexing":
				sel.b.set("header", sel.header)
				if len(sel.mapping) > 0 {
					sel.b.set("mapping", routes(sel.mapping))
				}
				if len(sel.def) > 0 {
					sel.b.set("default", strList(sel.def))
				}
				if len(sel.mopt) > 0 {
					sel.b.set("optional", routes(sel.mopt))
				}
			}
			s.b.add(sel.b)
		}
		ab.add(s.b)
	}
	for _, c := range a.ignored["sources"] {
		sep()
		ab.add(c)
	}
	for _, c := range a.channels {
		sep()
		ab.add(c.b)
	}
	for _, c := range a.ignored["channels"] {
		sep()
		ab.add(c)
	}
	for _, k := range a.sinks {
		sep()
		if k.dropped != nil {
			ab.add(k.dropped)
			continue
		}
		ab.add(k.b)
	}
	for _, c := range a.ignored["sinks"] {
		sep()
		ab.add(c)
	}
	for _, g := range a.groups {
		if g.dropped {
			continue
		}
		sep()
		gb := newBlock("sink_group", g.name)
		gb.set("sinks", strList(g.sinks))
		if len(g.priority) > 0 {
			obj := &objVal{}
			for _, r := range g.priority {
				n, _ := strconv.Atoi(strings.TrimSpace(r.chans[0]))
				obj.set(r.value, intVal(n))
			}
			g.b.items = append([]node{&attr{name: "priority", val: obj}}, g.b.items...)
		}
		gb.add(g.b)
		ab.add(gb)
	}
	for _, c := range a.ignored["sinkgroups"] {
		sep()
		ab.add(c)
	}
	for _, c := range a.ignored["configfilters"] {
		sep()
		ab.add(c)
	}
	return ab
}

func routes(rs []route) *objVal {
	obj := &objVal{}
	for _, r := range rs {
		obj.set(r.value, strList(r.chans))
	}
	return obj
}
