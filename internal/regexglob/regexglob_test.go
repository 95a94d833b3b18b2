package regexglob

import "testing"

func TestRegexBecomesTheNearestWiderGlob(t *testing.T) {
	for _, tc := range []struct {
		re, glob        string
		exact, anyChars bool
	}{
		{"example\\.log", "example.log", true, false},
		{"example.log", "example?log", true, true},
		{".*log.*", "*log*", true, false},
		{".*.log", "*?log", true, true},
		{"app-.*\\.log", "app-*.log", true, false},
		{"^access\\.log$", "access.log", true, false},
		{"log-\\d\\d\\.txt", "log-[0-9][0-9].txt", true, false},
		{"[ab]pp\\.log", "[ab]pp.log", true, false},
		{"app\\.log.+", "app.log?*", true, false},
		{"a(b|c)d", "a*d", false, false},
		{"app|web", "*", false, false},
		{"app-[0-9]+\\.log", "app-[0-9]*.log", false, false},
		{"apps?\\.log", "app*.log", false, false},
		{"x\\s+y", "x*y", false, false},
	} {
		glob, exact, anyChar := FromRegex(tc.re)
		if glob != tc.glob || exact != tc.exact || anyChar != tc.anyChars {
			t.Errorf("FromRegex(%q) = %q, %v, %v; want %q, %v, %v", tc.re, glob, exact, anyChar, tc.glob, tc.exact, tc.anyChars)
		}
	}
}
