package convert

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flumego/flumego/config/flume"
)

// Interceptors and selectors: declared inside a Flume source as interceptors = i1 i2 with
// interceptors.i1.type = ..., and selector.type = ...; in flumego they are blocks of the
// source, interceptor "TYPE" { ... } and selector "TYPE" { ... }.

// convertInterceptors converts the source's interceptor chain, in the listed order, with the
// mappings of the agent's interceptor types. A type none of them stands for — a custom Java
// class — is reported, with skeletons to complete: a script interceptor carrying the class's
// settings as params, and a regex_header rule set when the source routes by a header.
func (a *agentConv) convertInterceptors(x *flume.Conv, s *outSource) {
	list, ok := x.Get("interceptors")
	var names []string
	if ok {
		names = strings.Fields(list.Value)
	}
	for _, n := range names {
		ic := &comp{kind: "sources", name: x.Name + ".interceptors." + n, full: x.Key + ".interceptors." + n, line: list.Line}
		for _, p := range x.Props {
			if k, ok := strings.CutPrefix(p.Key, "interceptors."+n+"."); ok {
				ic.props = append(ic.props, Property{Key: k, Value: p.Value, Line: p.Line})
			}
		}
		t, ok := ic.get("type")
		if !ok {
			x.Reject(list, "interceptor %q has no type", n)
			continue
		}
		f, m := lookup(a.comps.Interceptors, t.Value)
		if m == nil {
			a.customInterceptor(x, s, ic, Property{Key: "interceptors." + n + ".type", Value: t.Value, Line: t.Line})
			continue
		}
		b := flume.NewBlock("interceptor", f.Type())
		ix := a.conv(ic, b)
		ix.Apply(m, func(k string) bool { return k == "type" })
		switch {
		case ix.Rejected != nil:
			x.Omit(Property{Key: "interceptors." + n, Line: t.Line}, fmt.Sprintf("its interceptor %q cannot be configured (see the note on it), so Flume fails to configure the source and removes it at start-up: left out here too", n))
		case ix.State["invalid"] == true:
			n := Note{Line: t.Line, Key: ic.full, Agent: a.fa.name, Reason: "its regular expression is not valid in flumego (see above): the interceptor is left out, as a comment"}
			a.notes = append(a.notes, n)
			cm := append(flume.Comment{}, b.Notes...)
			cm = append(cm, n.Comment())
			b.Notes, b.Lines = nil, nil
			s.icpts = append(s.icpts, append(cm, flume.CommentedOut(b)...))
		default:
			s.icpts = append(s.icpts, b)
		}
	}
	for _, p := range x.Props {
		rest, ok := strings.CutPrefix(p.Key, "interceptors.")
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ".")
		if !slices.Contains(names, n) {
			x.Drop(p, "interceptor %q is not listed in %s.interceptors: Flume ignores it", n, x.Key)
		}
	}
}

// has reports whether the agent's component list has an interceptor type.
func (a *agentConv) has(typ string) bool {
	for _, f := range a.comps.Interceptors {
		if f.Type() == typ {
			return true
		}
	}
	return false
}

func (a *agentConv) customInterceptor(x *flume.Conv, s *outSource, ic *comp, t Property) {
	why := fmt.Sprintf("%q is not a Flume built-in interceptor but a Java class, and flumego cannot run Java code", t.Value)
	if strings.HasPrefix(t.Value, "org.apache.flume.") || !strings.Contains(t.Value, ".") {
		why = fmt.Sprintf("Flume's interceptor %q has no flumego equivalent", t.Value)
	}
	var skeletons []flume.Node
	if a.has("script") {
		why += ": write its logic in the script interceptor skeleton written at the source, as comments (its settings are its params)"
		skeletons = append(skeletons, scriptSkeleton(t.Value, ic.props))
	}
	if a.has("regex_header") {
		why += "; when it sets a header from the body, a regex_header rule does it without code (interceptor \"regex_header\" { header = \"...\", rule \"VALUE\" { regex = \"...\" } })"
		if sel := s.sel; sel != nil && sel.typ == "multiplexing" && len(sel.mapping) > 0 {
			why += fmt.Sprintf("; the multiplexing selector routes by header %q, so until something sets it no event matches a mapping and each is dropped (counted as EventUnroutedCount): a regex_header skeleton for it is written at the source, as comments", sel.headerS)
			sk := flume.NewBlock("interceptor", "regex_header")
			sk.Set("header", flume.String(sel.headerS))
			for _, r := range sel.mapping {
				rb := flume.NewBlock("rule", r.value)
				rb.Set("regex", flume.String("REGEX FOR "+r.value))
				sk.Add(rb)
			}
			skeletons = append(skeletons, flume.CommentedOut(sk))
		}
	}
	x.Drop(t, "%s", why)
	s.icpts = append(s.icpts, skeletons...)
}

// scriptSkeleton is a commented script interceptor (Filebeat's JavaScript API) standing for a
// custom Java interceptor, with the class name and its settings as params.
func scriptSkeleton(class string, props []Property) flume.Comment {
	sk := flume.NewBlock("interceptor", "script")
	sk.Set("source", flume.Raw("<<-JS\n"+
		"    // "+class+", ported:\n"+
		"    function process(event) {\n"+
		"      // event.Get(\"message\") is the body, event.Get(\"NAME\") a header;\n"+
		"      // event.Put(\"NAME\", \"VALUE\") sets a header, event.Cancel() drops the event\n"+
		"    }\n"+
		"  JS"))
	params := &flume.Object{}
	for _, p := range props {
		if p.Key != "type" {
			params.Set(p.Key, flume.String(p.Value))
		}
	}
	if params.Len() > 0 {
		sk.Set("params", params)
	}
	return flume.CommentedOut(sk)
}

// convertSelector converts the source's channel selector. A replicating selector is written
// only when Flume's configuration names it (it is the default in both).
func (a *agentConv) convertSelector(x *flume.Conv, s *outSource) {
	tp, explicit := x.Get("selector.type")
	typ := "replicating"
	if explicit {
		typ = strings.TrimSpace(tp.Value)
	}
	sel := &outSelector{}
	switch strings.ToLower(typ) {
	case "replicating", "org.apache.flume.channel.replicatingchannelselector":
		sel.typ = "replicating"
	case "multiplexing", "org.apache.flume.channel.multiplexingchannelselector":
		sel.typ = "multiplexing"
		sel.headerS = "flume.selector.header" // Flume's default
	default:
		x.Drop(tp, "selector %q is a Java class flumego cannot run: events are replicated to every channel (Flume's default)", typ)
		sel.typ = "replicating"
		explicit = false
	}
	sel.b = flume.NewBlock("selector", sel.typ)
	sx := flume.NewConv(a.fa.name, "sources", x.Name, tp.Line, x.Props, sel.b, a.refs, a.record)
	sx.Use(&flume.Mapping{Flume: sel.typ + " selector"})
	for _, p := range x.Props {
		k, ok := strings.CutPrefix(p.Key, "selector.")
		if !ok || k == "type" {
			continue
		}
		switch {
		case sel.typ == "replicating" && k == "optional":
			sel.optional = strings.Fields(p.Value)
		case sel.typ == "multiplexing" && k == "header":
			sel.headerS = strings.TrimSpace(p.Value)
			sel.header = sx.Tmpl(p)
		case sel.typ == "multiplexing" && k == "default":
			sel.def = strings.Fields(p.Value)
		case sel.typ == "multiplexing" && strings.HasPrefix(k, "mapping."):
			sel.mapping = append(sel.mapping, route{value: strings.TrimPrefix(k, "mapping."), chans: strings.Fields(p.Value)})
		case sel.typ == "multiplexing" && strings.HasPrefix(k, "optional."):
			sel.mopt = append(sel.mopt, route{value: strings.TrimPrefix(k, "optional."), chans: strings.Fields(p.Value)})
		default:
			sx.Unknown(p)
		}
	}
	if sel.header == nil {
		sel.header = flume.String(sel.headerS)
	}
	if explicit || sel.typ == "multiplexing" || len(sel.b.Notes) > 0 {
		s.sel = sel
	}
}
