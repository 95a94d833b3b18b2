package convert

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/flumego/flumego/config/flume"
)

// processors converts a list of Filebeat processors into the input's interceptors, in order.
// A processor with a when condition converts only when it is drop_event (whose condition is
// the point); any other conditional processor is left out and reported, rather than applied to
// every event.
func (c *fbConv) processors(x *fbInput, ps *ynode) {
	if ps == nil {
		return
	}
	for _, p := range ps.list {
		p.used = true
		for _, name := range p.keys {
			pr := p.m[name]
			pr.used = true
			if w := pr.get("when"); w != nil && name != "drop_event" {
				holds, known := c.staticCondition(x, w)
				switch {
				case !known:
					c.drop(x.b, pr, "the processor applies only when its condition holds, which flumego's interceptors cannot say: left out (write it with a script interceptor, or route with a multiplexing selector)")
					pr.all()
					continue
				case !holds:
					c.note(x.b, w, false, "the condition tests only the tags, which are %q for every event of input %s: it never holds there, so the processor is left out of %s (Filebeat never runs it either)", x.tags, x.b.Labels[1], x.b.Labels[1])
					pr.all()
					continue
				}
				w.all()
				c.note(x.b, w, true, "the condition tests only the tags, which are %q for every event of input %s: it always holds there, so the processor applies to all of them", x.tags, x.b.Labels[1])
			}
			switch name {
			case "add_fields":
				target := "fields"
				if t := pr.get("target"); t != nil {
					target = t.str()
				}
				c.addHeaders(x, pr, pr.get("fields"), target)
			case "add_labels":
				c.addHeaders(x, pr, pr.get("labels"), "labels")
			case "add_tags":
				if t := pr.get("target"); t.str() != "" && t.str() != "tags" {
					c.drop(x.b, t, "tags go into the tags header only")
				}
				x.tags = append(x.tags, pr.get("tags").strs()...)
			case "drop_fields":
				c.dropFields(x, pr)
			case "drop_event":
				c.dropEvent(x, pr)
			case "add_host_metadata":
				c.hostMetadata(x, pr)
			case "add_kubernetes_metadata":
				c.kubernetesMetadata(x, pr)
			case "dissect":
				c.dissect(x, pr)
			case "script":
				c.script(x, pr)
			case "decode_json_fields":
				c.decodeJSONFields(x, pr)
			default:
				why, ok := fbProcessorReasons[name]
				if !ok {
					why = "write its logic with a script interceptor (Filebeat's JavaScript API)"
				}
				c.drop(x.b, pr, "Filebeat's %s processor has no flumego equivalent: %s", name, why)
				pr.all()
			}
		}
	}
}

// fbProcessorReasons explain the processors that look things up where flumego does not.
var fbProcessorReasons = map[string]string{
	"add_cloud_metadata":    "flumego does not ask the cloud provider's metadata service: the documents have no cloud.* fields",
	"add_docker_metadata":   "flumego does not ask the Docker daemon: the documents have no container.* names, images or labels (a container input with add_kubernetes_metadata takes pod and container names from the log file paths)",
	"add_process_metadata":  "flumego does not look processes up: the documents have no process.* fields",
	"add_observer_metadata": "flumego adds no observer.* fields",
	"add_locale":            "flumego adds no event.timezone",
	"add_nomad_metadata":    "flumego does not ask Nomad",
}

// staticCondition evaluates a condition the conversion can decide itself: one that tests only
// the tags (contains, equals, with not, and, or), which an input's settings and add_tags
// processors give, the same for all its events. known is false for any other condition.
func (c *fbConv) staticCondition(x *fbInput, w *ynode) (holds, known bool) {
	if len(w.keys) != 1 {
		return false, false
	}
	op := w.keys[0]
	y := w.m[op]
	switch op {
	case "not":
		h, ok := c.staticCondition(x, y)
		return !h, ok
	case "and", "or":
		if len(y.list) == 0 {
			return false, false
		}
		holds = op == "and"
		for _, e := range y.list {
			h, ok := c.staticCondition(x, e)
			if !ok {
				return false, false
			}
			if op == "and" {
				holds = holds && h
			} else {
				holds = holds || h
			}
		}
		return holds, true
	case "contains", "equals":
		if len(y.keys) != 1 || y.keys[0] != "tags" || y.m["tags"].kind != yaml.ScalarNode {
			return false, false
		}
		want := y.m["tags"].str()
		for _, t := range x.tags {
			if op == "equals" && t == want || op == "contains" && strings.Contains(t, want) {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

// addHeaders adds fields as headers: static interceptors that replace what is there, as
// Filebeat's add_fields does.
func (c *fbConv) addHeaders(x *fbInput, pr, fields *ynode, target string) {
	if fields == nil {
		c.drop(x.b, pr, "no fields to add")
		return
	}
	var walk func(prefix string, y *ynode)
	walk = func(prefix string, y *ynode) {
		y.used = true
		if len(y.keys) > 0 {
			for _, k := range y.keys {
				walk(join(prefix, k), y.m[k])
			}
			return
		}
		ib := flume.NewBlock("interceptor", "static")
		ib.Set("key", flume.String(prefix))
		if len(y.list) > 0 {
			ib.Set("value", flume.String(strings.Join(y.strs(), ",")))
			c.note(ib, y, true, "a list becomes a comma-separated header: the document holds it as a string")
		} else {
			ib.Set("value", c.tmpl(y))
		}
		ib.Set("preserve_existing", flume.Bool(false))
		x.icpts = append(x.icpts, ib)
	}
	for _, k := range fields.keys {
		walk(join(target, k), fields.m[k])
	}
}

// presetField reports a document field that the filebeat serializer writes itself, which no
// interceptor can remove or test: input.type among them, which the serializer writes as log
// when no header says otherwise.
func presetField(f string) bool { return !headerField(f) || f == "input.type" || f == "input" }

func (c *fbConv) dropFields(x *fbInput, pr *ynode) {
	fields := pr.get("fields")
	pr.get("ignore_missing")
	if fields == nil {
		c.drop(x.b, pr, "no fields to drop")
		return
	}
	var names, res []string
	for _, e := range fields.list {
		f := e.str()
		e.used = true
		switch {
		case strings.HasPrefix(f, "/") && strings.HasSuffix(f, "/") && len(f) > 1:
			res = append(res, f[1:len(f)-1])
		case presetField(f):
			c.drop(x.b, e, "%s is written by the filebeat serializer itself, not an event header an interceptor could remove", f)
		default:
			names = append(names, fbHeader(f))
		}
	}
	if len(names) > 0 {
		// Filebeat drops a field with everything below it (log drops log.file.path).
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = regexp.QuoteMeta(n)
		}
		ib := flume.NewBlock("interceptor", "remove_header")
		ib.Set("from_list", flume.String(strings.Join(names, ",")))
		ib.Set("matching", flume.String(`(?:`+strings.Join(quoted, "|")+`)\..+`))
		x.icpts = append(x.icpts, ib)
	}
	for _, re := range res {
		ib := flume.NewBlock("interceptor", "remove_header")
		ib.Set("matching", flume.String(re))
		x.icpts = append(x.icpts, ib)
	}
}

// dropEvent converts drop_event's condition into regex_filter interceptors that drop what it
// matches.
func (c *fbConv) dropEvent(x *fbInput, pr *ynode) {
	w := pr.get("when")
	if w == nil {
		c.drop(x.b, pr, "drop_event without a condition drops every event; write regex_filter { exclude_events = true } by hand if that is meant")
		return
	}
	filters, why := c.condition(w, true)
	if why != "" {
		c.drop(x.b, w, "%s: the events are not dropped", why)
		w.all()
		return
	}
	x.icpts = append(x.icpts, filters...)
}

// condition turns a Filebeat condition into regex_filter interceptors: with drop, filters
// that drop the events it matches; without, filters that keep only them. why says what has no
// equivalent.
func (c *fbConv) condition(w *ynode, drop bool) ([]flume.Node, string) {
	if len(w.keys) != 1 {
		return nil, "a condition must be one of equals, contains, regexp, has_fields, or, not"
	}
	op := w.keys[0]
	y := w.m[op]
	y.used = true
	switch op {
	case "or":
		if !drop {
			return nil, "a negated or has no equivalent"
		}
		var all []flume.Node
		for _, e := range y.list {
			e.used = true
			fs, why := c.condition(e, true)
			if why != "" {
				return nil, why
			}
			all = append(all, fs...)
		}
		return all, ""
	case "not":
		return c.condition(y, !drop)
	case "regexp", "contains", "equals", "has_fields":
	default:
		return nil, fmt.Sprintf("the %s condition has no flumego equivalent", op)
	}
	var field, re string
	switch op {
	case "has_fields":
		fields := y.strs()
		if len(fields) != 1 {
			return nil, "has_fields with several fields (all must be present) has no equivalent"
		}
		field, re = fbHeader(fields[0]), ""
	default:
		names, vals := y.leaves()
		if len(names) != 1 {
			return nil, fmt.Sprintf("%s on several fields (all must match) has no equivalent", op)
		}
		field = fbHeader(names[0])
		v := vals[0]
		switch op {
		case "regexp":
			re = v.str()
		case "contains":
			re = regexp.QuoteMeta(v.str())
		case "equals":
			re = "^" + regexp.QuoteMeta(v.str()) + "$"
		}
	}
	if _, err := regexp.Compile(re); err != nil {
		return nil, fmt.Sprintf("%q is not a valid regular expression: %v", re, err)
	}
	ib := flume.NewBlock("interceptor", "regex_filter")
	if field != "message" {
		if presetField(field) {
			return nil, fmt.Sprintf("%s is written by the filebeat serializer, not an event header a condition can test", field)
		}
		if !c.hasInterceptor("regex_filter", "header = \"x\"") {
			return nil, "this agent's regex_filter tests bodies only (no header setting)"
		}
		ib.Set("header", flume.String(field))
	} else if op == "has_fields" {
		return nil, "every event has a message"
	}
	ib.Set("regex", flume.String(re))
	ib.Set("exclude_events", flume.Bool(drop))
	return []flume.Node{ib}, ""
}

func (c *fbConv) hostMetadata(x *fbInput, pr *ynode) {
	ib := flume.NewBlock("interceptor", "host")
	ib.Set("host_header", flume.String("host.hostname"))
	ib.Set("preserve_existing", flume.Bool(false))
	c.note(ib, pr, true, "only host.hostname is added (host.name is the serializer's name); host.architecture, host.os.*, host.id, host.ip and host.mac are not")
	for _, k := range []string{"netinfo", "cache", "geo", "replace_fields"} {
		if y := pr.get(k); y != nil {
			c.drop(ib, y, "no flumego equivalent")
			y.all()
		}
	}
	x.icpts = append(x.icpts, ib)
}

func (c *fbConv) kubernetesMetadata(x *fbInput, pr *ynode) {
	if x.typ != "container" {
		c.drop(x.b, pr, "flumego reads Kubernetes names from container log file paths only (container inputs)")
		pr.all()
		return
	}
	if c.groupSetting(x, pr, "kubernetes_metadata", flume.Bool(true)) {
		c.note(x.b, pr, true, "the pod, namespace and container names and ids come from the log file's path (/var/log/containers/POD_NAMESPACE_CONTAINER-ID.log), not from the API server: no labels, annotations or node; they are the headers k8s.pod.name, k8s.namespace.name, k8s.container.name, container.id and k8s.pod.uid")
	}
	for _, k := range pr.keys {
		if y := pr.m[k]; !y.used {
			c.drop(x.b, y, "flumego does not ask the Kubernetes API")
			y.all()
		}
	}
}

// dissectKey matches one %{...} of a dissect tokenizer.
var dissectKey = regexp.MustCompile(`%\{([^}]*)\}`)

// dissect converts a dissect tokenizer into a regex_extractor whose groups name the headers,
// when a regular expression can say it: plain keys, skipped keys (%{?x}, %{}) and padding
// (%{x->}); append and reference keys cannot.
func (c *fbConv) dissect(x *fbInput, pr *ynode) {
	tok := pr.get("tokenizer")
	if tok == nil {
		c.drop(x.b, pr, "no tokenizer")
		pr.all()
		return
	}
	if f := pr.get("field"); f != nil && f.str() != "message" {
		c.drop(x.b, pr, "flumego's regex_extractor reads the body (message) only, not %s", f.str())
		pr.all()
		return
	}
	prefix := "dissect"
	if p := pr.get("target_prefix"); p != nil {
		prefix = p.str()
	}
	s := tok.str()
	var re strings.Builder
	re.WriteString("^")
	var names []string
	last := 0
	locs := dissectKey.FindAllStringSubmatchIndex(s, -1)
	for i, m := range locs {
		lit := s[last:m[0]]
		re.WriteString(regexp.QuoteMeta(lit))
		key := s[m[2]:m[3]]
		pad := strings.HasSuffix(key, "->")
		key = strings.TrimSuffix(key, "->")
		group := "(.*?)"
		if i == len(locs)-1 && m[1] == len(s) {
			group = "(.*)"
		}
		switch {
		case key == "" || strings.HasPrefix(key, "?"):
			group = "(?:" + strings.TrimSuffix(strings.TrimPrefix(group, "("), ")") + ")"
		case strings.ContainsAny(key[:1], "+*&") || strings.Contains(key, "/"):
			c.drop(x.b, tok, "the key %%{%s} (append, reference or ordinal) has no regular-expression equivalent: write it with a script interceptor", key)
			return
		default:
			names = append(names, key)
		}
		re.WriteString(group)
		last = m[1]
		if pad {
			// The delimiter after a padded key may repeat.
			next := len(s)
			if i+1 < len(locs) {
				next = locs[i+1][0]
			}
			if d := s[last:next]; d != "" {
				re.WriteString("(?:" + regexp.QuoteMeta(d) + ")+")
				last = next
			}
		}
	}
	re.WriteString(regexp.QuoteMeta(s[last:]) + "$")
	ib := flume.NewBlock("interceptor", "regex_extractor")
	ib.Set("regex", flume.String(re.String()))
	for i, n := range names {
		sb := flume.NewBlock("serializer", fmt.Sprintf("s%d", i+1))
		sb.Set("name", flume.String(join(prefix, n)))
		ib.Add(sb)
	}
	c.note(ib, tok, true, "the tokenizer becomes a regular expression; a line it does not match gets no %s.* headers (Filebeat adds a dissect_parsing_error flag)", prefix)
	for _, k := range []string{"ignore_failure", "overwrite_keys", "trim_values", "trim_chars", "tag", "description"} {
		if y := pr.get(k); y != nil {
			c.drop(ib, y, "no flumego equivalent")
		}
	}
	x.icpts = append(x.icpts, ib)
}

// script converts Filebeat's JavaScript processor into the script interceptor, which runs
// Filebeat's API (function process(event), register(params)).
func (c *fbConv) script(x *fbInput, pr *ynode) {
	if lang := pr.get("lang").str(); lang != "" && lang != "javascript" && lang != "js" {
		c.drop(x.b, pr, "only JavaScript scripts convert")
		pr.all()
		return
	}
	if !c.hasInterceptor("script", "source = \"function process(event) {}\"") {
		c.drop(x.b, pr, "this agent has no script interceptor: the script does not run")
		pr.all()
		return
	}
	ib := flume.NewBlock("interceptor", "script")
	switch {
	case pr.get("source") != nil:
		ib.Set("source", c.tmpl(pr.get("source")))
	case pr.get("file") != nil:
		ib.Set("file", c.tmpl(pr.get("file")))
	case pr.get("files") != nil:
		files := pr.get("files").strs()
		if len(files) > 0 {
			ib.Set("file", flume.String(files[0]))
		}
		if len(files) > 1 {
			c.drop(ib, pr.get("files"), "the script interceptor runs one file: join the others into it")
		}
	default:
		c.drop(x.b, pr, "the script has neither source nor file")
		return
	}
	if p := pr.get("params"); p != nil {
		obj := &flume.Object{}
		for _, k := range p.keys {
			obj.Set(k, c.scalar(p.m[k].all()))
		}
		ib.Set("params", obj)
	}
	// Settings of Filebeat's processor that the script interceptor may have under its own name.
	for _, st := range []struct{ key, attr string }{{"timeout", "timeout"}, {"tag", "tag_on_exception"}, {"max_cached_sessions", "max_cached_sessions"}} {
		y := pr.get(st.key)
		if y == nil {
			continue
		}
		var v flume.Value = c.tmpl(y)
		if st.key == "timeout" {
			var ok bool
			if v, ok = c.durationValue(ib, y); !ok {
				continue
			}
		} else if n, err := strconv.Atoi(y.str()); err == nil {
			v = flume.Int(n)
		}
		if c.hasInterceptor("script", "source = \"function process(event) {}\"\n"+st.attr+" = "+v.HCL()) {
			ib.Set(st.attr, v)
		} else {
			c.drop(ib, y, "this agent's script interceptor has no %s setting", st.attr)
		}
	}
	if y := pr.get("tests"); y != nil {
		c.drop(ib, y, "write the tests as the script interceptor's test blocks")
		y.all()
	}
	c.note(ib, pr, true, "the script sees the event's headers as its fields and the body as message: fields the filebeat serializer adds (agent.*, host.name, @timestamp) are not there yet")
	x.icpts = append(x.icpts, ib)
}

// scalar is a YAML scalar with its type: a number or a boolean as one, anything else a string.
func (c *fbConv) scalar(y *ynode) flume.Value {
	switch y.tag {
	case "!!int":
		if n, err := strconv.ParseInt(y.val, 10, 64); err == nil {
			return flume.Int(n)
		}
	case "!!float":
		if f, err := strconv.ParseFloat(y.val, 64); err == nil {
			return flume.Float(f)
		}
	case "!!bool":
		if b, err := strconv.ParseBool(y.val); err == nil {
			return flume.Bool(b)
		}
	}
	return c.tmpl(y)
}

func (c *fbConv) decodeJSONFields(x *fbInput, pr *ynode) {
	fields := pr.get("fields").strs()
	if len(fields) != 1 || fields[0] != "message" {
		c.drop(x.b, pr, "flumego decodes the body (message) only")
		pr.all()
		return
	}
	if !c.hasInterceptor("json", "target = \"x\"") {
		c.drop(x.b, pr, "this agent has no json interceptor")
		pr.all()
		return
	}
	ib := flume.NewBlock("interceptor", "json")
	target := "message" // Filebeat replaces the field; flumego keeps the body
	if t := pr.get("target"); t != nil {
		target = t.str()
	}
	if target != "" {
		ib.Set("target", flume.String(target))
	}
	for _, k := range []string{"overwrite_keys", "add_error_key"} {
		if y := pr.get(k); y != nil {
			on, _ := y.boolean(false)
			ib.Set(k, flume.Bool(on))
		}
	}
	if y := pr.get("max_depth"); y != nil {
		if n, err := strconv.Atoi(y.str()); err == nil && n > 0 {
			ib.Set("max_depth", flume.Int(n))
		}
	}
	c.note(ib, pr, true, "the decoded fields become headers, written as strings (a number or a nested object is its JSON text); the body stays the message")
	for _, k := range []string{"process_array", "document_id", "expand_keys"} {
		if y := pr.get(k); y != nil {
			c.drop(ib, y, "no flumego equivalent")
		}
	}
	x.icpts = append(x.icpts, ib)
}
