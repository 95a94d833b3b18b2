package interceptor

import (
	"reflect"
	"testing"
)

func TestDefaults(t *testing.T) {
	tests := []struct {
		f    Factory
		body string
		want any
	}{
		{NewTimestampFactory(), ``, &TimestampConfig{PreserveExisting: false, HeaderName: "timestamp"}},
		{NewHostFactory(), ``, &HostConfig{PreserveExisting: false, UseIP: true, HostHeader: "host"}},
		{NewStaticFactory(), ``, &StaticConfig{Key: "key", Value: "value", PreserveExisting: true}},
		{NewRemoveHeaderFactory(), ``, &RemoveHeaderConfig{FromListSeparator: `\s*,\s*`}},
		{NewUUIDFactory(), ``, &UUIDConfig{HeaderName: "id", PreserveExisting: true, Prefix: ""}},
		{NewSearchReplaceFactory(), `search_pattern = "x"`, &SearchReplaceConfig{SearchPattern: "x", ReplaceString: "", Charset: "UTF-8"}},
		{NewRegexFilterFactory(), ``, &RegexFilterConfig{Regex: ".*", ExcludeEvents: false}},
		{NewJSONFactory(), ``, &JSONConfig{MaxDepth: 10}},
		{NewRegexExtractorFactory(), `
			regex = "(a)"
			serializer "s1" { name = "one" }
		`, &RegexExtractorConfig{Regex: "(a)", Serializers: []ExtractorSerializer{{ID: "s1", Name: "one"}}}},
		{NewRegexHeaderFactory(), `
			header = "type"
			rule "n" { regex = "^[0-9]" }
		`, &RegexHeaderConfig{Header: "type", Rules: []RegexHeaderRule{{Value: "n", Regex: "^[0-9]"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.f.Type(), func(t *testing.T) {
			got := mustDecode(t, tt.f, tt.body)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded %+v, want %+v", got, tt.want)
			}
			if _, err := tt.f.Create(got, Settings{Type: tt.f.Type()}); err != nil {
				t.Errorf("create: %v", err)
			}
		})
	}
}

func TestDecodeDiagnostics(t *testing.T) {
	tests := []struct {
		name  string
		f     Factory
		body  string
		line  int
		parts []string
	}{
		{"unknown attribute", NewTimestampFactory(), `
header_name = "ts"
preserve    = true
`, 3, []string{`interceptor "x"`, "Unsupported argument", `"preserve"`}},
		{"empty header name", NewTimestampFactory(), `
header_name = ""
`, 2, []string{"header_name: must not be empty"}},
		{"wrong type", NewHostFactory(), `
use_ip = "maybe"
`, 2, []string{`interceptor "x"`, "bool"}},
		{"invalid regex", NewRegexFilterFactory(), `
exclude_events = true
regex          = "(?<=a)b"
`, 3, []string{"regex: invalid regular expression", "RE2"}},
		{"invalid matching regex", NewRemoveHeaderFactory(), `
with_name = "a"
matching  = "x("
`, 3, []string{"matching: invalid regular expression", `"x("`}},
		{"missing search_pattern", NewSearchReplaceFactory(), `
replace_string = "y"
`, 1, []string{`"search_pattern" is required`}},
		{"charset other than UTF-8", NewSearchReplaceFactory(), `
search_pattern = "x"
charset        = "ISO-8859-1"
`, 3, []string{`charset: charset "ISO-8859-1" is not supported: only UTF-8 is`}},
		{"bad group in replacement", NewSearchReplaceFactory(), `
search_pattern = "(x)"
replace_string = "$2"
`, 3, []string{"replace_string: no group 2"}},
		{"more serializers than groups", NewRegexExtractorFactory(), `
regex = "(a)"
serializer "s1" { name = "one" }
serializer "s2" { name = "two" }
`, 2, []string{"2 serializers but the expression has 1 capture groups"}},
		{"no serializer", NewRegexExtractorFactory(), `
regex = "(a)"
`, 2, []string{"at least one serializer"}},
		{"millis without a pattern", NewRegexExtractorFactory(), `
regex = "(a)"
serializer "s1" {
  name = "ts"
  type = "millis"
}
`, 3, []string{"serializer.s1: a millis serializer needs a date pattern"}},
		{"unsupported date pattern letter", NewRegexExtractorFactory(), `
regex = "(a)"
serializer "s1" {
  name    = "ts"
  type    = "millis"
  pattern = "kk:mm"
}
`, 6, []string{"serializer.s1.pattern", `"kk" is not supported`}},
		{"unknown serializer type", NewRegexExtractorFactory(), `
regex = "(a)"
serializer "s1" {
  name = "ts"
  type = "hex"
}
`, 5, []string{`unknown serializer type "hex"`}},
		{"serializer without a label", NewRegexExtractorFactory(), `
regex = "(a)"
serializer { name = "ts" }
`, 3, []string{"Missing id for serializer"}},
		{"bad rule regex", NewRegexHeaderFactory(), `
header = "type"
rule "number" { regex = "^[0-9]" }
rule "letter" { regex = "[A-Z" }
`, 4, []string{"rule.letter.regex: invalid regular expression"}},
		{"json field deeper than max_depth", NewJSONFactory(), `
max_depth = 2
fields    = ["level", "a.b.c"]
`, 3, []string{`fields: "a.b.c" has 3 segments, more than max_depth (2)`}},
		{"json empty field", NewJSONFactory(), `
fields = ["level", ""]
`, 2, []string{`fields: "" is not a field name`}},
		{"json max_depth out of range", NewJSONFactory(), `
max_depth = 0
`, 2, []string{"max_depth: must be 1-100, got 0"}},
		{"json target ending with a dot", NewJSONFactory(), `
target = "json."
`, 2, []string{`target: "json." must not start or end with a dot`}},
		{"json dotted message_key", NewJSONFactory(), `
message_key = "log.message"
`, 2, []string{"message_key", "top-level field name"}},
		{"json fields not a list", NewJSONFactory(), `
fields = "level"
`, 2, []string{"list of string required"}},
		{"no rule", NewRegexHeaderFactory(), `
header = "type"
`, 2, []string{"at least one rule"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := decode(t, tt.f, tt.body)
			if !diags.HasErrors() {
				t.Fatalf("no error for %q", tt.body)
			}
			wantDiag(t, diags, tt.line, tt.parts...)
		})
	}
}

// TestValidateReportsEverything checks that one decode reports every problem, not the first.
func TestValidateReportsEverything(t *testing.T) {
	_, diags := decode(t, NewRegexExtractorFactory(), `
regex = "(a)("
serializer "s1" {
  name    = ""
  type    = "millis"
  pattern = "GG"
}
`)
	wantDiag(t, diags, 2, "regex: invalid regular expression")
	wantDiag(t, diags, 4, "serializer.s1.name: must not be empty")
	wantDiag(t, diags, 6, `"GG" is not supported`)
}
