// Package schema decodes a component's HCL body into its typed config struct, the second stage
// of STYLE 9: defaults, then decode, then validate. It adds what gohcl lacks: durations
// ("30s"), sizes ("128MiB"), and validation errors that point at the attribute they are about,
// so every diagnostic reads `flume.hcl:12,3-9: ...`.
//
// Struct fields are tagged like gohcl's: `hcl:"name"` (required attribute), `hcl:"name,optional"`,
// `hcl:"name,block"` (a nested struct, a pointer to one for an optional block, or a slice for a
// repeated block) and `hcl:"name,label"` inside a block struct. Fields of type time.Duration
// accept a string ("30s", "1m30s") or a number of seconds; fields of type Size accept a number
// of bytes or a string with a unit ("512", "64KiB", "128MB"). A block whose settings depend on
// its label (a sink's `serializer "json" { ... }`) is a struct implementing BlockDecoder.
package schema

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Size is a number of bytes.
type Size int64

// ParseSize reads a size such as "512", "64KiB", "128MB" or "1.5GiB". Units: B, KB/K, MB/M,
// GB/G, TB/T (powers of 1000) and KiB, MiB, GiB, TiB (powers of 1024); case-insensitive.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToLower(strings.TrimSpace(t[i:]))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes or a number with a unit such as \"64KiB\" or \"128MB\"", s)
	}
	var mult float64
	switch unit {
	case "", "b":
		mult = 1
	case "k", "kb":
		mult = 1e3
	case "m", "mb":
		mult = 1e6
	case "g", "gb":
		mult = 1e9
	case "t", "tb":
		mult = 1e12
	case "ki", "kib":
		mult = 1 << 10
	case "mi", "mib":
		mult = 1 << 20
	case "gi", "gib":
		mult = 1 << 30
	case "ti", "tib":
		mult = 1 << 40
	default:
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, KB, MB, GB, KiB, MiB, GiB)", s, strings.TrimSpace(t[i:]))
	}
	return Size(f * mult), nil
}

// String prints the size with the largest binary unit that divides it.
func (s Size) String() string {
	units := []string{"TiB", "GiB", "MiB", "KiB"}
	for i, u := range units {
		m := int64(1) << (10 * (4 - i))
		if s != 0 && int64(s)%m == 0 {
			return fmt.Sprintf("%d%s", int64(s)/m, u)
		}
	}
	return fmt.Sprintf("%dB", int64(s))
}

// ParseDuration reads a duration: a Go duration string ("30s", "1m30s", "250ms").
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want a string such as \"30s\", \"500ms\" or \"1m30s\"", s)
	}
	return d, nil
}

// AttrError is a validation error about one attribute. Decode turns it into a diagnostic whose
// subject is that attribute (or the block, when the attribute was not written).
type AttrError struct {
	// Attr is the attribute's name; inside nested blocks, the block type, its labels and the
	// attribute joined by dots ("multiline.pattern", "filegroup.app.path"; an unlabelled
	// repeated block adds its index: "header.0.name").
	Attr string
	Err  error
}

func (e *AttrError) Error() string { return e.Attr + ": " + e.Err.Error() }
func (e *AttrError) Unwrap() error { return e.Err }

// Errorf returns an AttrError for attribute attr.
func Errorf(attr, format string, args ...any) error {
	return &AttrError{Attr: attr, Err: fmt.Errorf(format, args...)}
}

// Validator is implemented by config structs that check themselves after decoding. Validate
// returns nil, one error, or several joined with errors.Join; AttrErrors point at attributes.
type Validator interface {
	Validate() error
}

// Warner is implemented by config structs that have advice that does not stop the agent
// (a deprecated setting, a value likely to be a mistake).
type Warner interface {
	Warnings() []error
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	sizeType     = reflect.TypeOf(Size(0))
)

// Decode decodes body into target (a pointer to a struct that holds its defaults), then calls
// its Validate method, if any. Every problem is reported, each with its position. subject is
// the range diagnostics without a more precise position point at (the component's block header),
// and what names the component in every message ("source \"netcat\" \"r1\"").
func Decode(body hcl.Body, ectx *hcl.EvalContext, target any, what string, subject hcl.Range) hcl.Diagnostics {
	ranges := map[string]hcl.Range{}
	diags := decodeBody(body, ectx, reflect.ValueOf(target).Elem(), "", ranges, what)
	// Validate even after decode errors, so one run reports every problem; but only what was
	// decoded: an attribute that is missing or failed to decode was reported already.
	if v, ok := target.(Validator); ok {
		vd := ToDiagnostics(v.Validate(), hcl.DiagError, what, subject, ranges)
		if diags.HasErrors() {
			vd = onlyDecoded(vd, v.Validate(), ranges)
		}
		diags = append(diags, vd...)
	}
	if w, ok := target.(Warner); ok {
		diags = append(diags, ToDiagnostics(errors.Join(w.Warnings()...), hcl.DiagWarning, what, subject, ranges)...)
	}
	return diags
}

// ToDiagnostics turns a (possibly joined) error into diagnostics, placing AttrErrors at their
// attribute's range when known.
func ToDiagnostics(err error, sev hcl.DiagnosticSeverity, what string, subject hcl.Range, ranges map[string]hcl.Range) hcl.Diagnostics {
	if err == nil {
		return nil
	}
	var out hcl.Diagnostics
	for _, e := range flatten(err) {
		rng := subject
		msg := e.Error()
		var ae *AttrError
		if errors.As(e, &ae) {
			if r, ok := ranges[ae.Attr]; ok {
				rng = r
			}
		}
		r := rng
		out = append(out, &hcl.Diagnostic{Severity: sev, Summary: what + ": " + msg, Subject: &r})
	}
	return out
}

// onlyDecoded keeps the validation diagnostics about attributes that were decoded.
func onlyDecoded(vd hcl.Diagnostics, err error, ranges map[string]hcl.Range) hcl.Diagnostics {
	var out hcl.Diagnostics
	for i, e := range flatten(err) {
		var ae *AttrError
		if errors.As(e, &ae) {
			if _, ok := ranges[ae.Attr]; ok && i < len(vd) {
				out = append(out, vd[i])
			}
		}
	}
	return out
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			if e != nil {
				out = append(out, flatten(e)...)
			}
		}
		return out
	}
	return []error{err}
}

type fieldInfo struct {
	index    int
	name     string
	kind     string // attr, block, label
	optional bool
}

func fieldsOf(t reflect.Type) []fieldInfo {
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("hcl")
		if !ok || !f.IsExported() {
			continue
		}
		parts := strings.Split(tag, ",")
		fi := fieldInfo{index: i, name: parts[0], kind: "attr"}
		for _, p := range parts[1:] {
			switch p {
			case "optional":
				fi.optional = true
			case "block":
				fi.kind = "block"
			case "label":
				fi.kind = "label"
			}
		}
		out = append(out, fi)
	}
	return out
}

// RequiredAttrs lists the attributes a config struct (or a pointer to one) requires: those
// whose hcl tag is not optional.
func RequiredAttrs(cfg any) []string {
	t := reflect.TypeOf(cfg)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for _, f := range fieldsOf(t) {
		if f.kind == "attr" && !f.optional {
			out = append(out, f.name)
		}
	}
	return out
}

func schemaOf(t reflect.Type) (*hcl.BodySchema, []string) {
	s := &hcl.BodySchema{}
	var labels []string
	for _, f := range fieldsOf(t) {
		switch f.kind {
		case "attr":
			s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: f.name, Required: !f.optional})
		case "block":
			bt := t.Field(f.index).Type
			for bt.Kind() == reflect.Pointer || bt.Kind() == reflect.Slice {
				bt = bt.Elem()
			}
			var bl []string
			for _, bf := range fieldsOf(bt) {
				if bf.kind == "label" {
					bl = append(bl, bf.name)
				}
			}
			s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: f.name, LabelNames: bl})
		case "label":
			labels = append(labels, f.name)
		}
	}
	return s, labels
}

func decodeBody(body hcl.Body, ectx *hcl.EvalContext, v reflect.Value, prefix string, ranges map[string]hcl.Range, what string) hcl.Diagnostics {
	t := v.Type()
	s, _ := schemaOf(t)
	content, diags := body.Content(s)
	for i := range diags {
		diags[i].Summary = what + ": " + diags[i].Summary
	}
	blockCounts := map[string]int{}
	for _, f := range fieldsOf(t) {
		fv := v.Field(f.index)
		switch f.kind {
		case "attr":
			attr, ok := content.Attributes[f.name]
			if !ok {
				continue
			}
			d := decodeAttr(attr, ectx, fv, what)
			if !d.HasErrors() {
				ranges[prefix+f.name] = attr.Expr.Range()
			}
			diags = append(diags, d...)
		case "block":
			var blocks []*hcl.Block
			for _, b := range content.Blocks {
				if b.Type == f.name {
					blocks = append(blocks, b)
				}
			}
			diags = append(diags, decodeBlocks(blocks, ectx, fv, f, prefix, ranges, blockCounts, what)...)
		}
	}
	return diags
}

func decodeBlocks(blocks []*hcl.Block, ectx *hcl.EvalContext, fv reflect.Value, f fieldInfo, prefix string, ranges map[string]hcl.Range, counts map[string]int, what string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	ft := fv.Type()
	one := func(b *hcl.Block, target reflect.Value) {
		key := prefix + b.Type + "."
		if len(b.Labels) > 0 {
			key += strings.Join(b.Labels, ".") + "."
		} else if ft.Kind() == reflect.Slice {
			key += strconv.Itoa(counts[b.Type]) + "."
		}
		counts[b.Type]++
		ranges[strings.TrimSuffix(key, ".")] = b.DefRange
		li := 0
		for _, lf := range fieldsOf(target.Type()) {
			if lf.kind == "label" && li < len(b.Labels) {
				target.Field(lf.index).SetString(b.Labels[li])
				li++
			}
		}
		if bd, ok := target.Addr().Interface().(BlockDecoder); ok {
			diags = append(diags, bd.DecodeBlock(b.Body, ectx, fmt.Sprintf("%s: %s %s", what, b.Type, quoteLabels(b.Labels)), b.DefRange)...)
			return
		}
		diags = append(diags, decodeBody(b.Body, ectx, target, key, ranges, what)...)
	}
	switch ft.Kind() {
	case reflect.Slice:
		for _, b := range blocks {
			elem := reflect.New(ft.Elem()).Elem()
			if ft.Elem().Kind() == reflect.Pointer {
				elem = reflect.New(ft.Elem().Elem())
				one(b, elem.Elem())
			} else {
				one(b, elem)
			}
			fv.Set(reflect.Append(fv, elem))
		}
	case reflect.Pointer:
		if len(blocks) > 1 {
			diags = append(diags, duplicateBlock(blocks[1], what))
		}
		if len(blocks) > 0 {
			if fv.IsNil() {
				fv.Set(reflect.New(ft.Elem()))
			}
			one(blocks[0], fv.Elem())
		}
	default:
		if len(blocks) > 1 {
			diags = append(diags, duplicateBlock(blocks[1], what))
		}
		if len(blocks) > 0 {
			one(blocks[0], fv)
		} else if !f.optional {
			// A required single block that is missing: gohcl's convention is to report it.
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError,
				Summary: fmt.Sprintf("%s: missing %q block", what, f.name)})
		}
	}
	return diags
}

// BlockDecoder is implemented by a block struct whose body's schema depends on its labels, such
// as a sink's `serializer "json" { ... }`: Decode sets the struct's label fields, then hands it
// the block's body instead of decoding the struct's own fields. what names the block in
// messages (`sink "kafka" "k1": serializer "json"`) and subject is its header's range.
type BlockDecoder interface {
	DecodeBlock(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) hcl.Diagnostics
}

func quoteLabels(labels []string) string {
	q := make([]string, len(labels))
	for i, l := range labels {
		q[i] = strconv.Quote(l)
	}
	return strings.Join(q, " ")
}

func duplicateBlock(b *hcl.Block, what string) *hcl.Diagnostic {
	r := b.DefRange
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("%s: duplicate %q block", what, b.Type),
		Detail: "Only one such block is allowed here.", Subject: &r}
}

func decodeAttr(attr *hcl.Attribute, ectx *hcl.EvalContext, fv reflect.Value, what string) hcl.Diagnostics {
	rng := attr.Expr.Range()
	bad := func(format string, args ...any) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError,
			Summary: fmt.Sprintf("%s: %s: %s", what, attr.Name, fmt.Sprintf(format, args...)), Subject: &rng}}
	}
	switch fv.Type() {
	case durationType:
		val, diags := attr.Expr.Value(ectx)
		if diags.HasErrors() {
			return prefixDiags(diags, what)
		}
		switch {
		case val.IsNull():
			return bad("must not be null")
		case val.Type() == cty.Number:
			f, _ := val.AsBigFloat().Float64()
			fv.SetInt(int64(f * float64(time.Second)))
		case val.Type() == cty.String:
			d, err := ParseDuration(val.AsString())
			if err != nil {
				return bad("%v", err)
			}
			fv.SetInt(int64(d))
		default:
			return bad("want a duration such as \"30s\", got %s", val.Type().FriendlyName())
		}
		if fv.Int() < 0 {
			return bad("must not be negative")
		}
		return nil
	case sizeType:
		val, diags := attr.Expr.Value(ectx)
		if diags.HasErrors() {
			return prefixDiags(diags, what)
		}
		switch {
		case val.IsNull():
			return bad("must not be null")
		case val.Type() == cty.Number:
			f, _ := val.AsBigFloat().Float64()
			if f < 0 {
				return bad("must not be negative")
			}
			fv.SetInt(int64(f))
		case val.Type() == cty.String:
			s, err := ParseSize(val.AsString())
			if err != nil {
				return bad("%v", err)
			}
			fv.SetInt(int64(s))
		default:
			return bad("want a size such as \"64KiB\", got %s", val.Type().FriendlyName())
		}
		return nil
	}
	if fv.Kind() == reflect.Int || fv.Kind() == reflect.Int64 {
		// gohcl truncates 1.5 to 1 silently; an integer setting should say so.
		val, diags := attr.Expr.Value(ectx)
		if diags.HasErrors() {
			return prefixDiags(diags, what)
		}
		if nv, err := convert.Convert(val, cty.Number); err == nil && nv.IsKnown() && !nv.IsNull() {
			if bf := nv.AsBigFloat(); !bf.IsInt() {
				return bad("want a whole number, got %s", bf.Text('g', -1))
			}
		}
	}
	diags := gohcl.DecodeExpression(attr.Expr, ectx, fv.Addr().Interface())
	return prefixDiags(diags, what)
}

func prefixDiags(diags hcl.Diagnostics, what string) hcl.Diagnostics {
	for _, d := range diags {
		if !strings.HasPrefix(d.Summary, what) {
			d.Summary = what + ": " + d.Summary
		}
	}
	return diags
}
