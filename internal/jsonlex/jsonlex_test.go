package jsonlex

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestAppendString(t *testing.T) {
	tests := []struct {
		name, in, want string
		end            int // -1: len(in)
		fault          Fault
	}{
		{"plain", `abc" tail`, "abc", 4, None},
		{"empty", `"`, "", 1, None},
		{"short escapes", `\"\\\/\b\f\n\r\t"`, "\"\\/\b\f\n\r\t", -1, None},
		{"a \\u escape", `caf\u00e9 \u00E9"`, "café é", -1, None},
		{"a surrogate pair", `\ud83d\ude00"`, "😀", -1, None},
		{"a lone high surrogate", `x\ud800y"`, "x\uFFFDy", -1, None},
		{"a lone low surrogate", `\udc00"`, "\uFFFD", -1, None},
		{"a high surrogate before another escape", `\ud800\u0041"`, "\uFFFDA", -1, None},
		{"a high surrogate before a short escape", `\ud800\n"`, "\uFFFD\n", -1, None},
		{"invalid UTF-8", "a\xff\xfeb\xe2\x9c\"", "a\uFFFD\uFFFDb\uFFFD\uFFFD", -1, None},
		{"valid UTF-8 and U+FFFD itself", "é✓😀\uFFFD\"", "é✓😀\uFFFD", -1, None},
		{"no closing quote", `abc`, "abc", 3, EndInString},
		{"a backslash at the end", `ab\`, "ab", 3, EndInString},
		{"a bad escape", `ab\x"`, "ab", 2, BadEscape},
		{"a short \\u escape", `ab\u12"`, "ab", 2, BadUnicodeEscape},
		{"a bad \\u escape after a high surrogate", `\ud800\u12g4"`, "\uFFFD", 6, BadUnicodeEscape},
		{"a control character", "ab\tc\"", "ab", 2, ControlChar},
	}
	for _, tt := range tests {
		end := tt.end
		if end < 0 {
			end = len(tt.in)
		}
		got, gotEnd, f := AppendString([]byte(">"), []byte(tt.in), 0)
		if string(got) != ">"+tt.want || gotEnd != end || f != tt.fault {
			t.Errorf("%s: AppendString(%q) = %q, %d, %v; want %q, %d, %v", tt.name, tt.in, got, gotEnd, f, ">"+tt.want, end, tt.fault)
		}
		if skipEnd, sf := SkipString([]byte(tt.in), 0); skipEnd != end || sf != tt.fault {
			t.Errorf("%s: SkipString(%q) = %d, %v; want %d, %v", tt.name, tt.in, skipEnd, sf, end, tt.fault)
		}
	}
}

func TestPlainEnd(t *testing.T) {
	for in, want := range map[string]int{`abc"`: 3, `a\n`: 1, "a\x01": 1, "é\xff": 3, ``: 0} {
		if got := PlainEnd([]byte(in), 0); got != want {
			t.Errorf("PlainEnd(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		in    string
		end   int
		fault Fault
	}{
		{"0", 1, None}, {"-0", 2, None}, {"12345,", 5, None}, {"1.5e3}", 5, None}, {"-0.25E-07 ", 9, None},
		{"1e+9", 4, None}, {"01", 1, None}, {"1.", 2, NoFraction}, {"1.e5", 2, NoFraction}, {"1e", 2, NoExponent},
		{"1e+", 3, NoExponent}, {"-", 1, BadNumber}, {"-a", 1, BadNumber}, {".5", 0, BadNumber}, {"+1", 0, BadNumber}, {"", 0, BadNumber},
	}
	for _, tt := range tests {
		if end, f := Number([]byte(tt.in), 0); end != tt.end || f != tt.fault {
			t.Errorf("Number(%q) = %d, %v; want %d, %v", tt.in, end, f, tt.end, tt.fault)
		}
	}
}

func TestLiteral(t *testing.T) {
	for _, tt := range []struct {
		in    string
		end   int
		fault Fault
	}{{"true", 4, None}, {"false,", 5, None}, {"null}", 4, None}, {"nulll", 4, None}, {"tru", 0, BadLiteral}, {"nul", 0, BadLiteral}, {"True", 0, BadLiteral}, {"", 0, BadLiteral}} {
		if end, f := Literal([]byte(tt.in), 0); end != tt.end || f != tt.fault {
			t.Errorf("Literal(%q) = %d, %v; want %d, %v", tt.in, end, f, tt.end, tt.fault)
		}
	}
}

func TestSpace(t *testing.T) {
	if got := Space([]byte(" \t\r\n x "), 0); got != 5 {
		t.Errorf("Space = %d, want 5", got)
	}
	if got := Space([]byte("  "), 1); got != 2 {
		t.Errorf("Space at the end = %d, want 2", got)
	}
}

// FuzzString checks strings against encoding/json: what the lexer reads as a string,
// encoding/json reads as the same string; what it refuses, encoding/json refuses too.
func FuzzString(f *testing.F) {
	for _, s := range []string{`"plain"`, `"\ud800\u0041\"\\\/\b\f\n\r\t"`, "\"\xff\xfe\xc3\"", `"\ud83d\ude00"`, `"\u12"`, "\"tab\t\"", `"open`, `"x\"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 || in[0] != '"' {
			return
		}
		got, end, fault := AppendString(nil, in, 1)
		if skipEnd, sf := SkipString(in, 1); skipEnd != end || sf != fault {
			t.Fatalf("%q: SkipString %d, %v; AppendString %d, %v", in, skipEnd, sf, end, fault)
		}
		if fault != None {
			// The string ends at its first unescaped quote, if any: it cannot be valid JSON.
			for k := 2; k <= len(in); k++ {
				if in[k-1] == '"' && json.Valid(in[:k]) {
					t.Fatalf("%q: %v at %d, but encoding/json accepts %q", in, fault, end, in[:k])
				}
			}
			return
		}
		var want string
		if err := json.Unmarshal(in[:end], &want); err != nil {
			t.Fatalf("%q: read %q, but encoding/json says %v", in, got, err)
		}
		if string(got) != want || !utf8.Valid(got) {
			t.Fatalf("%q: read %q, encoding/json reads %q", in, got, want)
		}
	})
}

// FuzzNumber checks numbers against encoding/json.
func FuzzNumber(f *testing.F) {
	for _, s := range []string{"0", "-12.5e+3", "01", "1.", "1e", "-", ".5"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 || in[0] != '-' && (in[0] < '0' || in[0] > '9') {
			return
		}
		end, fault := Number(in, 0)
		if fault == None && !json.Valid(in[:end]) {
			t.Fatalf("%q: read %q, which encoding/json refuses", in, in[:end])
		}
		if fault != None && json.Valid(in) {
			t.Fatalf("%q: %v at %d, but encoding/json accepts it", in, fault, end)
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"ascii", `192.168.10.24 - - [01/Dec/2026:19:46:35 +0000] GET /api/v1/items?id=12345 HTTP/1.1 200 5123 Mozilla/5.0 (X11; Linux x86_64)"`},
		{"escapes", `192.168.10.24 - - [01/Dec/2026:19:46:35 +0000] \"GET /api/v1/items?id=12345 HTTP/1.1\" 200 5123 \"-\" \"Mozilla/5.0\"\n"`},
		{"utf-8", `Größe überschritten: 12 MiB — la requête a été refusée, 请求被拒绝 ✓ caf\u00e9"`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			in := []byte(bc.text)
			var dst []byte
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				dst, _, _ = AppendString(dst[:0], in, 0)
			}
		})
	}
}
