package agent

import (
	"reflect"

	"github.com/hashicorp/hcl/v2"
)

var (
	rangeType = reflect.TypeFor[hcl.Range]()
	posType   = reflect.TypeFor[hcl.Pos]()
)

// sameSettings reports whether two decoded component configs hold the same settings. It is a
// deep comparison of what the user wrote, made for reload, and deliberately blind to what is
// not a setting:
//
//   - hcl.Range and hcl.Pos values: adding a line above a component moves its source range
//     without changing it;
//   - unexported fields: derived state such as the ranges a selector keeps for its diagnostics
//     or a test hook;
//   - funcs and channels: hooks, never settings.
//
// A struct with no exported fields at all (an opaque value such as a compiled pattern) is
// compared with reflect.DeepEqual. Nil and empty slices and maps are the same.
func sameSettings(a, b any) bool {
	return sameValue(reflect.ValueOf(a), reflect.ValueOf(b))
}

func sameValue(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	t := a.Type()
	if t == rangeType || t == posType {
		return true
	}
	switch a.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return true
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Struct:
		exported := 0
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			exported++
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		if exported == 0 && t.NumField() > 0 && a.CanInterface() && b.CanInterface() {
			return reflect.DeepEqual(a.Interface(), b.Interface())
		}
		return true
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for it := a.MapRange(); it.Next(); {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !sameValue(it.Value(), bv) {
				return false
			}
		}
		return true
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Complex64, reflect.Complex128:
		return a.Complex() == b.Complex()
	case reflect.String:
		return a.String() == b.String()
	}
	return false
}
