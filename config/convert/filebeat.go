package convert

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"go.yaml.in/yaml/v3"

	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/config/flume"
)

// Filebeat configurations (filebeat.yml) convert into one agent: every input becomes a source
// (log, filestream and container inputs a taildir source, journald inputs a journald source),
// all of them put into one channel (Filebeat's queue: memory, or a file channel for
// queue.disk), drained by one sink (Filebeat's output: output.kafka a kafka sink,
// output.file a file_roll sink), whose json serializer with preset = "filebeat" writes
// Filebeat's documents. What an input adds to its events — fields, tags, input.type, "this
// body is JSON" — becomes headers; processors become interceptors. Settings are read the way
// Filebeat reads them (dotted keys are paths, ${VAR} and ${VAR:default} are environment
// references), and every setting the conversion did not carry over is reported with its line.
// A flumego setting the component list does not have (a custom agent without the taildir
// source's newer settings) is reported too, never written into a file that then fails.

// ConvertFilebeat converts a Filebeat configuration for opts.Components.
func ConvertFilebeat(src []byte, opts Options) (*Result, error) {
	if len(opts.Components.Sources)+len(opts.Components.Sinks) == 0 {
		return nil, errors.New("convert: Options.Components lists no component types (pass the agent's own list, such as components.Builtin())")
	}
	root, err := parseYAML(src)
	if err != nil {
		return nil, fmt.Errorf("not a Filebeat configuration: %w", err)
	}
	c := &fbConv{comps: opts.Components, root: root, names: map[string]int{}}
	c.convert()
	res := &Result{kind: "Filebeat configuration"}
	var out strings.Builder
	header := "Converted from a Filebeat configuration by `agent convert`."
	if opts.Source != "" {
		header = fmt.Sprintf("Converted from %s (Filebeat) by `agent convert`.", opts.Source)
	}
	flume.Comment{header, "Comments starting with \"filebeat:\" mark what was not carried over or was changed."}.Render(&out, "")
	out.WriteString("\n")
	ab := c.agentBlock()
	if len(c.sources) == 0 {
		c.note(nil, root, false, "no input converts, so there is nothing to run: written out as comments only")
		flume.CommentedOut(ab).Render(&out, "")
	} else {
		ab.Render(&out, "")
		res.Agents = []string{c.agentName}
	}
	res.Notes = c.notes
	slices.SortStableFunc(res.Notes, func(x, y Note) int { return x.Line - y.Line })
	res.HCL = flume.Format(out.String())
	if len(res.Agents) == 0 {
		return res, ErrNothingToRun
	}
	return res, nil
}

// LooksLikeFilebeat reports whether a configuration file is Filebeat's YAML rather than Flume's
// properties: by its name (.yml, .yaml) or its first setting.
func LooksLikeFilebeat(filename string, src []byte) bool {
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".yml", ".yaml":
		return true
	}
	return filebeatKey.Match(src)
}

var filebeatKey = regexp.MustCompile(`(?m)^(filebeat\.inputs|filebeat\.config|filebeat|output\.[a-z]+|output)\s*:`)

// fbConv converts one Filebeat configuration.
type fbConv struct {
	comps     config.Components
	root      *ynode
	notes     []Note
	top       flume.Comment // agent-level notes
	agentName string
	dataDir   string

	sources []*flume.Block
	channel *flume.Block
	sink    *flume.Block
	metrics *flume.Block
	names   map[string]int // source names given out

	// What the inputs ask of the serializer: a JSON body merged at the root, and how.
	jsonRoot      bool
	jsonOverwrite *ynode
	jsonAddError  *ynode
}

// note records a note about setting y and writes it at block b (at the agent when nil).
func (c *fbConv) note(b *flume.Block, y *ynode, changed bool, format string, args ...any) {
	n := Note{Line: y.line, Key: y.path, Changed: changed, Reason: fmt.Sprintf(format, args...), Origin: "filebeat"}
	if n.Key == "" {
		n.Key = "filebeat.yml"
	}
	if slices.Contains(c.notes, n) {
		return
	}
	c.notes = append(c.notes, n)
	if b != nil {
		b.AddNote(n)
	} else {
		c.top = append(c.top, n.Comment())
	}
}

func (c *fbConv) drop(b *flume.Block, y *ynode, format string, args ...any) {
	c.note(b, y, false, format, args...)
}

// tmpl reads a string setting, turning its references into values: ${NAME} is env("NAME"),
// ${NAME:default} env("NAME", "default") (${NAME:?error} fails without NAME, as env("NAME")
// does), and $${ a literal ${. Filebeat resolves a reference against its own settings before the
// environment, so ${path.config} (or any setting of the file) is that setting's value.
func (c *fbConv) tmpl(y *ynode) flume.Template {
	v := y.str()
	var t flume.Template
	lit := func(s string) {
		if n := len(t); n > 0 && t[n-1].Env == "" {
			t[n-1].Lit += s
		} else if s != "" {
			t = append(t, flume.Piece{Lit: s})
		}
	}
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			break
		}
		if i > 0 && v[i-1] == '$' { // $${ escapes the reference
			lit(v[:i-1] + "${")
			v = v[i+2:]
			continue
		}
		lit(v[:i])
		r, ok := fbParseRef(v[i:])
		if !ok {
			lit(v[i : i+2])
			v = v[i+2:]
			continue
		}
		v = v[i+len(r.text):]
		if val, ok := c.setting(r.name); ok {
			lit(val)
			c.note(nil, y, true, "%s is the setting %s: %q (Filebeat resolves a reference against its settings before the environment)", r.text, r.name, val)
			continue
		}
		p := flume.Piece{Env: r.name}
		switch {
		case r.errText:
		case strings.Contains(r.def, "${"):
			c.note(nil, y, true, "the default of %s is itself a reference, which env() cannot take: env(%q) has no default", r.text, r.name)
		case r.hasDef:
			p.Default, p.HasDefault = r.def, true
		}
		t = append(t, p)
	}
	lit(v)
	if len(t) == 0 {
		t = append(t, flume.Piece{})
	}
	return t
}

// tmpls reads a list of strings (or one string, a list of one) as tmpl reads a string.
func (c *fbConv) tmpls(y *ynode) []flume.Template {
	var out []flume.Template
	switch {
	case y == nil:
	case y.kind == yaml.ScalarNode && y.str() != "":
		out = append(out, c.tmpl(y))
	default:
		for _, e := range y.list {
			e.used = true
			if e.str() != "" {
				out = append(out, c.tmpl(e))
			}
		}
	}
	return out
}

// fbRef is one ${...} reference of a Filebeat setting.
type fbRef struct {
	text, name, def string
	hasDef, errText bool // ${NAME:default}, ${NAME:?error}
}

var fbRefName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// fbParseRef reads the reference at the start of s ("${..."), whose default may hold references
// of its own (${A:${B}}).
func fbParseRef(s string) (fbRef, bool) {
	depth := 0
	for i := 2; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			depth++
			i++
		case s[i] == '}' && depth > 0:
			depth--
		case s[i] == '}':
			r := fbRef{text: s[:i+1]}
			body := s[2:i]
			name, def, hasDef := strings.Cut(body, ":")
			if !fbRefName.MatchString(name) {
				return fbRef{}, false
			}
			r.name = name
			if errText, ok := strings.CutPrefix(def, "?"); ok && hasDef {
				r.errText, def = true, errText
			} else {
				r.def, r.hasDef = fbUnquote(def), hasDef
			}
			return r, true
		}
	}
	return fbRef{}, false
}

// fbUnquote is a reference's default as Filebeat reads it: "API-Gateway" or 'x' without the
// quotes, as YAML would read them.
func fbUnquote(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	if u, err := strconv.Unquote(s); err == nil && s[0] == '"' {
		return u
	}
	return s
}

// fbPathDefaults are Filebeat's directories when path.* is not set: those of its deb and rpm
// packages.
var fbPathDefaults = map[string]string{"path.home": "/usr/share/filebeat", "path.config": "/etc/filebeat", "path.data": "/var/lib/filebeat", "path.logs": "/var/log/filebeat"}

// setting is the value of a setting of the file that a reference names: a scalar set in the
// file, or Filebeat's path.* (under path.home when that is set, else the packages').
func (c *fbConv) setting(name string) (string, bool) {
	if y := c.root.peek(name); y != nil && y.kind == yaml.ScalarNode && y.str() != "" {
		return y.str(), true
	}
	def, ok := fbPathDefaults[name]
	if !ok {
		return "", false
	}
	if home := c.root.peek("path.home").str(); home != "" {
		if name == "path.config" {
			return home, true
		}
		return home + "/" + strings.TrimPrefix(name, "path."), true
	}
	return def, true
}

// probe reports whether a component type of the agent's list accepts an HCL body: settings
// the other teams add to components reach the converter only once they are in the list it is
// given, and a setting the list lacks is reported rather than written.
func probe[F interface {
	Type() string
	Decode(hcl.Body, *hcl.EvalContext, string, hcl.Range) (any, hcl.Diagnostics)
}](fs []F, typ, body string) bool {
	for _, f := range fs {
		if f.Type() != typ {
			continue
		}
		file, diags := hclsyntax.ParseConfig([]byte(body), "probe.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			return false
		}
		_, diags = f.Decode(file.Body, config.EvalContext(), "", hcl.Range{})
		for _, d := range diags {
			if strings.Contains(d.Summary, "Unsupported argument") || strings.Contains(d.Summary, "Unsupported block type") ||
				strings.Contains(d.Summary, "unknown serializer type") {
				return false
			}
		}
		return true
	}
	return false
}

func (c *fbConv) hasSource(typ string) bool { return probe(c.comps.Sources, typ, "") }

func (c *fbConv) taildirHas(body string) bool { return probe(c.comps.Sources, "taildir", body) }

func (c *fbConv) hasInterceptor(typ, body string) bool {
	return probe(c.comps.Interceptors, typ, body)
}

// convert reads the whole configuration, then reports what it did not read.
func (c *fbConv) convert() {
	c.agentName = "filebeat"
	if n := c.root.get("name"); n.str() != "" {
		if hclsyntax.ValidIdentifier(n.str()) {
			c.agentName = n.str()
		}
	}
	c.queue()
	c.output()
	var inputs []*ynode
	for _, k := range []string{"filebeat.inputs", "filebeat.prospectors"} {
		y := c.root.get(k)
		if y == nil {
			continue
		}
		if k == "filebeat.prospectors" {
			c.note(nil, y, true, "Filebeat 6's name for filebeat.inputs: read as inputs")
		}
		inputs = append(inputs, y.list...)
	}
	if len(inputs) == 0 {
		y := c.root.peek("filebeat.inputs")
		if y == nil {
			y = &ynode{path: "filebeat.inputs", line: 1}
		}
		c.drop(nil, y, "no inputs: nothing to read%s", c.inputsElsewhere())
	}
	for i, in := range inputs {
		c.input(i, in)
	}
	for _, k := range []string{"processors", "fields", "fields_under_root", "tags"} {
		if y := c.root.peek(k); y != nil && !y.used {
			c.drop(nil, y, "no input converts, so there are no events for it")
			y.all()
		}
	}
	c.agentSettings()
	c.root.overridden(func(old, cur *ynode) {
		c.drop(nil, old, "set again at line %d, which Filebeat reads instead: this value is not read", cur.line)
	})
	c.root.unused(func(y *ynode) {
		c.drop(nil, y, "%s", fbReason(y.path))
	})
}

// agentSettings converts the settings of the whole agent: its data directory and monitoring.
func (c *fbConv) agentSettings() {
	c.dataDir = "/var/lib/flumego"
	if d := c.root.get("path.data"); d.str() != "" {
		c.dataDir = d.str()
		c.note(nil, d, true, "flumego keeps its file positions and agent.id in data_dir, not in Filebeat's registry: it does not read the registry, so every file is read again from its start once (set skip_to_end = true on a source to start at the end instead)")
	} else {
		c.note(nil, &ynode{path: "path.data", line: 1}, true, "not set: flumego keeps its file positions and agent.id in data_dir = %q; it does not read Filebeat's registry, so every file is read again from its start once (set skip_to_end = true on a source to start at the end instead)", c.dataDir)
	}
	if on, _ := c.root.get("http.enabled").boolean(false); on {
		host, port := "localhost", "5066"
		if h := c.root.get("http.host").str(); h != "" {
			host = h
		}
		if p := c.root.get("http.port").str(); p != "" {
			port = p
		}
		c.metrics = flume.NewBlock("metrics")
		c.metrics.Set("listen", flume.String(host+":"+port))
		c.note(c.metrics, c.root.get("http"), true, "Filebeat's HTTP endpoint becomes flumego's metrics listener: /metrics (Prometheus), /metrics.json (Flume's counters), /status and /healthz, not Filebeat's /stats")
	}
}

// inputsElsewhere says where a configuration without filebeat.inputs has its inputs.
func (c *fbConv) inputsElsewhere() string {
	var where []string
	for _, k := range []string{"filebeat.config.inputs", "filebeat.config.prospectors", "filebeat.autodiscover", "filebeat.modules", "filebeat.config.modules"} {
		if c.root.peek(k) != nil {
			where = append(where, k)
		}
	}
	if len(where) == 0 {
		return ""
	}
	return " (this file starts its inputs from " + strings.Join(where, ", ") + ", which do not convert: see their notes)"
}

// fbExternalInputs is why inputs loaded from other files (Filebeat 7's and 6's names) are not
// carried over.
const fbExternalInputs = "inputs loaded from other files are not read: convert those files (or paste their inputs under filebeat.inputs)"

// fbReasons explain the Filebeat settings the conversion does not carry over, by path prefix.
var fbReasons = []struct{ prefix, why string }{
	{"logging.", "flumego logs to standard error in its own format: choose the level with `agent --log-level` and the format with --log-format"},
	{"setup.", "index templates, ILM and dashboards belong to Elasticsearch and Kibana: flumego sets none up"},
	{"monitoring.", "flumego serves its counters itself (metrics { listen = ... }): Prometheus, Flume's JSON, /status"},
	{"xpack.", "flumego serves its counters itself (metrics { listen = ... })"},
	{"filebeat.modules", "Filebeat modules are not carried over: write their inputs in filebeat.inputs (or in flumego) by hand; their ingest pipelines run in Elasticsearch"},
	{"filebeat.config.modules", "Filebeat modules are not carried over: write their inputs in filebeat.inputs (or in flumego) by hand"},
	{"filebeat.config.inputs", fbExternalInputs},
	{"filebeat.config.prospectors", fbExternalInputs},
	{"filebeat.autodiscover", "autodiscover starts inputs as Docker or Kubernetes report containers, which flumego does not ask: read every container's log with a container input (paths /var/log/containers/*.log) and add_kubernetes_metadata, which names pods from the log file paths"},
	{"filebeat.registry", "flumego keeps file positions in data_dir, not Filebeat's registry"},
	{"filebeat.registry_file", "flumego keeps file positions in data_dir, not Filebeat's registry"},
	{"filebeat.max_procs", "set GOMAXPROCS in the agent's environment"},
	{"filebeat.spool_size", "Filebeat 5's spooler: flumego's channel capacity bounds the events in flight"},
	{"filebeat.idle_timeout", "Filebeat 5's spooler: flumego's sinks send what the channel holds without waiting"},
	{"filebeat.data_streams", "data streams belong to Elasticsearch"},
	{"filebeat.shutdown_timeout", "the agent's --drain-timeout flag bounds how long a stop waits for the channel to drain"},
	{"filebeat.overwrite_pipelines", "ingest pipelines belong to Elasticsearch"},
	{"cloud.", "Elastic Cloud settings: flumego has no Elasticsearch output"},
	{"output.elasticsearch", "flumego has no Elasticsearch output: send to Kafka (output.kafka) and index from there"},
	{"output.logstash", "flumego has no Logstash (Beats protocol) output: send to Kafka and read it with Logstash's kafka input, whose codec => json reads the same documents"},
	{"output.redis", "flumego has no Redis output"},
	{"output.console", "flumego's logger sink logs events, not Filebeat's documents: write them to a file (output.file) to read them"},
	{"path.home", "flumego has no home directory: data_dir holds its state"},
	{"path.config", "flumego reads the one file given with -f"},
	{"path.logs", "flumego logs to standard error"},
	{"max_procs", "set GOMAXPROCS in the agent's environment"},
	{"queue.spool", "the spool queue has no flumego equivalent: a file channel is flumego's durable queue"},
}

func fbReason(path string) string {
	for _, r := range fbReasons {
		if path == r.prefix || strings.HasPrefix(path, strings.TrimSuffix(r.prefix, ".")+".") {
			return r.why
		}
	}
	if top, _, _ := strings.Cut(path, "."); slices.Contains(fbInputSettings, top) {
		return "an input's setting at the top level, where Filebeat does not read it either: set it under the inputs"
	}
	return "no flumego equivalent in this conversion"
}

// fbInputSettings are settings of an input that configurations set at the top level by mistake.
var fbInputSettings = []string{"paths", "type", "scan_frequency", "ignore_older", "close_inactive", "clean_inactive",
	"clean_removed", "close_removed", "close_renamed", "tail_files", "exclude_files", "include_lines", "exclude_lines",
	"multiline", "json", "encoding", "harvester_buffer_size", "max_bytes", "symlinks", "document_type", "input_type"}

// queue converts Filebeat's queue into the channel every source puts into.
func (c *fbConv) queue() {
	if d := c.root.get("queue.disk"); d != nil {
		b := flume.NewBlock("channel", "file", "queue")
		dir := filepath.Join(c.root.get("path.data").str(), "diskqueue")
		if c.root.get("path.data").str() == "" {
			dir = "/var/lib/flumego/diskqueue"
		}
		if p := d.get("path"); p.str() != "" {
			b.Set("dir", c.tmpl(p))
		} else {
			b.Set("dir", flume.String(dir))
		}
		for _, k := range []string{"max_size", "segment_size", "read_ahead", "write_ahead", "retry_interval", "max_retry_interval"} {
			if y := d.get(k); y != nil {
				c.drop(b, y, "flumego's file channel (bbolt, fsync per commit) bounds events by capacity and keeps minimum_required_space free on its disk; it has no %s", k)
			}
		}
		c.note(b, d, true, "Filebeat's disk queue becomes a file channel: events survive a crash; it does not read what Filebeat's queue still holds (drain Filebeat first)")
		c.channel = b
		return
	}
	b := flume.NewBlock("channel", "memory", "queue")
	events := 4096 // Filebeat 7's queue.mem.events
	if y := c.root.get("queue.mem.events"); y != nil {
		if n, err := strconv.Atoi(y.str()); err == nil && n > 0 {
			events = n
		} else {
			c.drop(b, y, "%q is not a number of events: Filebeat's default, 4096, is used", y.str())
		}
	}
	b.Set("capacity", flume.Int(events))
	b.Attr("capacity").Comment = "Filebeat's queue.mem.events"
	for _, k := range []string{"queue.mem.flush.min_events", "queue.mem.flush.timeout"} {
		if y := c.root.get(k); y != nil {
			c.drop(b, y, "flumego's sinks take what the channel holds, up to their batch, without waiting for a batch to fill")
		}
	}
	c.channel = b
}

// agentBlock assembles the agent.
func (c *fbConv) agentBlock() *flume.Block {
	ab := flume.NewBlock("agent", c.agentName)
	ab.Notes = c.top
	ab.Set("data_dir", flume.String(c.dataDir))
	for _, s := range c.sources {
		ab.Add(flume.Blank{})
		ab.Add(s)
	}
	ab.Add(flume.Blank{})
	ab.Add(c.channel)
	if c.sink != nil {
		if sb := c.sink.Child("serializer"); sb != nil && c.jsonRoot {
			sb.Set("body_header", flume.String(bodyTypeHeader))
			sb.Set("body_under_root", flume.Bool(true))
			c.serializerFlag(sb, c.jsonOverwrite, "overwrite_keys")
			c.serializerFlag(sb, c.jsonAddError, "add_error_key")
		}
		ab.Add(flume.Blank{})
		ab.Add(c.sink)
	}
	if c.metrics != nil {
		ab.Add(flume.Blank{})
		ab.Add(c.metrics)
	}
	return ab
}

func (c *fbConv) serializerFlag(sb *flume.Block, y *ynode, attr string) {
	if y == nil {
		return
	}
	if on, _ := y.boolean(false); on {
		sb.Set(attr, flume.Bool(true))
	}
}

// bodyTypeHeader marks an event whose body is a JSON document merged at the root (Filebeat's
// json.keys_under_root): the serializer's body_header.
const bodyTypeHeader = "body_type"
