package serializer

import (
	"errors"
	"io"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/metrics"
)

// The json serializer's presets.
const (
	PresetFilebeat = "filebeat"
	PresetFlume    = "flume"
)

// Body modes: how the json serializer writes an event's body.
const (
	BodyString = "string" // a JSON string
	BodyJSON   = "json"   // the JSON value the body holds, embedded or merged at the root
)

// Field types: how the json serializer writes a header's value.
const (
	TypeString  = "string"
	TypeNumber  = "number"  // a JSON number as written, else a string (counted)
	TypeBoolean = "boolean" // true or false (also 1/0, t/f, TRUE ...), else a string (counted)
	TypeJSON    = "json"    // the JSON value the header holds, else a string (counted)
	TypeList    = "list"    // a comma-separated list, written as an array of strings
)

var fieldTypes = []string{TypeString, TypeNumber, TypeBoolean, TypeJSON, TypeList}

// JSONConfig is the json serializer's block: one JSON document per event, made of the
// event's headers and its body.
//
// Headers are the document's fields. A dotted name nests (log.file.path →
// {"log":{"file":{"path":...}}}) unless nest_dotted is false. When two names clash (a and a.b
// both present: a is a string and cannot hold b), the first one in name order keeps its place
// and the other is written flat beside it, under its full dotted name ({"a":"x","a.b":"y"}); a
// name taken twice keeps the first value. Either way the document stays valid and the clash is
// counted in SerializerKeyConflictCount.
//
// The body goes under body_key as a string, or, with body = "json", as the JSON value it holds;
// with body_under_root as well, an object body's names are merged into the document's root
// (Filebeat's json.keys_under_root): objects of one name are merged, and any other clash keeps
// the agent's value (headers, the preset's fields) unless overwrite_keys is set, counted. A body
// that is not JSON (or not an object, to be merged; or nested deeper than max_depth) is written
// as a string under body_key, counted in SerializerBodyNotJSONCount. Duplicate names inside a
// body keep the last value, counted in SerializerDuplicateKeyCount.
type JSONConfig struct {
	// Preset starts from a known document shape: "filebeat" (Filebeat 7's JSON codec, what
	// Logstash's kafka input with codec json reads) or "flume" ({"headers":{...},"body":"..."},
	// what Flume's HTTP source reads). The settings below change a preset's choices.
	Preset string `hcl:"preset,optional"`

	// IncludeHeaders lists the headers written, as globs (path.Match: "fields.*"); empty
	// writes every header. ExcludeHeaders are never written.
	IncludeHeaders []string `hcl:"include_headers,optional"`
	ExcludeHeaders []string `hcl:"exclude_headers,optional"`
	// Types gives a header's value a JSON type: string (the default), number, boolean, json or
	// list. A value that is not of its type is written as a string and counted in
	// SerializerTypeFallbackCount.
	Types map[string]string `hcl:"types,optional"`
	// NestDotted nests dotted header names (default true; false with the flume preset).
	NestDotted *bool `hcl:"nest_dotted,optional"`
	// HeadersKey puts the headers in an object of that name rather than at the root ("headers"
	// with the flume preset).
	HeadersKey *string `hcl:"headers_key,optional"`
	// TimestampKey, when set, writes the event's time there as "2006-01-02T15:04:05.000Z" (UTC):
	// its "timestamp" header (epoch milliseconds) when it has one, else the time it is
	// serialized; the header is then not written as a field. "@timestamp" with the filebeat
	// preset.
	TimestampKey *string `hcl:"timestamp_key,optional"`

	// BodyKey is the name of the body ("message"; "body" with the flume preset).
	BodyKey *string `hcl:"body_key,optional"`
	// Body is "string" or "json" (see the type's doc).
	Body string `hcl:"body,optional"`
	// BodyUnderRoot merges a JSON object body into the root rather than under body_key.
	BodyUnderRoot bool `hcl:"body_under_root,optional"`
	// BodyHeader names a header that chooses body per event: "string" or "json" (another value
	// is counted in SerializerTypeFallbackCount and ignored). The header is not written. This is
	// how one sink writes the events of a JSON log file merged and those of other files as
	// strings: the file's source sets the header.
	BodyHeader string `hcl:"body_header,optional"`
	// OverwriteKeys lets the names of a body merged at the root win over the agent's.
	OverwriteKeys bool `hcl:"overwrite_keys,optional"`
	// AddErrorKey adds error.message and error.type ("json") to the document of an event whose
	// body should have been JSON and was not, as Filebeat's json.add_error_key.
	AddErrorKey bool `hcl:"add_error_key,optional"`
	// MaxDepth bounds the nesting of a JSON body (and of json-typed headers).
	MaxDepth int `hcl:"max_depth,optional"`
	// AppendNewline ends each document with '\n' in files (one document a line); a record (a
	// Kafka value) never gets one.
	AppendNewline bool `hcl:"append_newline,optional"`

	// The filebeat preset's own settings.
	//
	// Name is host.name and agent.name (Filebeat's name setting); empty is the host name.
	Name string `hcl:"name,optional"`
	// AgentID is agent.id; empty is a UUID made once and kept in the agent's data_dir
	// (agent.id), as Filebeat keeps its own in data/meta.json.
	AgentID string `hcl:"agent_id,optional"`
	// Beat, BeatVersion and DocumentType are @metadata's beat, version and type (and
	// agent.type, agent.version): Logstash pipelines key indices on them. ECSVersion is
	// ecs.version.
	Beat         string `hcl:"beat,optional"`
	BeatVersion  string `hcl:"beat_version,optional"`
	DocumentType string `hcl:"document_type,optional"`
	ECSVersion   string `hcl:"ecs_version,optional"`
}

func jsonDefaults() *JSONConfig {
	return &JSONConfig{Body: BodyString, MaxDepth: 64, AppendNewline: true}
}

// Validate reports every problem of the block.
func (c *JSONConfig) Validate() error {
	var errs []error
	bad := func(attr, format string, args ...any) { errs = append(errs, schema.Errorf(attr, format, args...)) }
	switch c.Preset {
	case "", PresetFilebeat, PresetFlume:
	default:
		bad("preset", "unknown preset %q: want %q or %q", c.Preset, PresetFilebeat, PresetFlume)
	}
	for _, a := range []struct {
		attr  string
		globs []string
	}{{"include_headers", c.IncludeHeaders}, {"exclude_headers", c.ExcludeHeaders}} {
		for _, g := range a.globs {
			if _, err := path.Match(g, ""); err != nil {
				bad(a.attr, "bad pattern %q: %v", g, err)
			}
		}
	}
	for _, name := range sortedKeys(c.Types) {
		if !slices.Contains(fieldTypes, c.Types[name]) {
			bad("types", "header %q: unknown type %q: want %s", name, c.Types[name], strings.Join(fieldTypes, ", "))
		}
	}
	switch c.Body {
	case BodyString, BodyJSON:
	default:
		bad("body", "must be %q or %q, got %q", BodyString, BodyJSON, c.Body)
	}
	if c.BodyUnderRoot && c.Body != BodyJSON && c.BodyHeader == "" {
		bad("body_under_root", `merges a JSON body: set body = "json", or body_header to choose it per event`)
	}
	if c.AddErrorKey && c.Body != BodyJSON && c.BodyHeader == "" {
		bad("add_error_key", `reports bodies that are not JSON: set body = "json", or body_header to choose it per event`)
	}
	if c.OverwriteKeys && !c.BodyUnderRoot {
		bad("overwrite_keys", "applies to a body merged at the root: set body_under_root = true")
	}
	if c.Preset == PresetFlume && (c.Body != BodyString || c.BodyHeader != "") {
		bad("body", "the flume preset writes the body as a string, the only form Flume's HTTP source reads")
	}
	if c.BodyKey != nil && *c.BodyKey == "" {
		bad("body_key", "must not be empty")
	}
	if c.MaxDepth < 1 || c.MaxDepth > 10000 {
		bad("max_depth", "must be 1 to 10000, got %d", c.MaxDepth)
	}
	if c.Preset != PresetFilebeat {
		for _, a := range []struct{ attr, v string }{{"name", c.Name}, {"agent_id", c.AgentID}, {"beat", c.Beat},
			{"beat_version", c.BeatVersion}, {"document_type", c.DocumentType}, {"ecs_version", c.ECSVersion}} {
			if a.v != "" {
				bad(a.attr, "is a setting of the filebeat preset: set preset = %q", PresetFilebeat)
			}
		}
	}
	return errors.Join(errs...)
}

// NewJSONFactory returns the factory of the "json" serializer.
func NewJSONFactory() Factory { return NewFactory(JSON, jsonDefaults, newJSON) }

// jsonSer is a json serializer: the resolved settings and the document it rebuilds for every
// event.
type jsonSer struct {
	nest                    bool
	headersKey, tsKey       string
	bodyKey, bodyHeader     string
	bodyJSON, underRoot     bool
	overwrite, nl, errorKey bool
	maxDepth                int
	types                   map[string]fieldType
	include, exclude        []string
	selected                map[string]bool // include/exclude decisions by header name
	front, back             int32           // the preset's fields in tmpl: before and after the headers; none without

	doc  doc
	tmpl doc
	clk  clock
	keys []string
	buf  []byte // the streams' scratch

	programs map[string]*program // by header names; nil entries cannot be compiled
	last     *program
	vals     []string // the event's header values, in its program's order
	sig      []byte

	notJSON, typeFallback, conflicts, duplicates *metrics.Counter
}

func newJSON(cfg *JSONConfig, set Settings) (Serializer, error) {
	s := &jsonSer{
		nest: true, bodyKey: "message", bodyJSON: cfg.Body == BodyJSON,
		underRoot: cfg.BodyUnderRoot, bodyHeader: cfg.BodyHeader, overwrite: cfg.OverwriteKeys,
		nl: cfg.AppendNewline, errorKey: cfg.AddErrorKey, maxDepth: cfg.MaxDepth, types: map[string]fieldType{},
		include: cfg.IncludeHeaders, exclude: cfg.ExcludeHeaders, selected: map[string]bool{},
		front: none, back: none,
	}
	s.tmpl.reset()
	s.doc.tmpl = &s.tmpl
	switch cfg.Preset {
	case PresetFlume:
		s.nest, s.headersKey, s.bodyKey = false, "headers", "body"
	case PresetFilebeat:
		s.tsKey = "@timestamp"
		for k, v := range filebeatTypes {
			s.types[k] = fieldTypeOf[v]
		}
		if err := s.filebeat(cfg, set); err != nil {
			return nil, err
		}
	}
	if cfg.NestDotted != nil {
		s.nest = *cfg.NestDotted
	}
	if cfg.HeadersKey != nil {
		s.headersKey = *cfg.HeadersKey
	}
	if cfg.TimestampKey != nil {
		s.tsKey = *cfg.TimestampKey
	}
	if cfg.BodyKey != nil {
		s.bodyKey = *cfg.BodyKey
	}
	for k, v := range cfg.Types {
		s.types[k] = fieldTypeOf[v]
	}
	if !s.bodyJSON || s.bodyHeader != "" {
		s.programs = map[string]*program{} // string bodies are possible: documents can be compiled
	}
	m := set.metrics()
	s.notJSON = m.Counter("SerializerBodyNotJSONCount")
	s.typeFallback = m.Counter("SerializerTypeFallbackCount")
	s.conflicts = m.Counter("SerializerKeyConflictCount")
	s.duplicates = m.Counter("SerializerDuplicateKeyCount")
	return s, nil
}

// AppendRecord writes the event's document. It never fails: what does not fit the declared
// shape is written as a string, and counted. Most events are written by the compiled document of
// their header names (see program); the others are built as a tree.
func (s *jsonSer) AppendRecord(dst []byte, ev *channel.Event) ([]byte, error) {
	if out, ok := s.runProgram(dst, ev); ok {
		return out, nil
	}
	d := &s.doc
	dst = s.build(dst, ev, nil)
	s.conflicts.Add(d.conflicts)
	s.duplicates.Add(d.duplicates)
	s.typeFallback.Add(d.fallbacks)
	s.notJSON.Add(d.notJSON)
	return dst, nil
}

// build builds the event's document as a tree and writes it, counting in s.doc what the counters
// are to count. Compiling (prog set), the values
// that change from event to event become slots, the body is a string and a timestamp header
// is taken as valid: runProgram checks that an event is so before it uses the program.
func (s *jsonSer) build(dst []byte, ev *channel.Event, prog *program) []byte {
	d := &s.doc
	d.reset()
	body := bytesString(ev.Body)
	asJSON := s.bodyJSON
	if s.bodyHeader != "" {
		if v, ok := ev.Headers[s.bodyHeader]; ok {
			switch v {
			case BodyString:
				asJSON = false
			case BodyJSON:
				asJSON = true
			default:
				d.fallbacks++
			}
		}
	}
	if prog != nil {
		asJSON = false
	}
	merged := none   // a JSON object body to merge into the root
	notJSON := false // a body that should have been JSON was not
	if asJSON && s.underRoot {
		r, ok := d.parseJSON(body, s.maxDepth)
		switch {
		case !ok:
			notJSON = true
		case d.nodes[r].kind != kObject:
			notJSON, d.parseAt = true, -1
		default:
			merged = r
		}
	}
	if merged != none && s.overwrite {
		d.merge(0, merged, false)
	}
	tsHeader := false // the timestamp header became timestamp_key
	if s.tsKey != "" {
		t := d.newNode("", kTime, "")
		ms, ok := TimestampMillis(ev.Headers)
		switch {
		case prog != nil:
			_, tsHeader = ev.Headers[TimestampHeader]
			d.nodes[t].kind, ms = kSlot, slotTime
		case ok:
			tsHeader = true
		default:
			if _, present := ev.Headers[TimestampHeader]; present {
				d.fallbacks++ // not a number: written as a field of its own, below
			}
			ms = nowMillis()
		}
		d.nodes[t].num = ms
		c := d.conflicts
		d.put(0, s.tsKey, s.nest, t)
		if s.overwrite {
			d.conflicts = c // the body's own time won, as overwrite_keys says
		}
	}
	if s.front != none {
		d.mergeTemplate(0, s.front)
	}
	if merged == none {
		var b int32 = none
		if asJSON && !s.underRoot {
			if r, ok := d.parseJSON(body, s.maxDepth); ok {
				b = r
			} else {
				notJSON = true
			}
		}
		if b == none {
			b = d.newNode("", kString, body)
		}
		if prog != nil {
			d.nodes[b].kind, d.nodes[b].num = kSlot, slotBody
		}
		d.put(0, s.bodyKey, s.nest, b)
	}
	if notJSON {
		d.notJSON++
		if s.errorKey {
			d.put(0, "error.message", true, d.newNode("", kString, s.parseError()))
			d.put(0, "error.type", true, d.newNode("", kString, "json"))
		}
	}
	s.putHeaders(ev.Headers, tsHeader, prog)
	if s.back != none {
		d.mergeTemplate(0, s.back)
	}
	if merged != none && !s.overwrite {
		d.merge(0, merged, false)
	}
	return d.appendTo(dst, 0, &s.clk, prog)
}

// parseError says why the body was not the JSON it should have been: the last parseJSON of the
// document failed, or (parseAt 0, merging) it was not an object.
func (s *jsonSer) parseError() string {
	switch {
	case s.doc.parseAt < 0:
		return "Error decoding JSON: not an object, which body_under_root merges"
	case s.doc.tooDeep:
		return "Error decoding JSON: nested deeper than max_depth " + strconv.Itoa(s.maxDepth)
	}
	return "Error decoding JSON: invalid JSON at byte " + strconv.Itoa(s.doc.parseAt)
}

// putHeaders adds the event's headers in name order, so that documents are stable and clashes
// resolve the same way every time.
func (s *jsonSer) putHeaders(h map[string]string, skipTS bool, prog *program) {
	if len(h) == 0 {
		return
	}
	d := &s.doc
	s.keys = s.keys[:0]
	for k := range h {
		if (skipTS && k == TimestampHeader) || (s.bodyHeader != "" && k == s.bodyHeader) || !s.wanted(k) {
			continue
		}
		s.keys = append(s.keys, k)
	}
	if len(s.keys) == 0 {
		return
	}
	sort.Strings(s.keys)
	var root int32
	if s.headersKey != "" {
		if root = d.object(0, s.headersKey); root == none {
			d.conflicts += int64(len(s.keys))
			return
		}
	}
	for _, k := range s.keys {
		var f int32
		if prog != nil {
			f = d.newNode("", kSlot, "")
			d.nodes[f].num, d.nodes[f].typ = int64(prog.slot(k)), s.types[k]
		} else {
			f = s.field(h[k], s.types[k])
		}
		d.put(root, k, s.nest, f)
	}
}

// field is a detached node holding a header value as its type says: a json value is parsed
// into the document, the others are written as they are (appendValue).
func (s *jsonSer) field(v string, typ fieldType) int32 {
	d := &s.doc
	if typ == tJSON {
		if r, ok := d.parseJSON(v, s.maxDepth); ok {
			return r
		}
		d.fallbacks++
		return d.newNode("", kString, v)
	}
	n := d.newNode("", kTyped, v)
	d.nodes[n].typ = typ
	return n
}

// maxSelected bounds the include/exclude decisions remembered: header names are usually few,
// but nothing stops a source from inventing new ones for ever.
const maxSelected = 4096

// wanted reports whether header k is written, as include_headers and exclude_headers say.
func (s *jsonSer) wanted(k string) bool {
	if len(s.include) == 0 && len(s.exclude) == 0 {
		return true
	}
	if w, ok := s.selected[k]; ok {
		return w
	}
	w := len(s.include) == 0 || matchAny(s.include, k)
	w = w && !matchAny(s.exclude, k)
	if len(s.selected) < maxSelected {
		s.selected[k] = w
	}
	return w
}

func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

func (s *jsonSer) NewStream(w io.Writer) (Stream, error) {
	return &lineStream{w: w, record: s.AppendRecord, nl: s.nl, buf: &s.buf}, nil
}

func (s *jsonSer) ValidPrefix(r io.Reader) (int64, bool, error) { return linesValidPrefix(r, s.nl) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
