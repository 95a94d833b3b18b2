package jsonfields

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flumego/flumego/channel"
)

// headers parses doc with o and returns the headers it sets on an event without any.
func headers(t testing.TB, o Options, doc string) (map[string]string, *Doc, error) {
	t.Helper()
	d := New(o).Doc()
	t.Cleanup(d.Release)
	if err := d.Parse([]byte(doc)); err != nil {
		return nil, d, err
	}
	var e channel.Event
	d.SetHeaders(&e, true)
	if e.Headers == nil {
		e.Headers = map[string]string{}
	}
	return e.Headers, d, nil
}

func opts(mod func(*Options)) Options {
	o := Options{MaxDepth: DefaultMaxDepth}
	if mod != nil {
		mod(&o)
	}
	return o
}

func TestFlatten(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		doc  string
		want map[string]string
	}{
		{"strings, numbers, booleans and null", opts(nil),
			`{"level":"error","code":503,"ratio":-1.5e3,"ok":true,"bad":false,"user":null}`,
			map[string]string{"level": "error", "code": "503", "ratio": "-1.5e3", "ok": "true", "bad": "false", "user": "null"}},
		{"nested objects are flattened with dots", opts(nil),
			`{"http":{"request":{"method":"GET"},"status":200},"a":{"b":{"c":{"d":"deep"}}}}`,
			map[string]string{"http.request.method": "GET", "http.status": "200", "a.b.c.d": "deep"}},
		{"arrays and empty objects are their compact JSON text", opts(nil),
			`{"tags": [ "a", 1, {"x" : [true, null]} ], "empty": {}, "none": [ ]}`,
			map[string]string{"tags": `["a",1,{"x":[true,null]}]`, "empty": "{}", "none": "[]"}},
		{"escapes are decoded", opts(nil),
			`{"msg":"a \"quoted\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 end","k\u00e9y":"v"}`,
			map[string]string{"msg": "a \"quoted\" \\ / \b\f\n\r\t é 😀 end", "kéy": "v"}},
		{"a lone surrogate becomes U+FFFD", opts(nil),
			`{"a":"x\ud800y","b":"\udc00","c":"\ud800\u0041"}`,
			map[string]string{"a": "x\uFFFDy", "b": "\uFFFD", "c": "\uFFFDA"}},
		{"invalid UTF-8 becomes U+FFFD per byte, in arrays too", opts(nil),
			"{\"a\":\"x\xff\xfey\",\"l\":[\"\xc3\"]}",
			map[string]string{"a": "x\uFFFD\uFFFDy", "l": "[\"\uFFFD\"]"}},
		{"duplicate keys: the last wins", opts(nil),
			`{"level":"info","level":"error","a":{"b":1},"a.b":2}`,
			map[string]string{"level": "error", "a.b": "2"}},
		{"a byte order mark and whitespace around are allowed", opts(nil),
			"\xEF\xBB\xBF \r\n{\"a\":1}\r\n",
			map[string]string{"a": "1"}},
		{"target prefix", opts(func(o *Options) { o.Prefix = "json." }),
			`{"level":"warn","http":{"status":404}}`,
			map[string]string{"json.level": "warn", "json.http.status": "404"}},
		{"selected fields, top-level and dotted", opts(func(o *Options) { o.Fields = []string{"level", "http.status", "user"} }),
			`{"level":"warn","msg":"x","http":{"status":404,"method":"GET"},"user":{"id":7,"name":"ann"}}`,
			map[string]string{"level": "warn", "http.status": "404", "user.id": "7", "user.name": "ann"}},
		{"a selected path through a non-object finds nothing", opts(func(o *Options) { o.Fields = []string{"http.status"} }),
			`{"http":"down"}`, map[string]string{}},
		{"max_depth keeps deeper objects as text", opts(func(o *Options) { o.MaxDepth = 2 }),
			`{"a":{"b":{"c":{"d":1}}, "x": 1},"top":{ }}`,
			map[string]string{"a.b": `{"c":{"d":1}}`, "a.x": "1", "top": "{}"}},
		{"max_depth 1 flattens nothing", opts(func(o *Options) { o.MaxDepth = 1 }),
			`{"a":{"b":1}}`, map[string]string{"a": `{"b":1}`}},
		{"the message key is not a header", opts(func(o *Options) { o.MessageKey = "message" }),
			`{"message":"hello","level":"info"}`, map[string]string{"level": "info"}},
		{"unless fields names it", opts(func(o *Options) { o.MessageKey = "message"; o.Fields = []string{"message"} }),
			`{"message":"hello","level":"info"}`, map[string]string{"message": "hello"}},
		{"an empty top-level object gives nothing", opts(nil), `{}`, map[string]string{}},
		{"an empty key is a name", opts(nil), `{"":1,"a":{"":2}}`, map[string]string{"": "1", "a.": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := headers(t, tt.o, tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("headers = %q\nwant      %q", got, tt.want)
			}
		})
	}
}

func TestTruncatedReportsMaxDepth(t *testing.T) {
	o := opts(func(o *Options) { o.MaxDepth = 2 })
	for doc, want := range map[string]bool{
		`{"a":{"b":{"c":1}}}`:   true,
		`{"a":{"b":[{"c":1}]}}`: false, // arrays are text at any depth
		`{"a":{"b":1}}`:         false,
	} {
		if _, d, err := headers(t, o, doc); err != nil || d.Truncated() != want {
			t.Errorf("%s: Truncated() = %v (%v), want %v", doc, d.Truncated(), err, want)
		}
	}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		doc, want string
		found     bool
	}{
		{`{"message":"line \"one\"\nnext","level":"info"}`, "line \"one\"\nnext", true},
		{`{"level":"info","message":{"text": "x", "n": [1, 2]}}`, `{"text":"x","n":[1,2]}`, true},
		{`{"message":42}`, "42", true},
		{`{"message":"first","message":"last"}`, "last", true},
		{`{"msg":"x","nested":{"message":"no"}}`, "", false},
	}
	for _, tt := range tests {
		_, d, err := headers(t, opts(func(o *Options) { o.MessageKey = "message" }), tt.doc)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(d.AppendMessage([]byte("prefix:"))); d.HasMessage() != tt.found || got != "prefix:"+tt.want {
			t.Errorf("%s: message %q (found %v), want %q (%v)", tt.doc, got, d.HasMessage(), tt.want, tt.found)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct{ doc, msg string }{
		{``, "empty document"},
		{"  \n", "empty document"},
		{`[1,2]`, "not a JSON object"},
		{`"text"`, "not a JSON object"},
		{`plain log line`, "not a JSON object"},
		{`{"a":1} trailing`, "data after the JSON object at offset 8"},
		{`{"a":1}{"b":2}`, "data after the JSON object"},
		{`{"a":1`, "want ',' or '}'"},
		{`{"a":"open`, "unexpected end of the document in a string"},
		{`{"a":[1,,2]}`, "invalid character ',' looking for a value"},
		{`{"a":[1 2]}`, "want ',' or ']'"},
		{`{a:1}`, "want a string key"},
		{`{"a" 1}`, "want ':'"},
		{`{"a":01}`, "want ',' or '}'"},
		{`{"a":1.}`, "want digits after '.'"},
		{`{"a":1e}`, "want digits in the exponent"},
		{`{"a":-}`, "invalid number"},
		{`{"a":tru}`, "want true"},
		{`{"a":nulll}`, "want ',' or '}'"},
		{"{\"a\":\"tab\tin\"}", "control character"},
		{`{"a":"\x"}`, "invalid escape"},
		{`{"a":"\u12"}`, `invalid \u escape`},
		{`{"a":{"b":[{"c":"\q"}]}}`, "invalid escape"},
		{`{"a":1,}`, "want a string key"},
		{`{"a":[1,]}`, "invalid character ']'"},
		{`{"a":` + strings.Repeat("[", MaxNesting) + strings.Repeat("]", MaxNesting) + `}`, "nested deeper than 1000"},
		{strings.Repeat(`{"a":`, MaxNesting+1) + "1" + strings.Repeat("}", MaxNesting+1), "nested deeper than 1000"},
	}
	for _, tt := range tests {
		_, d, err := headers(t, opts(func(o *Options) { o.MessageKey = "a" }), tt.doc)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%.60q: error %v, want one containing %q", tt.doc, err, tt.msg)
			continue
		}
		if d.Len() != 0 || d.HasMessage() {
			t.Errorf("%.60q: a failed parse left %d headers (message %v)", tt.doc, d.Len(), d.HasMessage())
		}
	}
	// Just under the bound parses.
	deep := `{"a":` + strings.Repeat("[", MaxNesting-1) + strings.Repeat("]", MaxNesting-1) + `}`
	if _, _, err := headers(t, opts(nil), deep); err != nil {
		t.Errorf("nesting of %d: %v", MaxNesting, err)
	}
}

func TestSetHeadersOverwrite(t *testing.T) {
	d := New(opts(nil)).Doc()
	defer d.Release()
	if err := d.Parse([]byte(`{"host":"parsed","level":"info","level":"warn"}`)); err != nil {
		t.Fatal(err)
	}
	keep := channel.Event{Headers: map[string]string{"host": "original"}}
	d.SetHeaders(&keep, false)
	if want := map[string]string{"host": "original", "level": "warn"}; !maps.Equal(keep.Headers, want) {
		t.Errorf("without overwrite: %v, want %v", keep.Headers, want)
	}
	over := channel.Event{Headers: map[string]string{"host": "original"}}
	d.SetHeaders(&over, true)
	if want := map[string]string{"host": "parsed", "level": "warn"}; !maps.Equal(over.Headers, want) {
		t.Errorf("with overwrite: %v, want %v", over.Headers, want)
	}
}

func TestOneMiBLine(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	doc := `{"level":"info","message":"` + big + `","list":[` + strings.Repeat(`"y",`, 1<<16) + `"z"]}`
	got, d, err := headers(t, opts(func(o *Options) { o.MessageKey = "message" }), doc)
	if err != nil {
		t.Fatal(err)
	}
	if got["level"] != "info" || len(got["list"]) != 4*(1<<16)+5 || string(d.AppendMessage(nil)) != big {
		t.Errorf("level %q, list of %d bytes", got["level"], len(got["list"]))
	}
}

func TestOptionsValidate(t *testing.T) {
	o := Options{MaxDepth: 2, Fields: []string{"ok", "a.b", "", ".x", "y.", "a..b", "a.b.c"}}
	err := o.Validate()
	for _, want := range []string{`fields: "" is not`, `fields: ".x" is not`, `fields: "y." is not`, `fields: "a..b" is not`, `fields: "a.b.c" has 3 segments, more than max_depth (2)`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in %v", want, err)
		}
	}
	if strings.Contains(err.Error(), `"ok"`) || strings.Contains(err.Error(), `"a.b" `) {
		t.Errorf("valid fields reported: %v", err)
	}
	for _, depth := range []int{0, 101} {
		if err := (&Options{MaxDepth: depth}).Validate(); err == nil || !strings.Contains(err.Error(), "max_depth: must be 1-100") {
			t.Errorf("max_depth %d: %v", depth, err)
		}
	}
}

// reference flattens doc with encoding/json, walking members in document order: the behaviour
// the scanner must match.
func reference(t testing.TB, raw json.RawMessage, o Options, path string, depth int, out map[string]any, msg *json.RawMessage) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // '{'
		t.Fatal(err)
	}
	empty := true
	for dec.More() {
		empty = false
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		name := key
		if path != "" {
			name = path + "." + key
		}
		if path == "" && o.MessageKey != "" && key == o.MessageKey {
			*msg = v
			continue
		}
		switch {
		case v[0] == '{' && depth < o.MaxDepth:
			reference(t, v, o, name, depth+1, out, msg)
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				t.Fatal(err)
			}
			out[name] = s
		case v[0] == '{' || v[0] == '[':
			var x any
			if err := json.Unmarshal(v, &x); err != nil {
				t.Fatal(err)
			}
			out[name] = x
		default:
			out[name] = string(v)
		}
	}
	if empty && path != "" {
		out[path] = map[string]any{}
	}
}

func nesting(b []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '{' || c == '['):
			depth++
			deepest = max(deepest, depth)
		case !inString && (c == '}' || c == ']'):
			depth--
		}
	}
	return deepest
}

// FuzzParse checks the scanner against encoding/json: the same documents are accepted, and an
// accepted one gives the same names and values (arrays and truncated objects compared as JSON
// values, and always valid JSON in valid UTF-8).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"level":"error","code":503,"ok":true,"user":null,"message":"m"}`,
		`{"http":{"request":{"method":"GET"}},"tags":["a",{"b":[1,2.5e-3]}],"e":{}}`,
		`{"a":"\ud800\u0041\"\\\/\b\f\n\r\t","k\u00e9":"\ud83d\ude00"}`,
		"{\"a\":\"\xff\xfe\",\"b\":[\"\xc3\"]}",
		`{"level":"info","level":"warn","a":{"b":1},"a.b":2}`,
		`{"a":1} trailing`, `[1]`, `"x"`, ``, `{"a":01}`, `{"a":[1,,2]}`,
		"\xEF\xBB\xBF{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}",
		`{"message":{"nested":[1,{"x":null}]},"m":-0.0E+1}`,
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, depth uint8) {
		o := Options{MaxDepth: int(depth%6) + 1, MessageKey: "message"}
		d := New(o).Doc()
		defer d.Release()
		err := d.Parse(data)
		body := bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		isObject := json.Valid(body) && len(trimmed) > 0 && trimmed[0] == '{'
		if err != nil {
			if isObject && !(strings.Contains(err.Error(), "nested deeper") && nesting(body) > MaxNesting) {
				t.Fatalf("encoding/json accepts %q, the scanner says %v", data, err)
			}
			return
		}
		if !isObject {
			t.Fatalf("the scanner accepts %q, encoding/json does not", data)
		}
		var e channel.Event
		d.SetHeaders(&e, true)
		want := map[string]any{}
		var msg json.RawMessage
		reference(t, body, o, "", 1, want, &msg)
		if len(want) != len(e.Headers) {
			t.Fatalf("%q: headers %q, want %v", data, e.Headers, want)
		}
		for name, w := range want {
			got, ok := e.Headers[name]
			if !ok {
				t.Fatalf("%q: no header %q in %q", data, name, e.Headers)
			}
			if !utf8.ValidString(got) {
				t.Fatalf("%q: header %q = %q is not valid UTF-8", data, name, got)
			}
			switch w := w.(type) {
			case string:
				if got != w {
					t.Fatalf("%q: header %q = %q, want %q", data, name, got, w)
				}
			default:
				var g any
				if err := json.Unmarshal([]byte(got), &g); err != nil || !reflect.DeepEqual(g, w) {
					t.Fatalf("%q: header %q = %q (%v), want the JSON value %v", data, name, got, err, w)
				}
			}
		}
		if d.HasMessage() != (msg != nil) {
			t.Fatalf("%q: HasMessage %v", data, d.HasMessage())
		}
		if msg != nil {
			got := d.AppendMessage(nil)
			var w, g any
			if msg[0] == '"' {
				var s string
				json.Unmarshal(msg, &s)
				if string(got) != s {
					t.Fatalf("%q: message %q, want %q", data, got, s)
				}
			} else if json.Unmarshal(msg, &w) != nil || json.Unmarshal(got, &g) != nil || !reflect.DeepEqual(g, w) {
				t.Fatalf("%q: message %q, want %s", data, got, msg)
			}
		}
	})
}
