// Package convert turns an Apache Flume agent configuration (the .properties file Flume reads,
// `a1.sources.r1.type = netcat`) or a Filebeat configuration (filebeat.yml, see filebeat.go)
// into flumego HCL: `agent convert flume.conf > flume.hcl`.
//
// Every Flume agent of the file becomes one `agent "NAME"` block, with its sources, channels,
// sinks and sink groups in the order Flume's lists declare them. What each Flume type becomes is
// not in this package: every component type carries its Flume aliases and property mapping
// (config/flume, a flume.go file beside the component's config), and Convert reads them from the
// component list it is given (Options.Components: the agent binary's own, so a custom agent's
// converter knows its custom types). Selectors and sink processors, which reference channels and
// sinks, are converted here.
//
// What cannot be carried over is never guessed at: each such setting is reported as a Note (the
// Flume key, its line, and why), and written as a comment in the HCL at the component it
// belongs to. A converted configuration passes `agent validate` whenever Flume's was valid and
// keeps Flume's behaviour, so the converter also:
//
//   - writes Flume's effective values where the file relied on Flume's defaults (channel
//     capacities, batch sizes, HDFS rolls), since flumego's defaults are larger;
//   - leaves out, as comments, what Flume itself leaves out at start-up: components it fails to
//     configure (a number that is not one), components not in the agent's lists, references to
//     undeclared channels, agents Flume marks invalid;
//   - writes a component whose type has no flumego equivalent as comments (an unsupported
//     channel type becomes a memory channel);
//   - reports a custom Java interceptor with skeletons to complete (a script interceptor with
//     its settings as params, a regex_header rule set for a multiplexing selector's header); the
//     selector keeps Flume's routing, with no invented default;
//   - lowers a batch larger than its channel's transaction capacity, which Flume refuses.
package convert

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/config/flume"
)

// Options choose what Convert converts.
type Options struct {
	// Agent, when not empty, converts only the agent of that name.
	Agent string
	// Source names the input in the HCL's header comment ("flume.conf").
	Source string
	// Components are the component types the converted file is for: the agent binary's own
	// list (cli.Settings.Components), whose flume.go mappings say what each Flume type becomes.
	Components config.Components
}

// Property is one key and value of a .properties file, with the line its key starts on.
type Property = flume.Property

// Note is a setting the converter could not carry over, or carried over with a change the
// operator should check.
type Note = flume.Note

// Result is a converted configuration.
type Result struct {
	// HCL is the flumego configuration.
	HCL []byte
	// Agents are the names of the converted agents, in file order.
	Agents []string
	// Notes are what could not be carried over or was changed, in line order.
	Notes []Note
	// Kind names the input format in the report ("agent", "Filebeat configuration").
	kind string
}

// ErrNoAgent is returned when the input names no Flume agent (no key such as a1.sources = r1).
var ErrNoAgent = errors.New("no Flume agent found: want keys such as a1.sources = r1")

// ErrNothingToRun is returned, with the Result, when no agent of the file has a source or a
// sink left that flumego can run (Flume marks an agent without channels, or without sources
// and sinks, invalid): the HCL then holds the agents as comments, and the notes say why.
var ErrNothingToRun = errors.New("no agent has a source or sink left to run")

// Report writes one line per note, `filename:line: key: not carried over: reason`, then a
// summary line.
func (r *Result) Report(w io.Writer, filename string) {
	var dropped, changed int
	for _, n := range r.Notes {
		if n.Changed {
			changed++
		} else {
			dropped++
		}
		if n.Line > 0 {
			fmt.Fprintf(w, "%s:%d: %s\n", filename, n.Line, n)
		} else {
			fmt.Fprintf(w, "%s: %s\n", filename, n)
		}
	}
	what := "agent"
	if r.kind != "" {
		what = r.kind
	}
	names := "none"
	if len(r.Agents) > 0 {
		names = strings.Join(quoteAll(r.Agents), ", ")
	}
	fmt.Fprintf(w, "%s: converted %s %s: %d setting(s) not carried over, %d changed\n",
		filename, what, names, dropped, changed)
}

// Convert converts a Flume .properties configuration for opts.Components. It fails when src
// cannot be read as a properties file, names no agent (ErrNoAgent), has no agent opts.Agent,
// or leaves nothing to run (ErrNothingToRun, with the Result).
func Convert(src []byte, opts Options) (*Result, error) {
	if len(opts.Components.Sources)+len(opts.Components.Sinks) == 0 {
		return nil, errors.New("convert: Options.Components lists no component types (pass the agent's own list, such as components.Builtin())")
	}
	props, err := ParseProperties(string(src))
	if err != nil {
		return nil, err
	}
	f := groupAgents(props)
	if len(f.agents) == 0 {
		return nil, ErrNoAgent
	}
	agents := f.agents
	if opts.Agent != "" {
		i := slices.IndexFunc(agents, func(a *flumeAgent) bool { return a.name == opts.Agent })
		if i < 0 {
			names := make([]string, len(agents))
			for i, a := range agents {
				names[i] = a.name
			}
			return nil, fmt.Errorf("no agent %q (the file has: %s)", opts.Agent, strings.Join(names, ", "))
		}
		agents = agents[i : i+1]
	}

	res := &Result{}
	var out strings.Builder
	header := "Converted from Apache Flume properties by `agent convert`."
	if opts.Source != "" {
		header = fmt.Sprintf("Converted from %s (Apache Flume properties) by `agent convert`.", opts.Source)
	}
	flume.Comment{header, "Comments starting with \"flume:\" mark what was not carried over or was changed."}.Render(&out, "")
	var fileNotes []Note
	for _, n := range f.notes {
		if opts.Agent == "" || n.Agent == opts.Agent {
			fileNotes = append(fileNotes, n)
		}
	}
	if len(fileNotes) > 0 {
		var c flume.Comment
		for _, n := range fileNotes {
			c = append(c, n.Comment())
		}
		c.Render(&out, "")
	}
	res.Notes = append(res.Notes, fileNotes...)
	refs := &flume.Refs{Props: f.values}
	for _, fa := range agents {
		refs.Filters = f.filters[fa.name]
		a := newAgentConv(fa, opts.Components, refs)
		a.convert()
		out.WriteString("\n")
		if why := a.runnable(); why != "" {
			a.notes = append(a.notes, Note{Line: fa.line, Key: fa.name, Agent: fa.name, Reason: why})
			flume.CommentedOut(a.block()).Render(&out, "")
		} else {
			a.block().Render(&out, "")
			res.Agents = append(res.Agents, fa.name)
		}
		res.Notes = append(res.Notes, a.notes...)
	}
	slices.SortStableFunc(res.Notes, func(x, y Note) int { return x.Line - y.Line })
	res.HCL = flume.Format(out.String())
	if len(res.Agents) == 0 {
		return res, ErrNothingToRun
	}
	return res, nil
}

// kinds are the component kinds of a Flume agent key: a1.<kind>.<name>.<property>.
var kinds = []string{"sources", "channels", "sinks", "sinkgroups", "configfilters"}

// comp is one Flume component with its properties (keys relative to the component).
type comp struct {
	kind  string
	name  string
	full  string // a1.sources.r1
	line  int
	props []Property
}

func (c *comp) get(key string) (Property, bool) {
	for _, p := range c.props {
		if p.Key == key {
			return p, true
		}
	}
	return Property{}, false
}

// flumeAgent is one agent's keys, grouped.
type flumeAgent struct {
	name  string
	line  int                         // the line of its first key
	lists map[string]Property         // "sources" → a1.sources = r1 r2
	comps map[string]map[string]*comp // kind → name → component
	order map[string][]string         // kind → names in order of first appearance
	notes []Note                      // keys that fit no component
}

type flumeFile struct {
	agents  []*flumeAgent
	notes   []Note                       // keys of no agent, and repeated keys
	filters map[string]map[string]string // agent → config filter name → type
	values  map[string]string            // every key's value, for ${key} references
}

// groupAgents splits the properties by agent, kind and component. The last value of a
// repeated key wins, as in java.util.Properties.
func groupAgents(props []Property) *flumeFile {
	f := &flumeFile{filters: map[string]map[string]string{}, values: map[string]string{}}
	last := map[string]int{}
	for i, p := range props {
		last[p.Key] = i
		f.values[p.Key] = p.Value
	}
	real := map[string]*flumeAgent{}
	for _, p := range props {
		name, rest, ok := strings.Cut(p.Key, ".")
		kind, _, _ := strings.Cut(rest, ".")
		if ok && name != "" && slices.Contains(kinds, kind) && real[name] == nil {
			a := &flumeAgent{name: name, line: p.Line, lists: map[string]Property{}, comps: map[string]map[string]*comp{}, order: map[string][]string{}}
			real[name] = a
			f.agents = append(f.agents, a)
		}
	}
	for i, p := range props {
		name, rest, _ := strings.Cut(p.Key, ".")
		a := real[name]
		// note reports the key on its agent, or on the file when it names none.
		note := func(n Note) {
			n.Line, n.Key = p.Line, p.Key
			if a != nil {
				n.Agent = a.name
				a.notes = append(a.notes, n)
			} else {
				f.notes = append(f.notes, n)
			}
		}
		if last[p.Key] != i {
			if strings.TrimSpace(props[last[p.Key]].Value) != strings.TrimSpace(p.Value) { // the same value again changes nothing
				note(Note{Changed: true, Reason: fmt.Sprintf("set again on line %d; the last value wins, as in Flume", props[last[p.Key]].Line)})
			}
			continue
		}
		if strings.TrimSpace(p.Value) == "" {
			note(Note{Reason: "has no value: Flume ignores a key whose value is empty (with a warning), and so does the conversion"})
			continue
		}
		if a == nil {
			f.notes = append(f.notes, Note{Line: p.Line, Key: p.Key,
				Reason: "not a key of any Flume agent (want AGENT.sources, AGENT.channels, AGENT.sinks or AGENT.sinkgroups ...)" + flume.MalformedHint(p.Key, p.Value)})
			continue
		}
		kind, rest2, _ := strings.Cut(rest, ".")
		if !slices.Contains(kinds, kind) {
			a.notes = append(a.notes, Note{Line: p.Line, Key: p.Key, Agent: a.name,
				Reason: fmt.Sprintf("%q is not a component kind of a Flume agent (sources, channels, sinks, sinkgroups, configfilters)%s", kind, suggestKind(kind)) + flume.MalformedHint(p.Key, p.Value)})
			continue
		}
		if rest2 == "" {
			a.lists[kind] = p
			continue
		}
		cname, key, ok := strings.Cut(rest2, ".")
		if !ok || cname == "" || key == "" {
			a.notes = append(a.notes, Note{Line: p.Line, Key: p.Key, Agent: a.name,
				Reason: "malformed key: want " + a.name + "." + kind + ".NAME.PROPERTY" + flume.MalformedHint(p.Key, p.Value)})
			continue
		}
		if a.comps[kind] == nil {
			a.comps[kind] = map[string]*comp{}
		}
		c := a.comps[kind][cname]
		if c == nil {
			c = &comp{kind: kind, name: cname, full: a.name + "." + kind + "." + cname, line: p.Line}
			a.comps[kind][cname] = c
			a.order[kind] = append(a.order[kind], cname)
		}
		c.props = append(c.props, Property{Key: key, Value: strings.TrimSpace(p.Value), Line: p.Line})
	}
	for _, a := range f.agents {
		a.lists = trimLists(a.lists)
		filters := map[string]string{}
		if l, ok := a.lists["configfilters"]; ok {
			for _, n := range strings.Fields(l.Value) {
				if c := a.comps["configfilters"][n]; c != nil {
					if t, ok := c.get("type"); ok {
						filters[n] = strings.TrimSpace(t.Value)
					}
				}
			}
		}
		f.filters[a.name] = filters
	}
	return f
}

func trimLists(m map[string]Property) map[string]Property {
	for k, p := range m {
		p.Value = strings.TrimSpace(p.Value)
		m[k] = p
	}
	return m
}

func suggestKind(kind string) string {
	for _, k := range kinds {
		if strings.EqualFold(kind, k) || strings.EqualFold(kind+"s", k) {
			return fmt.Sprintf("; did you mean %q?", k)
		}
	}
	return ""
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
