package interceptor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/flumego/flumego/config/schema"
)

// selectorFactory is NewSelectorFactory's factory plus the positions of the channel names its
// config mentions: after the usual decode it reads the body's channel-naming attributes again
// to find where each name is written, so the config stage can point at an undeclared channel
// (ChannelRefs) rather than at the whole selector block.
type selectorFactory[C any] struct {
	schema.Typed[C, SelectorSettings, Selector]
	channelAttrs []string
	setRanges    func(cfg *C, ranges map[string]hcl.Range)
}

func (f selectorFactory[C]) Decode(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (any, hcl.Diagnostics) {
	cfg, diags := f.Typed.Decode(body, ectx, what, subject)
	if c, ok := cfg.(*C); ok && !diags.HasErrors() {
		f.setRanges(c, channelRanges(body, ectx, f.channelAttrs))
	}
	return cfg, diags
}

// channelRanges returns where each string in the named attributes is written: each element of a
// list, each element of each list of a map; the whole attribute's range when the value is not
// written literally (a variable, a function call).
func channelRanges(body hcl.Body, ectx *hcl.EvalContext, attrs []string) map[string]hcl.Range {
	s := &hcl.BodySchema{}
	for _, a := range attrs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a})
	}
	content, _, _ := body.PartialContent(s)
	out := map[string]hcl.Range{}
	if content == nil {
		return out
	}
	record := func(name string, r hcl.Range) {
		if _, ok := out[name]; !ok {
			out[name] = r
		}
	}
	var walk func(expr hcl.Expression)
	walk = func(expr hcl.Expression) {
		if elems, d := hcl.ExprList(expr); !d.HasErrors() {
			for _, el := range elems {
				if v, d := el.Value(ectx); !d.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
					record(v.AsString(), el.Range())
				}
			}
			return
		}
		if pairs, d := hcl.ExprMap(expr); !d.HasErrors() {
			for _, p := range pairs {
				walk(p.Value)
			}
			return
		}
		v, d := expr.Value(ectx)
		if d.HasErrors() {
			return
		}
		for _, n := range stringsIn(v) {
			record(n, expr.Range())
		}
	}
	for _, a := range attrs {
		if attr, ok := content.Attributes[a]; ok {
			walk(attr.Expr)
		}
	}
	return out
}

// stringsIn returns the strings inside a value: itself, or the elements of a collection.
func stringsIn(v cty.Value) []string {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	if v.Type() == cty.String {
		return []string{v.AsString()}
	}
	if !v.CanIterateElements() {
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		out = append(out, stringsIn(ev)...)
	}
	return out
}

// refsOf returns each name with its recorded position (a zero range when unknown).
func refsOf(ranges map[string]hcl.Range, lists ...[]string) map[string]hcl.Range {
	out := map[string]hcl.Range{}
	for _, l := range lists {
		for _, n := range l {
			out[n] = ranges[n]
		}
	}
	return out
}

// channelIndex resolves channel names against the source's channel list, dropping repeats so a
// channel named twice takes an event once.
type channelIndex struct {
	byName map[string]int
	all    []string
}

func newChannelIndex(channels []string) channelIndex {
	m := make(map[string]int, len(channels))
	for i, c := range channels {
		if _, ok := m[c]; !ok {
			m[c] = i
		}
	}
	return channelIndex{byName: m, all: channels}
}

func (x channelIndex) resolve(what string, names []string) ([]int, error) {
	out := make([]int, 0, len(names))
	for _, n := range names {
		i, ok := x.byName[n]
		if !ok {
			return nil, fmt.Errorf("%s: channel %q is not one of the source's channels (%s)", what, n, strings.Join(x.all, ", "))
		}
		if !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	return out, nil
}

// without returns list minus the indices in drop, as a new slice.
func without(list, drop []int) []int {
	out := make([]int, 0, len(list))
	for _, v := range list {
		if !slices.Contains(drop, v) {
			out = append(out, v)
		}
	}
	return out
}
