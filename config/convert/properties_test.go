package convert

import (
	"reflect"
	"testing"
)

func TestParsePropertiesReadsJavaSyntax(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []Property
	}{
		{"equals", "a = b\n", []Property{{"a", "b", 1}}},
		{"colon", "a:b", []Property{{"a", "b", 1}}},
		{"white space only", "a   b c", []Property{{"a", "b c", 1}}},
		{"no value", "a\n", []Property{{"a", "", 1}}},
		{"comments and blank lines", "# c\n! c\n\n   \n a=1", []Property{{"a", "1", 5}}},
		{"hash inside a value", "a = b # not a comment", []Property{{"a", "b # not a comment", 1}}},
		{"continuation", "a = one \\\n    two \\\n  three\nb=2", []Property{{"a", "one two three", 1}, {"b", "2", 4}}},
		{"even backslashes do not continue", "a = c:\\\\\nb = 2", []Property{{"a", `c:\`, 1}, {"b", "2", 2}}},
		{"escapes", `a = t\tn\nu\u00e9 \d`, []Property{{"a", "t\tn\nué d", 1}}},
		{"escaped separator in key", `my\ key\=x = v`, []Property{{"my key=x", "v", 1}}},
		{"CRLF", "a=1\r\nb=2\r\n", []Property{{"a", "1", 1}, {"b", "2", 2}}},
		{"second separator belongs to the value", "a = = b", []Property{{"a", "= b", 1}}},
		{"surrogate pair", `a = \ud83d\ude00`, []Property{{"a", "😀", 1}}},
		{"the malformed key of avro-hdfs.conf", "a2.sinks.k1.hdfs fileType = DataStream", []Property{{"a2.sinks.k1.hdfs", "fileType = DataStream", 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProperties(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRegexToGlob(t *testing.T) {
	for _, tc := range []struct {
		re, glob string
		exact    bool
	}{
		{"example.log", "example.log", true},
		{".*log.*", "*log*", true},
		{"app-.*\\.log", "app-*.log", true},
		{"^access\\.log$", "access.log", true},
		{"log-\\d\\d\\.txt", "log-[0-9][0-9].txt", true},
		{"[ab]pp.log", "[ab]pp.log", true},
		{"app.log.+", "app.log?*", true},
		{"a(b|c)d", "a*d", false},
		{"app|web", "*", false},
		{"app-[0-9]+\\.log", "app-[0-9]*.log", false},
		{"apps?\\.log", "app*.log", false},
		{"x\\s+y", "x*y", false},
	} {
		glob, exact := regexToGlob(tc.re)
		if glob != tc.glob || exact != tc.exact {
			t.Errorf("regexToGlob(%q) = %q, %v; want %q, %v", tc.re, glob, exact, tc.glob, tc.exact)
		}
	}
}
