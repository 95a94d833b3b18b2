package interceptor

import (
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
)

func TestRegexExtractor(t *testing.T) {
	local := func(y int, mo time.Month, d, h, mi, s, ms int) string {
		return strconv.FormatInt(time.Date(y, mo, d, h, mi, s, ms*1e6, time.Local).UnixMilli(), 10)
	}
	tests := []struct {
		name string
		cfg  string
		body string
		want map[string]string
	}{
		{"groups in serializer order", `
			regex = "^(\\w+) (\\d+)"
			serializer "s1" { name = "level" }
			serializer "s2" { name = "code" }
		`, "ERROR 503 upstream", map[string]string{"level": "ERROR", "code": "503"}},
		{"fewer serializers than groups: the rest set nothing", `
			regex = "^(\\w+) (\\d+)"
			serializer "s1" { name = "level" }
		`, "ERROR 503", map[string]string{"level": "ERROR"}},
		{"no match sets nothing", `
			regex = "^(\\d+)$"
			serializer "s1" { name = "n" }
		`, "abc", map[string]string{"keep": "me"}},
		{"a group outside the match sets nothing", `
			regex = "^(a)?(b)"
			serializer "s1" { name = "one" }
			serializer "s2" { name = "two" }
		`, "b", map[string]string{"two": "b"}},
		{"millis in local time, as Joda's default zone", `
			regex = "^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d)"
			serializer "ts" {
				name    = "timestamp"
				type    = "millis"
				pattern = "yyyy-MM-dd HH:mm"
			}
		`, "2024-02-29 13:07 boot", map[string]string{"timestamp": local(2024, 2, 29, 13, 7, 0, 0)}},
		{"millis with fractions and an offset", `
			regex = "\\[(.+?)\\]"
			serializer "ts" {
				name    = "timestamp"
				type    = "org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer"
				pattern = "dd/MMM/yyyy:HH:mm:ss.SSS Z"
			}
		`, "[10/Oct/2023:13:55:36.250 -0700] GET /", map[string]string{"timestamp": "1696971336250"}},
		{"a value that does not parse sets nothing", `
			regex = "^(\\S+)"
			serializer "ts" {
				name    = "timestamp"
				type    = "millis"
				pattern = "yyyy-MM-dd"
			}
		`, "yesterday", map[string]string{"keep": "me"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic := mustCreate(t, NewRegexExtractorFactory(), tt.cfg)
			e := ev(tt.body, "keep", "me")
			before := e.Headers
			out := ic.Intercept([]channel.Event{e})
			want := maps.Clone(tt.want)
			want["keep"] = "me"
			if !maps.Equal(out[0].Headers, want) {
				t.Errorf("headers = %v, want %v", out[0].Headers, want)
			}
			if !sameMap(before, out[0].Headers) {
				t.Error("the event's headers map was replaced")
			}
		})
	}
}

func TestJodaLayout(t *testing.T) {
	tests := []struct {
		pattern, layout, err string
	}{
		{pattern: "yyyy-MM-dd HH:mm:ss", layout: "2006-01-02 15:04:05"},
		{pattern: "yyyy-MM-dd'T'HH:mm:ss.SSSZZ", layout: "2006-01-02T15:04:05.000Z07:00"},
		{pattern: "dd/MMM/yyyy:HH:mm:ss Z", layout: "02/Jan/2006:15:04:05 Z0700"},
		{pattern: "EEE, d MMMM yy h:mm a", layout: "Mon, 2 January 06 3:04 PM"},
		{pattern: "yyyyMMddHHmmss", layout: "20060102150405"},
		{pattern: "yyyy.DDD", layout: "2006.002"},
		{pattern: "HH 'o''clock' z", layout: "15 o'clock MST"},
		{pattern: "HH:mm:ss,SSSSSS", layout: "15:04:05,000000"},
		{pattern: "G yyyy", err: `"G" is not supported`},
		{pattern: "kk:mm", err: `"kk" is not supported`},
		{pattern: "yyyy-MM-dd ZZZ", err: `"ZZZ" is not supported`},
		{pattern: "HH:mm SSS", err: `fractions of a second are supported only right after`},
		{pattern: "ddd", err: `at most 2 letters`},
		{pattern: "yyyy 'Mon'", err: `literal text "Mon"`},
		{pattern: "'at' HH'h'00", err: `literal '0'`},
		{pattern: "yyyy-MM-dd 'T", err: "unterminated quote"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			layout, err := jodaLayout(tt.pattern)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("jodaLayout(%q) = %q, %v; want an error containing %q", tt.pattern, layout, err, tt.err)
				}
				return
			}
			if err != nil || layout != tt.layout {
				t.Errorf("jodaLayout(%q) = %q, %v; want %q", tt.pattern, layout, err, tt.layout)
			}
		})
	}
}
