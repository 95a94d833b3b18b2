package convert

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/flumego/flumego/config/flume"
	"github.com/flumego/flumego/internal/regexglob"
)

// fbInput is the conversion of one input: its source block, its file groups' headers and
// settings, and its interceptors in order.
type fbInput struct {
	y       *ynode
	typ     string
	b       *flume.Block
	headers *flume.Object
	group   map[string]flume.Value // settings every file group gets
	icpts   []flume.Node
	tags    []string
}

// logBased reports an input that Filebeat runs as a log input, with the log input's settings:
// log and container (which is a log input reading a container format); filestream has its own.
func (x *fbInput) logBased() bool { return x.typ != "filestream" }

func (c *fbConv) sourceName(in *ynode, typ string, i int) string {
	name := fmt.Sprintf("%s_%d", typ, i+1)
	if id := in.get("id").str(); id != "" {
		name = strings.Map(func(r rune) rune {
			if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				return r
			}
			return '_'
		}, id)
	}
	c.names[name]++
	if n := c.names[name]; n > 1 {
		name = fmt.Sprintf("%s_%d", name, n)
	}
	return name
}

// input converts one of filebeat.inputs.
func (c *fbConv) input(i int, in *ynode) {
	typ := "log"
	if t := in.get("type"); t.str() != "" {
		typ = t.str()
	} else if t := in.get("input_type"); t.str() != "" { // Filebeat 5's name
		typ = t.str()
	}
	if on, _ := in.get("enabled").boolean(true); !on {
		c.note(nil, in, false, "the %s input is not enabled (enabled: false): left out, as Filebeat leaves it", typ)
		in.all()
		return
	}
	if y := in.get("document_type"); y != nil {
		c.drop(nil, y, "Filebeat 5's document_type (the type field) is gone since Filebeat 6, which ignores it: add type under fields if a pipeline keys on it")
	}
	switch typ {
	case "log", "filestream", "container", "docker":
		if !c.hasSource("taildir") {
			c.drop(nil, in, "this agent has no taildir source to read files with")
			in.all()
			return
		}
		c.fileInput(i, in, typ)
	case "journald":
		c.journaldInput(i, in)
	default:
		c.drop(nil, in, "Filebeat's %s input has no flumego equivalent (log, filestream, container, docker and journald inputs convert)", typ)
		in.all()
	}
}

func (c *fbConv) newInput(i int, in *ynode, typ, source string) *fbInput {
	x := &fbInput{y: in, typ: typ, b: flume.NewBlock("source", source, c.sourceName(in, typ, i)), headers: &flume.Object{}, group: map[string]flume.Value{}}
	// fields and tags: the agent's first, the input's after (they win).
	for _, scope := range []*ynode{c.root, in} {
		under, _ := scope.get("fields_under_root").boolean(false)
		if f := scope.get("fields"); f != nil {
			c.fields(x, f, under)
		}
		x.tags = append(x.tags, scope.get("tags").strs()...)
	}
	if typ != "log" {
		x.headers.Set("input.type", flume.String(typ))
	}
	return x
}

// fields adds Filebeat's fields as headers: fields.NAME, or NAME under root; nested names are
// dotted (fields.http.status).
func (c *fbConv) fields(x *fbInput, f *ynode, underRoot bool) {
	var walk func(prefix string, y *ynode)
	walk = func(prefix string, y *ynode) {
		y.used = true
		switch {
		case len(y.keys) > 0:
			for _, k := range y.keys {
				walk(join(prefix, k), y.m[k])
			}
		case len(y.list) > 0:
			vals := y.strs()
			x.headers.Set(prefix, flume.String(strings.Join(vals, ",")))
			c.note(x.b, y, true, "a list becomes the header %s = %q (comma-separated): the document holds it as a string", prefix, strings.Join(vals, ","))
		default:
			x.headers.Set(prefix, c.tmpl(y))
			if y.tag != "!!str" && y.tag != "" {
				c.note(x.b, y, true, "headers are strings: the document holds %s as the string %q, where Filebeat wrote a %s", prefix, y.str(), strings.TrimPrefix(y.tag, "!!"))
			}
		}
	}
	prefix := "fields"
	if underRoot {
		prefix = ""
	}
	for _, k := range f.keys {
		walk(join(prefix, k), f.m[k])
	}
	f.used = true
}

// fileInput converts a log, filestream or container input into a taildir source.
func (c *fbConv) fileInput(i int, in *ynode, typ string) {
	x := c.newInput(i, in, typ, "taildir")
	b := x.b
	if c.taildirHas("ecs_headers = true") {
		b.Set("ecs_headers", flume.Bool(true))
	} else {
		c.drop(b, in, "this agent's taildir source has no ecs_headers: the documents lack log.file.path, log.offset and log.flags")
	}
	paths := c.tmpls(in.get("paths"))
	if typ == "docker" {
		paths = c.dockerPaths(x)
	}
	if len(paths) == 0 && typ == "container" {
		paths = []flume.Template{{{Lit: "/var/log/containers/*.log"}}}
	}
	if len(paths) == 0 {
		c.drop(b, in, "no paths: Filebeat refuses the input too")
		in.all()
		return
	}
	// Filebeat's max_bytes: longer messages are cut, the rest discarded.
	maxBytes := int64(10 << 20)
	key := "max_bytes"
	if typ == "filestream" {
		key = "message_max_bytes"
	}
	if mb := in.get(key); mb != nil {
		if n, err := strconv.ParseInt(mb.str(), 10, 64); err == nil && n > 0 {
			maxBytes = n
		} else {
			c.drop(b, mb, "%q is not a number of bytes: Filebeat's default, 10 MiB, is used", mb.str())
		}
	}
	b.Set("max_line_length", flume.Size(maxBytes))
	b.Set("line_overflow", flume.String("truncate"))
	b.Attr("line_overflow").Comment = "Filebeat discards what is past max_bytes"
	c.fileSettings(x)
	c.parsers(x)
	c.lineFilters(x)
	switch typ {
	case "container":
		c.containerParser(x, in, "auto")
	case "docker":
		c.containerParser(x, in.get("containers"), "docker")
	}
	c.processors(x, in.get("processors"))
	c.processors(x, c.root.get("processors"))
	if len(x.tags) > 0 {
		x.headers.Set("tags", flume.String(strings.Join(x.tags, ",")))
	}
	for n, p := range paths {
		g := flume.NewBlock("filegroup", fmt.Sprintf("%s_%d", b.Labels[1], n+1))
		if len(paths) == 1 {
			g.Labels[0] = b.Labels[1]
		}
		g.Set("path", p)
		if x.headers.Len() > 0 {
			g.Set("headers", x.headers)
		}
		for _, k := range []string{"exclude", "ignore_older", "encoding", "format", "kubernetes_metadata"} {
			if v, ok := x.group[k]; ok {
				g.Set(k, v)
			}
		}
		b.Add(g)
	}
	for _, ic := range x.icpts {
		b.Add(ic)
	}
	b.InsertAttr("channels", flume.Strings([]string{"queue"}))
	c.sources = append(c.sources, b)
}

// groupSetting writes a file group setting when this agent's taildir source has it.
func (c *fbConv) groupSetting(x *fbInput, y *ynode, attr string, v flume.Value) bool {
	if !c.taildirHas(fmt.Sprintf("filegroup \"g\" {\n path = \"/x\"\n %s = %s\n}", attr, v.HCL())) {
		c.drop(x.b, y, "this agent's taildir source has no %s setting", attr)
		return false
	}
	x.group[attr] = v
	return true
}

// fileSettings converts the settings of a file input that have a taildir equivalent, and
// reports those that do not.
func (c *fbConv) fileSettings(x *fbInput) {
	in, b := x.y, x.b
	log := x.logBased()
	pick := func(logKey, streamKey string) *ynode {
		if log {
			return in.get(logKey)
		}
		return in.get(streamKey)
	}
	if y := pick("exclude_files", "prospector.scanner.exclude_files"); y != nil {
		var globs []string
		for _, re := range y.strs() {
			g, ok := excludeGlob(re)
			if !ok {
				c.drop(b, y, "the exclude_files expression %q has no exact glob: write it as an exclude glob by hand (a name without / is matched against the base name, one with / against the path)", re)
				continue
			}
			globs = append(globs, g)
		}
		if len(globs) > 0 {
			c.groupSetting(x, y, "exclude", flume.Strings(globs))
		}
	}
	if y := in.get("ignore_older"); y != nil {
		if v, ok := c.durationValue(b, y); ok {
			c.groupSetting(x, y, "ignore_older", v)
		}
	}
	if y := in.get("encoding"); y != nil {
		if enc, ok := fbEncoding(strings.ToLower(y.str())); ok {
			if enc != "" {
				c.groupSetting(x, y, "encoding", flume.String(enc))
			}
		} else {
			c.drop(b, y, "encoding %q has no flumego equivalent: lines are read as UTF-8", y.str())
		}
	}
	if y := pick("close_inactive", "close.on_state_change.inactive"); y != nil {
		if v, ok := c.durationValue(b, y); ok {
			b.Set("idle_timeout", v)
		}
	} else {
		b.Set("idle_timeout", flume.Duration(5*60e9))
		b.Attr("idle_timeout").Comment = "Filebeat's close_inactive"
	}
	if y := pick("scan_frequency", "prospector.scanner.check_interval"); y != nil {
		if v, ok := c.durationValue(b, y); ok {
			b.Set("poll_interval", v)
		}
	}
	if y := pick("tail_files", "ignore_inactive"); y != nil && log {
		if on, ok := y.boolean(false); ok {
			b.Set("skip_to_end", flume.Bool(on))
		}
	}
	if y := in.get("harvester_limit"); y != nil {
		if n, err := strconv.Atoi(y.str()); err == nil && n > 0 {
			b.Set("max_open_files", flume.Int(n))
		}
	}
	for _, k := range []string{"close_renamed", "close_removed", "close_eof", "close_timeout", "close.on_state_change.renamed",
		"close.on_state_change.removed", "close.reader.on_eof", "close.reader.after_interval"} {
		if y := in.get(k); y != nil {
			c.drop(b, y, "flumego's taildir source follows a renamed or removed file for rotate_wait (5s) after it stops growing, and closes idle files after idle_timeout")
		}
	}
	for _, k := range []string{"clean_inactive", "clean_removed", "clean_timeout", "prospector.scanner.symlinks", "symlinks",
		"backoff", "max_backoff", "backoff_factor", "backoff.init", "backoff.max", "harvester_buffer_size", "buffer_size",
		"recursive_glob.enabled", "prospector.scanner.recursive_glob", "file_identity", "prospector.scanner.fingerprint", "rotation", "pipeline", "index", "keep_null", "publisher_pipeline", "take_over", "id"} {
		if y := in.peek(k); y != nil && !y.used {
			c.drop(b, y, "%s", fbInputReason(k))
			y.all()
		}
	}
}

func fbInputReason(k string) string {
	switch {
	case strings.HasPrefix(k, "clean"):
		return "flumego forgets a file's position once the file is gone and keeps it while it exists"
	case strings.Contains(k, "symlinks"):
		return "flumego's taildir source follows symbolic links the globs match"
	case strings.Contains(k, "backoff"):
		return "flumego's taildir source learns of new lines from file change notifications, with poll_interval as the fallback"
	case strings.Contains(k, "buffer_size"):
		return "flumego sizes its read buffers itself (1 MiB, or twice max_line_length)"
	case strings.Contains(k, "recursive_glob"):
		return "a ** segment in a path matches any number of directories in flumego, always"
	case k == "file_identity" || strings.Contains(k, "fingerprint"):
		return "flumego tells files apart by device and inode, and keeps a file's position across a rename"
	case k == "pipeline" || k == "index":
		return "Elasticsearch ingest pipelines and indices: flumego has no Elasticsearch output"
	case k == "id":
		return "the source is named after it"
	}
	return "no flumego equivalent"
}

// fbEncoding maps Filebeat's encoding names onto the taildir source's: "" for UTF-8.
func fbEncoding(name string) (string, bool) {
	switch name {
	case "", "plain", "utf-8", "utf8":
		return "", true
	case "latin1":
		return "iso-8859-1", true
	case "utf-16be-bom":
		return "utf-16be", true
	case "utf-16le-bom":
		return "utf-16le", true
	case "utf-16le", "utf-16be":
		return name, true
	case "shift-jis":
		return "shift_jis", true
	case "koi8r":
		return "koi8-r", true
	case "koi8u":
		return "koi8-u", true
	case "hz-gb-2312":
		return "", false
	}
	if rest, ok := strings.CutPrefix(name, "iso8859-"); ok {
		return "iso-8859-" + rest, true
	}
	return name, true // WHATWG names: big5, gbk, gb18030, euc-kr, euc-jp, iso-2022-jp, windows-1252 ...
}

// excludeGlob turns a Filebeat exclude_files expression (matched anywhere in the path) into
// an exact taildir exclude glob: one that ends the name (\.gz$) becomes a base-name glob
// (*.gz), one that spells a whole path (^/var/log/x\.log$) a path glob.
func excludeGlob(re string) (string, bool) {
	start, end := strings.HasPrefix(re, "^"), strings.HasSuffix(re, "$") && !strings.HasSuffix(re, `\$`)
	body := strings.TrimSuffix(strings.TrimPrefix(re, "^"), "$")
	g, exact, _ := regexglob.FromRegex(body)
	if !exact || !end {
		return "", false
	}
	switch {
	case !strings.Contains(g, "/") && !start:
		return "*" + strings.TrimPrefix(g, "*"), true
	case start && strings.HasPrefix(g, "/") && !strings.ContainsAny(g, "*?["):
		return g, true
	}
	return "", false
}

// parsers converts the multiline and JSON settings: a log or container input's multiline.* and
// json.*, a filestream input's parsers list.
func (c *fbConv) parsers(x *fbInput) {
	in := x.y
	if x.logBased() {
		if m := in.get("multiline"); m != nil {
			c.multiline(x, m)
		}
		if j := in.get("json"); j != nil {
			under, _ := j.get("keys_under_root").boolean(false)
			target := "json"
			if under {
				target = ""
			}
			c.jsonBody(x, j, target)
		}
		return
	}
	if j := in.get("json"); j != nil {
		c.drop(x.b, j, "filestream has no json settings, so Filebeat does not decode these lines either: decode them with parsers: [ndjson: {...}]")
		j.all()
	}
	ps := in.get("parsers")
	if ps == nil {
		return
	}
	for _, p := range ps.list {
		p.used = true
		switch {
		case p.get("multiline") != nil:
			c.multiline(x, p.get("multiline"))
		case p.get("ndjson") != nil:
			j := p.get("ndjson")
			c.jsonBody(x, j, j.get("target").str())
		case p.get("container") != nil:
			ct := p.get("container")
			c.containerParser(x, ct, "auto")
		default:
			c.drop(x.b, p, "this parser has no flumego equivalent (multiline, ndjson and container convert)")
			p.all()
		}
	}
}

// multiline converts Filebeat's multiline settings into the taildir source's block.
func (c *fbConv) multiline(x *fbInput, m *ynode) {
	if t := m.get("type"); t.str() == "count" {
		if n := m.get("count_lines"); n != nil && (n.str() == "1" || n.str() == "0") {
			c.note(x.b, m, true, "multiline type count with count_lines %s joins nothing: every line is an event, as without multiline", n.str())
			m.all()
			return
		}
	}
	if t := m.get("type"); t != nil && t.str() != "pattern" {
		c.drop(x.b, m, "multiline type %q has no flumego equivalent (pattern does): lines are not joined", t.str())
		m.all()
		return
	}
	p := m.get("pattern")
	if p == nil {
		c.drop(x.b, m, "multiline without pattern: Filebeat refuses it; lines are not joined")
		m.all()
		return
	}
	if _, err := regexp.Compile(p.str()); err != nil {
		c.drop(x.b, p, "the pattern %q is not a valid regular expression: %v", p.str(), err)
		m.all()
		return
	}
	mb := flume.NewBlock("multiline")
	mb.Set("pattern", c.tmpl(p))
	if n := m.get("negate"); n != nil {
		on, _ := n.boolean(false)
		mb.Set("negate", flume.Bool(on))
	}
	match := m.get("match")
	switch match.str() {
	case "after", "before":
		mb.Set("match", flume.String(match.str()))
	default:
		if match != nil {
			c.drop(x.b, match, "match must be after or before: after is used")
		}
		mb.Set("match", flume.String("after"))
	}
	if ml := m.get("max_lines"); ml != nil {
		if n, err := strconv.Atoi(ml.str()); err == nil && n > 0 {
			mb.Set("max_lines", flume.Int(n))
		}
	}
	if t := m.get("timeout"); t != nil {
		if v, ok := c.durationValue(x.b, t); ok {
			mb.Set("timeout", v)
		}
	}
	for _, k := range []string{"flush_pattern", "count_lines", "skip_newline"} {
		if y := m.get(k); y != nil {
			c.drop(x.b, y, "no flumego equivalent: lines are joined by pattern, match, max_lines and timeout")
		}
	}
	x.b.Add(mb)
}

// jsonBody converts a JSON log's decoding. Decoded at the root, the body stays the JSON
// document and the serializer merges it into Filebeat's (types kept); under a target, the json
// interceptor lifts its fields into headers named target.NAME.
func (c *fbConv) jsonBody(x *fbInput, j *ynode, target string) {
	j.used = true
	if target == "" {
		x.headers.Set(bodyTypeHeader, flume.String("json"))
		c.jsonRoot = true
		if y := j.get("overwrite_keys"); y != nil {
			c.jsonOverwrite = y
		}
		if y := j.get("add_error_key"); y != nil {
			c.jsonAddError = y
		}
		if y := j.get("message_key"); y != nil {
			c.note(x.b, y, true, "the document is merged as it is; include_lines, exclude_lines and multiline work on the whole line, not on %s", y.str())
		}
	} else {
		if !c.hasInterceptor("json", "target = \"x\"") {
			c.drop(x.b, j, "this agent has no json interceptor: the JSON lines are sent as they are")
			j.all()
			return
		}
		ib := flume.NewBlock("interceptor", "json")
		ib.Set("target", flume.String(target))
		for _, k := range []string{"overwrite_keys", "add_error_key"} {
			if y := j.get(k); y != nil {
				on, _ := y.boolean(false)
				ib.Set(k, flume.Bool(on))
			}
		}
		if y := j.get("message_key"); y != nil {
			ib.Set("message_key", c.tmpl(y))
		}
		c.note(ib, j, true, "the decoded fields become headers %s.NAME, written as strings (a number or a nested object is its JSON text); the line stays the message", target)
		x.icpts = append(x.icpts, ib)
	}
	for _, k := range []string{"expand_keys", "document_id", "ignore_decoding_error"} {
		if y := j.get(k); y != nil {
			c.drop(x.b, y, "no flumego equivalent")
		}
	}
}

// quoteRegexps joins regular expressions into one that matches where any of them does.
func quoteRegexps(res []string) string {
	parts := make([]string, len(res))
	for i, r := range res {
		parts[i] = "(?:" + r + ")"
	}
	return strings.Join(parts, "|")
}

// lineFilters converts include_lines and exclude_lines into regex_filter interceptors:
// include first, as Filebeat applies them.
func (c *fbConv) lineFilters(x *fbInput) {
	for _, f := range []struct {
		key     string
		exclude bool
	}{{"include_lines", false}, {"exclude_lines", true}} {
		y := x.y.get(f.key)
		res := y.strs()
		if len(res) == 0 {
			continue
		}
		re := quoteRegexps(res)
		if _, err := regexp.Compile(re); err != nil {
			c.drop(x.b, y, "not valid regular expressions: %v", err)
			continue
		}
		ib := flume.NewBlock("interceptor", "regex_filter")
		ib.Set("regex", flume.String(re))
		ib.Set("exclude_events", flume.Bool(f.exclude))
		x.icpts = append(x.icpts, ib)
	}
}

// dockerPaths are the files of Filebeat's docker input (a container input of Filebeat 6 and 7):
// containers.path/ID/*.log for each of containers.ids.
func (c *fbConv) dockerPaths(x *fbInput) []flume.Template {
	dir := "/var/lib/docker/containers"
	if p := x.y.get("containers.path"); p.str() != "" {
		dir = strings.TrimSuffix(p.str(), "/")
	}
	ids := x.y.get("containers.ids").strs()
	if len(ids) == 0 {
		ids = []string{"*"}
	}
	var paths []flume.Template
	var names []string
	for _, id := range ids {
		names = append(names, dir+"/"+id+"/*.log")
		paths = append(paths, flume.Template{{Lit: names[len(names)-1]}})
	}
	c.note(x.b, x.y, true, "Filebeat's docker input reads %s: a container input with format = \"docker\"", strings.Join(names, ", "))
	return paths
}

// containerParser converts a container input's (or filestream container parser's, or docker
// input's containers.*) stream and format.
func (c *fbConv) containerParser(x *fbInput, y *ynode, format string) {
	if f := y.get("format"); f != nil {
		switch f.str() {
		case "auto", "docker", "cri":
			format = f.str()
		default:
			c.drop(x.b, f, "format %q is not auto, docker or cri: auto is used", f.str())
		}
	}
	c.groupSetting(x, y, "format", flume.String(format))
	if s := y.get("stream"); s != nil && s.str() != "all" && s.str() != "" {
		if !c.hasInterceptor("regex_filter", "header = \"stream\"") {
			c.drop(x.b, s, "this agent's regex_filter has no header setting: both streams are read")
			return
		}
		ib := flume.NewBlock("interceptor", "regex_filter")
		ib.Set("header", flume.String("stream"))
		ib.Set("regex", flume.String("^"+regexp.QuoteMeta(s.str())+"$"))
		x.icpts = append(x.icpts, ib)
	}
}

// journaldInput converts a journald input into a journald source, when the agent has one.
func (c *fbConv) journaldInput(i int, in *ynode) {
	if !c.hasSource("journald") {
		c.drop(nil, in, "this agent has no journald source: the journal is not read")
		in.all()
		return
	}
	x := c.newInput(i, in, "journald", "journald")
	c.journaldSettings(x)
	c.processors(x, in.get("processors"))
	c.processors(x, c.root.get("processors"))
	if len(x.tags) > 0 {
		x.headers.Set("tags", flume.String(strings.Join(x.tags, ",")))
	}
	for _, k := range x.headers.Keys() {
		ib := flume.NewBlock("interceptor", "static")
		ib.Set("key", flume.String(k))
		ib.Set("value", x.headers.Get(k))
		ib.Set("preserve_existing", flume.Bool(false))
		x.b.Add(ib)
	}
	for _, ic := range x.icpts {
		x.b.Add(ic)
	}
	x.b.InsertAttr("channels", flume.Strings([]string{"queue"}))
	c.sources = append(c.sources, x.b)
}

// journaldSettings converts the journald input's settings onto the journald source's.
func (c *fbConv) journaldSettings(x *fbInput) {
	in, b := x.y, x.b
	set := func(y *ynode, attr string, v flume.Value) {
		if !probe(c.comps.Sources, "journald", attr+" = "+v.HCL()) {
			c.drop(b, y, "this agent's journald source has no %s setting", attr)
			return
		}
		b.Set(attr, v)
	}
	set(&ynode{path: in.path, line: in.line}, "current_boot_only", flume.Bool(false))
	if a := b.Attr("current_boot_only"); a != nil {
		a.Comment = "Filebeat reads every boot's entries"
	}
	if p := in.get("paths"); p != nil {
		paths := p.strs()
		var files []string
		for _, path := range paths {
			if strings.HasSuffix(path, ".journal") || strings.ContainsAny(path, "*?[") {
				files = append(files, path)
			} else if b.Attr("directory") == nil {
				set(p, "directory", flume.String(path))
			} else {
				c.drop(b, p, "the journald source reads one directory: %s is left out", path)
			}
		}
		if len(files) > 0 {
			set(p, "files", flume.Strings(files))
		}
	}
	seek := in.get("seek").str()
	fallback := in.get("cursor_seek_fallback").str()
	switch {
	case seek == "tail":
		set(in.get("seek"), "since_now", flume.Bool(true))
		c.note(b, in.get("seek"), true, "the journald source starts at the end the first time only, then resumes from its cursor (Filebeat's tail starts at the end on every start)")
	case seek == "head":
		c.note(b, in.get("seek"), true, "the journald source reads from the beginning the first time only, then resumes from its cursor (Filebeat's head starts over on every start)")
	case fallback == "tail":
		set(in.get("cursor_seek_fallback"), "since_now", flume.Bool(true))
	}
	var matches []string
	for _, k := range []string{"include_matches", "include_matches.match"} {
		if y := in.get(k); y != nil && (len(y.list) > 0 || y.kind == 0 || y.str() != "") {
			matches = append(matches, y.strs()...)
		}
	}
	if len(matches) > 0 {
		set(in.get("include_matches"), "matches", flume.Strings(matches))
	}
	if y := in.get("units"); y != nil {
		set(y, "units", flume.Strings(y.strs()))
	}
	if y := in.get("syslog_identifiers"); y != nil {
		set(y, "identifiers", flume.Strings(y.strs()))
	}
	c.note(b, in, true, "the journal's fields are headers under their journal names (_SYSTEMD_UNIT, _PID, SYSLOG_IDENTIFIER ...) and MESSAGE is the body, where Filebeat writes ECS names (systemd.unit, process.pid, message)")
	for _, k := range in.keys {
		if y := in.m[k]; !y.used && k != "processors" {
			c.drop(b, y, "no equivalent in flumego's journald source")
			y.all()
		}
	}
}
