package script

import (
	"math/big"
	"sort"
	"strings"

	"github.com/dop251/goja"
	"github.com/zclconf/go-cty/cty"

	"github.com/flumego/flumego/channel"
)

// The names the event API gives a meaning of its own (see the package doc).
const (
	messageField = "message"
	tagsField    = "tags"
)

// newEventObject builds the one event object of a session. Its methods read and change s.cur,
// the event being processed, so a call costs no object per event.
func (s *session) newEventObject() *goja.Object {
	o := s.vm.NewObject()
	set := func(name string, fn func(goja.FunctionCall) goja.Value) { _ = o.Set(name, fn) }
	set("Get", func(c goja.FunctionCall) goja.Value { return s.get(c.Argument(0).String()) })
	set("Put", func(c goja.FunctionCall) goja.Value { return s.put(c.Argument(0).String(), c.Argument(1)) })
	set("Delete", func(c goja.FunctionCall) goja.Value { return s.vm.ToValue(s.delete(c.Argument(0).String())) })
	set("Rename", func(c goja.FunctionCall) goja.Value {
		return s.vm.ToValue(s.rename(c.Argument(0).String(), c.Argument(1).String()))
	})
	set("Cancel", func(goja.FunctionCall) goja.Value { s.dropped = true; return goja.Undefined() })
	set("IsCancelled", func(goja.FunctionCall) goja.Value { return s.vm.ToValue(s.dropped) })
	set("Tag", func(c goja.FunctionCall) goja.Value { s.appendTo(tagsField, c.Argument(0)); return goja.Undefined() })
	set("AppendTo", func(c goja.FunctionCall) goja.Value {
		s.appendTo(c.Argument(0).String(), c.Argument(1))
		return goja.Undefined()
	})
	return o
}

func (s *session) get(name string) goja.Value {
	e := s.cur
	if name == messageField {
		return s.vm.ToValue(string(e.Body))
	}
	if v, ok := e.Headers[name]; ok {
		if name == tagsField {
			return s.vm.ToValue(listOf(v))
		}
		return s.vm.ToValue(v)
	}
	prefix := name + "."
	var obj *goja.Object
	for k, v := range e.Headers {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if obj == nil {
			obj = s.vm.NewObject()
		}
		setPath(s.vm, obj, strings.Split(k[len(prefix):], "."), v)
	}
	if obj == nil {
		return goja.Null()
	}
	return obj
}

// setPath sets obj.a.b.c = v for path [a b c], making the objects on the way. A name that is
// both a value and a parent (headers "a.b" and "a.b.c") keeps the value.
func setPath(vm *goja.Runtime, obj *goja.Object, path []string, v string) {
	for _, p := range path[:len(path)-1] {
		next, ok := obj.Get(p).(*goja.Object)
		if !ok {
			if obj.Get(p) != nil {
				return
			}
			next = vm.NewObject()
			_ = obj.Set(p, next)
		}
		obj = next
	}
	last := path[len(path)-1]
	if _, isObj := obj.Get(last).(*goja.Object); !isObj {
		_ = obj.Set(last, v)
	}
}

func (s *session) put(name string, v goja.Value) goja.Value {
	e := s.cur
	if name == messageField {
		old := s.vm.ToValue(string(e.Body))
		e.Body = []byte(s.text(v))
		return old
	}
	var old goja.Value = goja.Null()
	if prev, ok := e.Headers[name]; ok {
		old = s.vm.ToValue(prev)
	}
	s.delete(name)
	if goja.IsNull(v) || goja.IsUndefined(v) {
		return old
	}
	if o, ok := v.(*goja.Object); ok && o.ClassName() == "Object" {
		s.flatten(name, o)
		return old
	}
	e.SetHeader(name, s.text(v))
	return old
}

// flatten writes an object's leaves as dotted headers under prefix.
func (s *session) flatten(prefix string, o *goja.Object) {
	for _, k := range o.Keys() {
		v := o.Get(k)
		name := prefix + "." + k
		switch {
		case v == nil || goja.IsNull(v) || goja.IsUndefined(v):
		case isPlainObject(v):
			s.flatten(name, v.(*goja.Object))
		default:
			s.cur.SetHeader(name, s.text(v))
		}
	}
}

func isPlainObject(v goja.Value) bool {
	o, ok := v.(*goja.Object)
	return ok && o.ClassName() == "Object"
}

// text is how a value is written into a header or the body: an array as a comma-separated
// list, an object (into the body) as JSON, anything else as JavaScript's String(v).
func (s *session) text(v goja.Value) string {
	if o, ok := v.(*goja.Object); ok {
		switch o.ClassName() {
		case "Array":
			var parts []string
			for _, k := range o.Keys() {
				parts = append(parts, s.text(o.Get(k)))
			}
			return strings.Join(parts, ",")
		case "Object":
			if b, err := o.MarshalJSON(); err == nil {
				return string(b)
			}
		}
	}
	return v.String()
}

func (s *session) delete(name string) bool {
	e := s.cur
	if name == messageField {
		had := len(e.Body) > 0
		e.Body = nil
		return had
	}
	_, had := e.Headers[name]
	delete(e.Headers, name)
	prefix := name + "."
	for k := range e.Headers {
		if strings.HasPrefix(k, prefix) {
			delete(e.Headers, k)
			had = true
		}
	}
	return had
}

func (s *session) exists(name string) bool {
	e := s.cur
	if name == messageField {
		return len(e.Body) > 0
	}
	if _, ok := e.Headers[name]; ok {
		return true
	}
	prefix := name + "."
	for k := range e.Headers {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func (s *session) rename(from, to string) bool {
	if from == to || !s.exists(from) || s.exists(to) {
		return false
	}
	e := s.cur
	switch {
	case from == messageField:
		e.SetHeader(to, string(e.Body))
		e.Body = nil
	case to == messageField:
		v, ok := e.Headers[from]
		if !ok {
			return false // an object cannot become the body
		}
		e.Body = []byte(v)
		delete(e.Headers, from)
	default:
		if v, ok := e.Headers[from]; ok {
			e.Headers[to] = v
			delete(e.Headers, from)
		}
		prefix := from + "."
		for k, v := range e.Headers {
			if strings.HasPrefix(k, prefix) {
				e.Headers[to+"."+k[len(prefix):]] = v
				delete(e.Headers, k)
			}
		}
	}
	return true
}

// appendTo adds v, or each element of an array v, to the comma-separated list in header name,
// unless it is there already.
func (s *session) appendTo(name string, v goja.Value) {
	if goja.IsNull(v) || goja.IsUndefined(v) {
		return
	}
	if o, ok := v.(*goja.Object); ok && o.ClassName() == "Array" {
		for _, k := range o.Keys() {
			addToList(s.cur, name, s.text(o.Get(k)))
		}
		return
	}
	addToList(s.cur, name, s.text(v))
}

// addToList adds item to the comma-separated list in e's header name unless it is there.
func addToList(e *channel.Event, name, item string) {
	list, ok := e.Headers[name]
	switch {
	case !ok || list == "":
		e.SetHeader(name, item)
	case !inList(list, item):
		e.Headers[name] = list + "," + item
	}
}

// inList reports whether item is an element of the comma-separated list.
func inList(list, item string) bool {
	for list != "" {
		var el string
		el, list, _ = strings.Cut(list, ",")
		if el == item {
			return true
		}
	}
	return false
}

// listOf splits a comma-separated list; "" is the empty list.
func listOf(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// toJS converts a params value into native JavaScript values (objects, arrays, numbers,
// strings, booleans, null).
func toJS(vm *goja.Runtime, v cty.Value) goja.Value {
	if v.IsNull() || !v.IsKnown() {
		return goja.Null()
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return vm.ToValue(v.AsString())
	case t == cty.Bool:
		return vm.ToValue(v.True())
	case t == cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			if i, acc := bf.Int64(); acc == big.Exact {
				return vm.ToValue(i)
			}
		}
		f, _ := bf.Float64()
		return vm.ToValue(f)
	case t.IsObjectType() || t.IsMapType():
		o := vm.NewObject()
		m := v.AsValueMap()
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			_ = o.Set(k, toJS(vm, m[k]))
		}
		return o
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		var items []any
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			items = append(items, toJS(vm, e))
		}
		return vm.NewArray(items...)
	}
	return goja.Null()
}
