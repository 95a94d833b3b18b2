package interceptor

import (
	"strings"
	"testing"

	"github.com/flumego/flumego/channel"
)

func TestSearchReplace(t *testing.T) {
	tests := []struct {
		name, pattern, replace, body, want string
	}{
		{"deletes by default", `\s+$`, "", "trailing   ", "trailing"},
		{"every match", `\d`, "#", "card 4111 1111", "card #### ####"},
		{"numbered group", `(\w+)@(\w+)\.com`, "$2 at $1", "mail bob@example.com now", "mail example at bob now"},
		{"named group", `(?P<user>\w+)@\w+`, "${user}@redacted", "bob@example", "bob@redacted"},
		{"group number digits stop at the last group, as in Java", `(a)`, "$10", "xax", "xa0x"},
		{"escaped dollar and backslash", `cost`, `\$5 \\ each`, "cost", `$5 \ each`},
		{"group that did not take part inserts nothing", `(x)?y`, "[$1]", "y xy", "[] [x]"},
		{"empty matches, as Java's replaceAll", `x*`, "-", "ab", "-a-b-"},
		{"no match leaves the body", `zzz`, "y", "abc", "abc"},
		{"UTF-8 text", `é`, "e", "café crème", "cafe crème"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic, err := NewSearchReplace(&SearchReplaceConfig{SearchPattern: tt.pattern, ReplaceString: tt.replace, Charset: "UTF-8"}, Settings{})
			if err != nil {
				t.Fatal(err)
			}
			out := ic.Intercept([]channel.Event{ev(tt.body)})
			if got := string(out[0].Body); got != tt.want {
				t.Errorf("body = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSearchReplaceKeepsUnmatchedBody(t *testing.T) {
	ic := mustCreate(t, NewSearchReplaceFactory(), `search_pattern = "zzz"`)
	body := []byte("nothing to see")
	out := ic.Intercept([]channel.Event{{Body: body}})
	if &out[0].Body[0] != &body[0] {
		t.Error("an event without a match got a new body")
	}
}

func TestSearchReplaceBadReplacement(t *testing.T) {
	tests := []struct{ replace, want string }{
		{"$", `"$" at the end`},
		{`x\`, `"\" at the end`},
		{"$2", "no group 2"},
		{"${nope}", `no group named "nope"`},
		{"${user", `without a closing`},
		{"$x", `must be followed by a group number`},
	}
	for _, tt := range tests {
		t.Run(tt.replace, func(t *testing.T) {
			cfg := &SearchReplaceConfig{SearchPattern: `(?P<user>\w+)`, ReplaceString: tt.replace, Charset: "UTF-8"}
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "replace_string: ") {
				t.Errorf("Validate() = %v, want a replace_string error containing %q", err, tt.want)
			}
		})
	}
}
