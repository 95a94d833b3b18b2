package interceptor

import (
	"testing"

	"github.com/flumego/flumego/channel"
)

func TestRegexHeader(t *testing.T) {
	const none = "\x00none"
	// DESIGN §3: route by whether the line starts with a digit or a letter.
	design := `
		header = "type"
		rule "number" { regex = "^[0-9]" }
		rule "letter" { regex = "^[A-Za-z]" }
	`
	// netcat-interceptor-multiplexing.conf's custom Java interceptor: type=first when the body
	// contains "myUbuntu", type=second otherwise.
	netcat := `
		header  = "type"
		default = "second"
		rule "first" { regex = "myUbuntu" }
	`
	tests := []struct {
		name, cfg string
		header    string
		in        channel.Event
		want      string // none: no header
	}{
		{"number", design, "type", ev("42 apples"), "number"},
		{"letter", design, "type", ev("apples 42"), "letter"},
		{"no rule and no default sets nothing", design, "type", ev("-- comment"), none},
		{"overwrites by default", design, "type", ev("7", "type", "old"), "number"},
		{"contains myUbuntu", netcat, "type", ev("hello from myUbuntu box"), "first"},
		{"default otherwise", netcat, "type", ev("hello from elsewhere"), "second"},
		{"the first matching rule wins", `
			header = "level"
			rule "error" { regex = "ERROR" }
			rule "any"   { regex = "." }
		`, "level", ev("ERROR x"), "error"},
		{"preserve_existing keeps the value", `
			header            = "type"
			preserve_existing = true
			rule "number" { regex = "^[0-9]" }
		`, "type", ev("7", "type", "old"), "old"},
		{"from_header tests that header, not the body", `
			header      = "route"
			from_header = "level"
			default     = "rest"
			rule "alerts" { regex = "^(error|fatal)$" }
		`, "route", ev("error in the body", "level", "fatal"), "alerts"},
		{"from_header: another value gets default", `
			header      = "route"
			from_header = "level"
			default     = "rest"
			rule "alerts" { regex = "^(error|fatal)$" }
		`, "route", ev("x", "level", "info"), "rest"},
		{"from_header: an event without the header matches no rule", `
			header      = "route"
			from_header = "level"
			default     = "rest"
			rule "any" { regex = ".*" }
		`, "route", ev("error"), "rest"},
		{"from_header may be the header written", `
			header      = "level"
			from_header = "level"
			rule "ERROR" { regex = "(?i)^error$" }
		`, "level", ev("x", "level", "error"), "ERROR"},
		{"an empty default is a value", `
			header  = "type"
			default = ""
			rule "number" { regex = "^[0-9]" }
		`, "type", ev("x", "other", "1"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic := mustCreate(t, NewRegexHeaderFactory(), tt.cfg)
			before := tt.in.Headers
			out := ic.Intercept([]channel.Event{tt.in})
			got, ok := out[0].Headers[tt.header]
			if tt.want == none {
				if ok {
					t.Errorf("header %q = %q, want none", tt.header, got)
				}
			} else if !ok || got != tt.want {
				t.Errorf("header %q = %q (set: %v), want %q", tt.header, got, ok, tt.want)
			}
			if before != nil && !sameMap(before, out[0].Headers) {
				t.Error("the event's headers map was replaced")
			}
		})
	}
}
