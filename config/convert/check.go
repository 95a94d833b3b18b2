package convert

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/flumego/flumego/config/flume"
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
func (a *agentConv) compNoteOn(b *flume.Block, line int, key string, changed bool, format string, args ...any) {
	n := Note{Line: line, Key: key, Agent: a.fa.name, Changed: changed, Reason: fmt.Sprintf(format, args...)}
	if a.record(n) {
		b.AddNote(n)
	}
}

// dropComponent reports a component that cannot be kept and returns it as comments.
func (a *agentConv) dropComponent(b *flume.Block, line int, why string) flume.Comment {
	key := a.fa.name + "." + map[string]string{"source": "sources", "sink": "sinks"}[b.Type] + "." + b.Labels[len(b.Labels)-1]
	n := Note{Line: line, Key: key, Agent: a.fa.name, Reason: why}
	a.notes = append(a.notes, n)
	cm := flume.Comment{n.Comment()}
	notes := b.Notes
	b.Notes, b.Lines = nil, nil
	cm = append(cm, notes...)
	return append(cm, flume.CommentedOut(b)...)
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
		a.compNoteOn(sel.b, s.chanLine, strings.TrimSuffix(key, "channels")+"selector", true, "the multiplexing selector has neither a mapping nor a default, so Flume puts every event into no channel: kept so — flumego drops each and counts it (EventUnroutedCount), and `agent validate` warns")
	}
}

// clampSource lowers a source's batch to its channels' smallest transaction capacity.
func (a *agentConv) clampSource(s *outSource, chans map[string]*outChannel) {
	limit, by := 0, ""
	for _, c := range s.channels {
		if tc := chans[c].txCap; tc > 0 && (limit == 0 || tc < limit) {
			limit, by = tc, c
		}
	}
	at := s.b.Attr("batch_size")
	if at == nil {
		if s.batch > limit && limit > 0 {
			s.b.InsertAttr("batch_size", flume.Int(limit))
			a.compNoteOn(s.b, 0, a.fa.name+".sources."+s.flume, true, "flumego's %s source puts up to %d events per transaction by default, above channel %q's transaction_capacity %d: batch_size is set to %d", s.b.Labels[0], s.batch, by, limit, limit)
		}
		return
	}
	if why := clampBatch(at, limit, by, "source"); why != "" {
		a.compNoteOn(s.b, 0, a.fa.name+".sources."+s.flume, true, "%s", why)
	}
}

// clampSink lowers a sink's batch to its channel's transaction capacity (an unset batch_size
// is lowered by the agent itself).
func (a *agentConv) clampSink(k *outSink, c *outChannel) {
	if at := k.b.Attr("batch_size"); at != nil {
		if why := clampBatch(at, c.txCap, c.name, "sink"); why != "" {
			a.compNoteOn(k.b, k.chanLine, a.fa.name+".sinks."+k.name, true, "%s", why)
		}
	}
}

// clampBatch lowers a batch_size above limit, the transaction capacity of channel ch, and says
// why: Flume refuses such a component.
func clampBatch(at *flume.Attr, limit int, ch, what string) string {
	n, ok := at.Val.(flume.Int)
	if !ok || limit == 0 || int(n) <= limit {
		return ""
	}
	whose := fmt.Sprintf("batch_size %d", n)
	if at.Comment != "" {
		whose = fmt.Sprintf("Flume's default batch size %d", n)
	}
	at.Val, at.Comment = flume.Int(limit), ""
	return fmt.Sprintf("%s is above channel %q's transaction_capacity %d: Flume 1.9 and later refuse to connect such a %s (\"Incompatible %s and channel settings\") and run without it, older versions fail its transactions; lowered to %d so that it runs — or raise the channel's transaction_capacity to keep the batch", whose, ch, limit, what, what, limit)
}

// runnable says why the agent is left out, "" when it has something to run: Flume marks an
// agent without channels, or without sources and sinks, invalid and runs nothing; an agent
// whose sources and sinks all failed to convert has nothing to run either.
func (a *agentConv) runnable() string {
	n := 0 // sources and sinks left to run
	for _, s := range a.sources {
		if s.dropped == nil {
			n++
		}
	}
	for _, k := range a.sinks {
		if k.dropped == nil {
			n++
		}
	}
	switch {
	case strings.TrimSpace(a.fa.lists["channels"].Value) == "":
		return "Flume marks the agent invalid and runs nothing: it lists no channels (" + a.fa.name + ".channels); written out as comments only"
	case strings.TrimSpace(a.fa.lists["sources"].Value) == "" && strings.TrimSpace(a.fa.lists["sinks"].Value) == "":
		return "Flume marks the agent invalid and runs nothing: it lists no sources and no sinks; written out as comments only"
	case len(a.channels) == 0:
		return "none of its channels converts (see the notes), so nothing of it can run; written out as comments only"
	case n == 0:
		return "none of its sources and sinks converts (see the notes), so nothing of it can run; written out as comments only"
	}
	return ""
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
func (a *agentConv) block() *flume.Block {
	ab := flume.NewBlock("agent", a.fa.name)
	ab.Notes = a.top
	if a.dataDir != "" {
		ab.Set("data_dir", flume.String(a.dataDir))
	}
	sep := func() {
		if len(ab.Items) > 0 || len(ab.Notes) > 0 {
			ab.Add(flume.Blank{})
		}
	}
	for _, s := range a.sources {
		sep()
		if s.dropped != nil {
			ab.Add(s.dropped)
			continue
		}
		s.b.InsertAttr("channels", flume.Strings(s.channels))
		for _, n := range s.icpts {
			s.b.Add(n)
		}
		if sel := s.sel; sel != nil {
			switch sel.typ {
			case "replicating":
				if len(sel.optional) > 0 {
					sel.b.Set("optional", flume.Strings(sel.optional))
				}
			case "multiplexing":
				sel.b.Set("header", sel.header)
				if len(sel.mapping) > 0 {
					sel.b.Set("mapping", routes(sel.mapping))
				}
				if len(sel.def) > 0 {
					sel.b.Set("default", flume.Strings(sel.def))
				}
				if len(sel.mopt) > 0 {
					sel.b.Set("optional", routes(sel.mopt))
				}
			}
			s.b.Add(sel.b)
		}
		ab.Add(s.b)
	}
	for _, c := range a.ignored["sources"] {
		sep()
		ab.Add(c)
	}
	for _, c := range a.channels {
		sep()
		ab.Add(c.b)
	}
	for _, c := range a.ignored["channels"] {
		sep()
		ab.Add(c)
	}
	for _, k := range a.sinks {
		sep()
		if k.dropped != nil {
			ab.Add(k.dropped)
			continue
		}
		ab.Add(k.b)
	}
	for _, c := range a.ignored["sinks"] {
		sep()
		ab.Add(c)
	}
	for _, g := range a.groups {
		if g.dropped {
			continue
		}
		sep()
		gb := flume.NewBlock("sink_group", g.name)
		gb.Set("sinks", flume.Strings(g.sinks))
		if len(g.priority) > 0 {
			obj := &flume.Object{}
			for _, r := range g.priority {
				n, _ := strconv.Atoi(strings.TrimSpace(r.chans[0]))
				obj.Set(r.value, flume.Int(n))
			}
			g.b.Items = append([]flume.Node{&flume.Attr{Name: "priority", Val: obj}}, g.b.Items...)
		}
		gb.Add(g.b)
		ab.Add(gb)
	}
	for _, c := range a.ignored["sinkgroups"] {
		sep()
		ab.Add(c)
	}
	for _, c := range a.ignored["configfilters"] {
		sep()
		ab.Add(c)
	}
	return ab
}

func routes(rs []route) *flume.Object {
	obj := &flume.Object{}
	for _, r := range rs {
		obj.Set(r.value, flume.Strings(r.chans))
	}
	return obj
}
