package serializer

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/flumego/flumego/internal/testkit"
)

// decodeJSON decodes a whole document as encoding/json does, numbers kept as written.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// replaceInvalid replaces every byte that is not part of valid UTF-8 with U+FFFD.
func replaceInvalid(b []byte) string {
	var out []rune
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		out = append(out, r)
		b = b[n:]
	}
	return string(out)
}

// FuzzJSON checks that whatever the body and headers, every document is valid JSON that
// encoding/json reads, that a string body comes back as itself (invalid UTF-8 as U+FFFD per
// byte), and that a JSON body comes back as the value encoding/json reads from it.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"\\\t\n\x00\x1f\x7f", "bad\xff\xfe\xc3", "é✓😀", `{"a":1,"a":2}`,
		`{"log":{"x":[1,2,{"y":null}]},"n":-0.5e+3}`, `["\ud800","\udc00\ud83d\ude00"]`, `{"a":"\u00"}`, "[[[[[[]]]]]]", `"str"`, `{"a.b":1,"a":{"b":2}}`} {
		f.Add([]byte(s), "v.w")
	}
	text, _ := build(f, JSON, `types = { n = "number", j = "json", l = "list", b = "boolean" }`)
	embed, embedM := build(f, JSON, "body = \"json\"\nmax_depth = 10000")
	merge, _ := build(f, JSON, "body = \"json\"\nbody_under_root = true\npreset = \"filebeat\"\nagent_id = \"x\"")
	f.Fuzz(func(t *testing.T, body []byte, h string) {
		headers := map[string]string{h: h, "n": h, "j": string(body), "l": h, "b": h, "a": h, "a." + h: h, h + ".x": h}
		out, _ := text.AppendRecord(nil, &eventOf(headers, body).e)
		v, err := decodeJSON(out)
		if err != nil {
			t.Fatalf("invalid JSON %q: %v", out, err)
		}
		if got := v.(map[string]any)["message"]; got != replaceInvalid(body) {
			t.Fatalf("message %q, want %q", got, replaceInvalid(body))
		}

		before := testkit.Counter(embedM, "SerializerBodyNotJSONCount")
		out, _ = embed.AppendRecord(nil, &eventOf(nil, body).e)
		v, err = decodeJSON(out)
		if err != nil {
			t.Fatalf("invalid JSON %q: %v", out, err)
		}
		msg := v.(map[string]any)["message"]
		if fell := testkit.Counter(embedM, "SerializerBodyNotJSONCount") > before; fell == json.Valid(body) {
			t.Fatalf("body %q: json.Valid %v, fallback %v", body, json.Valid(body), fell)
		} else if fell {
			if msg != replaceInvalid(body) {
				t.Fatalf("fallback message %q, want %q", msg, replaceInvalid(body))
			}
		} else if want, _ := decodeJSON(body); !reflect.DeepEqual(msg, want) {
			t.Fatalf("body %q came back as %#v, want %#v", body, msg, want)
		}

		out, _ = merge.AppendRecord(nil, &eventOf(headers, body).e)
		if _, err := decodeJSON(out); err != nil || !json.Valid(out) {
			t.Fatalf("invalid JSON %q: %v", out, err)
		}
	})
}
