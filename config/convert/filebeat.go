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

// fbEnv matches Filebeat's environment references: ${NAME}, ${NAME:default}, ${NAME:?error}.
var fbEnv = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_.]*)(?::(\?)?([^}]*))?\}`)

// tmpl reads a string setting, turning its ${NAME} references into env("NAME").
func (c *fbConv) tmpl(y *ynode) flume.Template {
	v := y.str()
	var t flume.Template
	last := 0
	for _, m := range fbEnv.FindAllStringSubmatchIndex(v, -1) {
		if m[0] > last {
			t = append(t, flume.Piece{Lit: v[last:m[0]]})
		}
		p := flume.Piece{Env: v[m[2]:m[3]]}
		if m[6] >= 0 && m[4] < 0 { // ${NAME:default}
			p.Default, p.HasDefault = v[m[6]:m[7]], true
		}
		t = append(t, p)
		last = m[1]
	}
	if last < len(v) || len(t) == 0 {
		t = append(t, flume.Piece{Lit: v[last:]})
	}
	return t
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
	inputs := c.root.get("filebeat.inputs")
	if inputs == nil || len(inputs.list) == 0 {
		y := inputs
		if y == nil {
			y = &ynode{path: "filebeat.inputs", line: 1}
		}
		c.drop(nil, y, "no inputs: nothing to read")
	}
	if inputs != nil {
		for i, in := range inputs.list {
			c.input(i, in)
		}
	}
	c.agentSettings()
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

// fbReasons explain the Filebeat settings the conversion does not carry over, by path prefix.
var fbReasons = []struct{ prefix, why string }{
	{"logging.", "flumego logs to standard error in its own format: choose the level with `agent --log-level` and the format with --log-format"},
	{"setup.", "index templates, ILM and dashboards belong to Elasticsearch and Kibana: flumego sets none up"},
	{"monitoring.", "flumego serves its counters itself (metrics { listen = ... }): Prometheus, Flume's JSON, /status"},
	{"xpack.", "flumego serves its counters itself (metrics { listen = ... })"},
	{"filebeat.modules", "Filebeat modules are not carried over: write their inputs in filebeat.inputs (or in flumego) by hand; their ingest pipelines run in Elasticsearch"},
	{"filebeat.config.modules", "Filebeat modules are not carried over: write their inputs in filebeat.inputs (or in flumego) by hand"},
	{"filebeat.config.inputs", "inputs loaded from other files are not read: convert those files (or paste their inputs under filebeat.inputs)"},
	{"filebeat.registry", "flumego keeps file positions in data_dir, not Filebeat's registry"},
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
	return "no flumego equivalent in this conversion"
}

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
