package convert

import (
	"fmt"
	"strings"
)

// Interceptors and selectors: declared inside a Flume source as interceptors = i1 i2 with
// interceptors.i1.type = ..., and selector.type = ...; in flumego they are blocks of the
// source, interceptor "TYPE" { ... } and selector "TYPE" { ... }.

func builder(class string) []string { return []string{class + "$Builder", class} }

var interceptorSpecs = []*spec{
	{
		flume: "timestamp interceptor", ours: "timestamp",
		aliases:  append([]string{"timestamp"}, builder("org.apache.flume.interceptor.TimestampInterceptor")...),
		settings: []setting{s("header_name", cStr, "headerName"), s("preserve_existing", cBool, "preserveExisting")},
	},
	{
		flume: "host interceptor", ours: "host",
		aliases: append([]string{"host"}, builder("org.apache.flume.interceptor.HostInterceptor")...),
		settings: []setting{
			s("preserve_existing", cBool, "preserveExisting"), s("use_ip", cBool, "useIP"), s("host_header", cStr, "hostHeader"),
		},
	},
	{
		flume: "static interceptor", ours: "static",
		aliases: append([]string{"static"}, builder("org.apache.flume.interceptor.StaticInterceptor")...),
		settings: []setting{
			s("preserve_existing", cBool, "preserveExisting"), s("key", cStr, "key"), s("value", cStr, "value"),
		},
	},
	{
		flume: "remove_header interceptor", ours: "remove_header",
		aliases: append([]string{"remove_header"}, builder("org.apache.flume.interceptor.RemoveHeaderInterceptor")...),
		settings: []setting{
			s("with_name", cStr, "withName"), s("from_list", cStr, "fromList"),
			f(regexSetting("from_list_separator"), "fromListSeparator"), f(regexSetting("matching"), "matching"),
		},
	},
	{
		flume: "UUID interceptor", ours: "uuid",
		aliases: append([]string{"uuid"}, builder("org.apache.flume.sink.solr.morphline.UUIDInterceptor")...),
		settings: []setting{
			s("header_name", cStr, "headerName"), s("preserve_existing", cBool, "preserveExisting"), s("prefix", cStr, "prefix"),
		},
	},
	{
		flume: "search_replace interceptor", ours: "search_replace",
		aliases: append([]string{"search_replace"}, builder("org.apache.flume.interceptor.SearchAndReplaceInterceptor")...),
		settings: []setting{
			f(regexSetting("search_pattern"), "searchPattern"), s("replace_string", cStr, "replaceString"),
			f(utf8Only, "charset"),
		},
	},
	{
		flume: "regex_filter interceptor", ours: "regex_filter",
		aliases:  append([]string{"regex_filter"}, builder("org.apache.flume.interceptor.RegexFilteringInterceptor")...),
		settings: []setting{f(regexSetting("regex"), "regex"), s("exclude_events", cBool, "excludeEvents")},
	},
	{
		flume: "regex_extractor interceptor", ours: "regex_extractor",
		aliases: append([]string{"regex_extractor"}, builder("org.apache.flume.interceptor.RegexExtractorInterceptor")...),
		settings: []setting{
			f(regexSetting("regex"), "regex"),
			f(func(x *cc, p Property) { x.st["serializers"] = p }, "serializers"),
		},
		prefixes: []prefix{{"serializers.", func(x *cc, p Property) { x.st["s."+strings.TrimPrefix(p.Key, "serializers.")] = p }}},
		finish:   finishExtractor,
	},
}

// finishExtractor writes one serializer block per Flume serializer, in the listed order.
func finishExtractor(x *cc) {
	list, _ := x.st["serializers"].(Property)
	for _, id := range strings.Fields(list.Value) {
		b := newBlock("serializer", id)
		name, ok := x.st["s."+id+".name"].(Property)
		if !ok {
			x.drop(list, "serializer %q has no serializers.%s.name: Flume fails on it", id, id)
			continue
		}
		b.set("name", x.tmpl(name))
		if t, ok := x.st["s."+id+".type"].(Property); ok {
			switch v, _ := x.literal(t); strings.TrimPrefix(v, "org.apache.flume.interceptor.") {
			case "default", "", "RegexExtractorInterceptorPassThroughSerializer":
			case "RegexExtractorInterceptorMillisSerializer":
				b.set("type", str("millis"))
			default:
				x.drop(t, "serializer class %q cannot run in flumego (passthrough or millis): the group's text is used", v)
			}
		}
		if pat, ok := x.st["s."+id+".pattern"].(Property); ok {
			b.set("pattern", x.tmpl(pat))
		}
		x.b.add(b)
	}
	for k, v := range x.st {
		rest, ok := strings.CutPrefix(k, "s.")
		if !ok {
			continue
		}
		id, attr, _ := strings.Cut(rest, ".")
		if !contains(strings.Fields(list.Value), id) {
			x.drop(v.(Property), "serializer %q is not listed in serializers: Flume ignores it", id)
		} else if attr != "name" && attr != "type" && attr != "pattern" {
			x.unknown(v.(Property))
		}
	}
}

// convertInterceptors converts the source's interceptor chain, in the listed order. A type
// flumego does not have — a custom Java class — is reported, with a regex_header skeleton when
// the source routes by a header.
func (a *agentConv) convertInterceptors(x *cc, s *outSource) {
	list, ok := x.c.get("interceptors")
	var names []string
	if ok {
		names = strings.Fields(list.Value)
	}
	for _, n := range names {
		ic := &comp{kind: "interceptors", name: n, full: x.c.full + ".interceptors." + n, line: list.Line}
		for _, p := range x.c.props {
			if k, ok := strings.CutPrefix(p.Key, "interceptors."+n+"."); ok {
				ic.props = append(ic.props, Property{Key: k, Value: p.Value, Line: p.Line})
			}
		}
		t, ok := ic.get("type")
		if !ok {
			x.drop(list, "interceptor %q has no type: Flume fails on it", n)
			continue
		}
		t.Key = "interceptors." + n + ".type"
		sp := lookup(interceptorSpecs, t.Value)
		if sp == nil {
			a.customInterceptor(x, s, t)
			continue
		}
		b := newBlock("interceptor", sp.ours)
		ix := a.newCC(ic, b)
		ix.apply(sp, func(k string) bool { return k == "type" })
		if ix.st["invalid"] == true {
			n := Note{Line: t.Line, Key: ic.full, Agent: a.fa.name, Reason: "its regular expression is not valid in flumego (see above): the interceptor is left out, as a comment"}
			a.notes = append(a.notes, n)
			cm := append(comment{}, b.notes...)
			cm = append(cm, noteComment(n))
			b.notes, b.lines = nil, nil
			s.icpts = append(s.icpts, append(cm, commentedOut(b)...))
			continue
		}
		s.icpts = append(s.icpts, b)
	}
	for _, p := range x.c.props {
		rest, ok := strings.CutPrefix(p.Key, "interceptors.")
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ".")
		if !contains(names, n) {
			x.drop(p, "interceptor %q is not listed in %s.interceptors: Flume ignores it", n, x.c.full)
		}
	}
}

func (a *agentConv) customInterceptor(x *cc, s *outSource, t Property) {
	why := fmt.Sprintf("%q is not a Flume built-in interceptor but a Java class, and flumego cannot run Java code: "+
		"write its logic with flumego's interceptors — usually a regex_header rule that sets a header from the body "+
		"(interceptor \"regex_header\" { header = \"...\", rule \"VALUE\" { regex = \"...\" } })", t.Value)
	sel := s.sel
	if sel != nil && sel.typ == "multiplexing" && len(sel.mapping) > 0 {
		why += fmt.Sprintf("; the multiplexing selector routes by header %q, so until a rule sets it no event matches a mapping and each is dropped (counted as EventUnroutedCount): a regex_header skeleton for it is written at the source, as comments", sel.headerS)
		sk := newBlock("interceptor", "regex_header")
		sk.set("header", str(sel.headerS))
		for _, r := range sel.mapping {
			rb := newBlock("rule", r.value)
			rb.set("regex", str("REGEX FOR "+r.value))
			sk.add(rb)
		}
		defer func() { s.icpts = append(s.icpts, commentedOut(sk)) }()
	}
	x.drop(t, "%s", why)
}

// convertSelector converts the source's channel selector. A replicating selector is written
// only when Flume's configuration names it (it is the default in both).
func (a *agentConv) convertSelector(x *cc, s *outSource) {
	tp, explicit := x.c.get("selector.type")
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
		x.drop(tp, "selector %q is a Java class flumego cannot run: events are replicated to every channel (Flume's default)", typ)
		sel.typ = "replicating"
		explicit = false
	}
	sel.b = newBlock("selector", sel.typ)
	sx := a.newCC(&comp{kind: "selector", full: x.c.full, line: tp.Line}, sel.b)
	sx.sp = &spec{flume: sel.typ + " selector"}
	for _, p := range x.c.props {
		k, ok := strings.CutPrefix(p.Key, "selector.")
		if !ok || k == "type" {
			continue
		}
		switch {
		case sel.typ == "replicating" && k == "optional":
			sel.optional = strings.Fields(p.Value)
		case sel.typ == "multiplexing" && k == "header":
			sel.headerS = strings.TrimSpace(p.Value)
			sel.header = sx.tmpl(p)
		case sel.typ == "multiplexing" && k == "default":
			sel.def = strings.Fields(p.Value)
		case sel.typ == "multiplexing" && strings.HasPrefix(k, "mapping."):
			sel.mapping = append(sel.mapping, route{value: strings.TrimPrefix(k, "mapping."), chans: strings.Fields(p.Value)})
		case sel.typ == "multiplexing" && strings.HasPrefix(k, "optional."):
			sel.mopt = append(sel.mopt, route{value: strings.TrimPrefix(k, "optional."), chans: strings.Fields(p.Value)})
		default:
			sx.unknown(p)
		}
	}
	if sel.header == nil {
		sel.header = str(sel.headerS)
	}
	if explicit || sel.typ == "multiplexing" || len(sel.b.notes) > 0 {
		s.sel = sel
	}
}
