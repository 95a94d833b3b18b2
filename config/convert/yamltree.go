package convert

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ynode is one setting of a Filebeat configuration, read the way Filebeat's configuration
// library reads YAML: a dotted key is a path (`multiline.pattern: x` is `multiline: {pattern:
// x}`), and both spellings merge. Every node remembers its line, for the report, and whether
// the conversion read it, so that whatever was not read is reported, never dropped silently.
type ynode struct {
	path string // dotted, with list indices: filebeat.inputs.0.paths
	line int
	kind yaml.Kind // MappingNode, SequenceNode or ScalarNode
	tag  string    // a scalar's resolved tag: !!str, !!int, !!bool, !!null ...
	val  string
	keys []string // a mapping's keys in file order
	m    map[string]*ynode
	list []*ynode
	used bool
	// earlier are the values this setting had before the file set it again (a key written
	// twice): Filebeat reads the last, and the report says the earlier ones are not read.
	earlier []*ynode
}

// parseYAML reads a YAML document into a tree of ynodes.
func parseYAML(src []byte) (*ynode, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	root := &ynode{kind: yaml.MappingNode, m: map[string]*ynode{}, line: 1}
	if len(doc.Content) == 0 {
		return root, nil
	}
	top := resolve(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping of settings at the top", top.Line)
	}
	if err := root.merge(top); err != nil {
		return nil, err
	}
	return root, nil
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// merge adds a YAML mapping's keys to a mapping ynode, splitting dotted keys into paths.
func (y *ynode) merge(n *yaml.Node) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if k.Value == "<<" { // a YAML merge key: the anchored mapping's keys
			if v.Kind == yaml.MappingNode {
				if err := y.merge(v); err != nil {
					return err
				}
			}
			continue
		}
		cur := y
		parts := strings.Split(k.Value, ".")
		for j, part := range parts {
			if cur.kind != yaml.MappingNode {
				return fmt.Errorf("line %d: %s is both a value and a group of settings", k.Line, cur.path)
			}
			child := cur.m[part]
			last := j == len(parts)-1
			if child == nil {
				child = &ynode{path: join(cur.path, part), line: k.Line, kind: yaml.MappingNode, m: map[string]*ynode{}}
				cur.m[part] = child
				cur.keys = append(cur.keys, part)
			}
			if last {
				if child.holds() && (v.Kind != yaml.MappingNode || child.kind != yaml.MappingNode) {
					old := *child
					child.earlier = append(child.earlier, &old)
					child.line = k.Line
				}
				if err := child.set(v); err != nil {
					return err
				}
			}
			cur = child
		}
	}
	return nil
}

// holds reports whether a setting has a value of its own: a scalar, a list, or settings below.
func (y *ynode) holds() bool {
	return y.kind != yaml.MappingNode || len(y.keys) > 0
}

// overridden calls fn for every value below y that a later one of the same setting replaced.
func (y *ynode) overridden(fn func(old, cur *ynode)) {
	if y == nil {
		return
	}
	for _, e := range y.earlier {
		fn(e, y)
	}
	for _, k := range y.keys {
		y.m[k].overridden(fn)
	}
	for _, e := range y.list {
		e.overridden(fn)
	}
}

// set gives a ynode the value of a YAML node: a mapping merges, anything else replaces. The
// node keeps the line of its key.
func (y *ynode) set(v *yaml.Node) error {
	switch v.Kind {
	case yaml.MappingNode:
		if y.kind != yaml.MappingNode || y.m == nil {
			y.kind, y.m, y.keys = yaml.MappingNode, map[string]*ynode{}, nil
		}
		return y.merge(v)
	case yaml.SequenceNode:
		y.kind, y.m, y.keys = yaml.SequenceNode, nil, nil
		y.list = nil
		for i, e := range v.Content {
			e = resolve(e)
			c := &ynode{path: fmt.Sprintf("%s.%d", y.path, i), line: e.Line, kind: yaml.MappingNode, m: map[string]*ynode{}}
			if err := c.set(e); err != nil {
				return err
			}
			y.list = append(y.list, c)
		}
	default:
		y.kind, y.m, y.keys, y.list = yaml.ScalarNode, nil, nil, nil
		y.val, y.tag = v.Value, v.ShortTag()
	}
	return nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// get returns the setting at a dotted path below y, marking it as read; nil when it is not
// set.
func (y *ynode) get(path string) *ynode {
	cur := y.peek(path)
	if cur != nil {
		cur.used = true
	}
	return cur
}

// peek returns the setting at a dotted path below y without marking it as read.
func (y *ynode) peek(path string) *ynode {
	cur := y
	for _, part := range strings.Split(path, ".") {
		if cur == nil || cur.kind != yaml.MappingNode {
			return nil
		}
		cur = cur.m[part]
	}
	return cur
}

// all marks y and everything below it as read (a setting converted as a whole).
func (y *ynode) all() *ynode {
	if y == nil {
		return nil
	}
	y.used = true
	for _, k := range y.keys {
		y.m[k].all()
	}
	for _, e := range y.list {
		e.all()
	}
	return y
}

// str is a scalar's text ("" for null or a missing setting).
func (y *ynode) str() string {
	if y == nil || y.kind != yaml.ScalarNode || y.tag == "!!null" {
		return ""
	}
	return y.val
}

// boolean reads true or false as Filebeat does (def when not set).
func (y *ynode) boolean(def bool) (bool, bool) {
	if y == nil || y.str() == "" {
		return def, true
	}
	b, err := strconv.ParseBool(y.val)
	return b, err == nil
}

// strs is a list of scalars, or one scalar as a list of one.
func (y *ynode) strs() []string {
	if y == nil {
		return nil
	}
	if y.kind == yaml.ScalarNode {
		if s := y.str(); s != "" {
			return []string{s}
		}
		return nil
	}
	var out []string
	for _, e := range y.list {
		e.used = true
		if s := e.str(); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// unused calls fn for every setting below y that the conversion did not read: a scalar, a
// list, or a mapping none of whose settings was read.
func (y *ynode) unused(fn func(*ynode)) {
	switch {
	case y == nil:
	case y.kind == yaml.MappingNode && len(y.keys) > 0:
		for _, k := range y.keys {
			y.m[k].unused(fn)
		}
	case y.kind == yaml.SequenceNode && y.used:
		for _, e := range y.list {
			e.unused(fn)
		}
	case !y.used:
		fn(y)
	}
}

// leaves returns the settings below a mapping by their dotted names relative to it, marking
// them as read: Filebeat writes field names with dots (http.status), which the tree splits.
func (y *ynode) leaves() (names []string, vals []*ynode) {
	var walk func(prefix string, n *ynode)
	walk = func(prefix string, n *ynode) {
		n.used = true
		if n.kind == yaml.MappingNode && len(n.keys) > 0 {
			for _, k := range n.keys {
				walk(join(prefix, k), n.m[k])
			}
			return
		}
		names, vals = append(names, prefix), append(vals, n)
	}
	if y != nil {
		for _, k := range y.keys {
			walk(k, y.m[k])
		}
	}
	return names, vals
}
