package interceptor

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
)

// SearchReplaceConfig configures the search_replace interceptor, Flume's
// SearchAndReplaceInterceptor: it replaces every match of a regular expression in the body.
// replace_string follows Java's Matcher.replaceAll, as in Flume: $1 or ${name} insert a group,
// a backslash makes the next character literal (\$ is a dollar sign).
type SearchReplaceConfig struct {
	SearchPattern string `hcl:"search_pattern"`
	ReplaceString string `hcl:"replace_string,optional"`
	// Charset is the body's character set. Only UTF-8 is supported: Go's regular expressions
	// work on UTF-8.
	Charset string `hcl:"charset,optional"`
}

func defaultSearchReplace() *SearchReplaceConfig {
	return &SearchReplaceConfig{Charset: "UTF-8"}
}

// Validate reports every problem of the configuration.
func (c *SearchReplaceConfig) Validate() error {
	_, err := c.compile()
	return err
}

func (c *SearchReplaceConfig) compile() (*searchReplace, error) {
	var errs []error
	if !isUTF8(c.Charset) {
		errs = append(errs, schema.Errorf("charset", "charset %q is not supported: only UTF-8 is", c.Charset))
	}
	var re *regexp.Regexp
	if c.SearchPattern == "" {
		errs = append(errs, schema.Errorf("search_pattern", "must not be empty"))
	} else if r, err := compileRegex("search_pattern", c.SearchPattern); err != nil {
		errs = append(errs, err)
	} else {
		re = r
	}
	var repl []replacePart
	if re != nil {
		var err error
		if repl, err = parseJavaReplacement(c.ReplaceString, re); err != nil {
			errs = append(errs, schema.Errorf("replace_string", "%v", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &searchReplace{re: re, repl: repl}, nil
}

func isUTF8(charset string) bool {
	switch strings.ToUpper(charset) {
	case "UTF-8", "UTF8":
		return true
	}
	return false
}

// NewSearchReplaceFactory returns the factory of the "search_replace" interceptor.
func NewSearchReplaceFactory() Factory {
	return NewFactory("search_replace", defaultSearchReplace, NewSearchReplace, flumeSearchReplace)
}

// NewSearchReplace returns a search_replace interceptor.
func NewSearchReplace(cfg *SearchReplaceConfig, _ Settings) (Interceptor, error) {
	s, err := cfg.compile()
	if err != nil {
		return nil, createErr("interceptor", "search_replace", err)
	}
	return s, nil
}

type searchReplace struct {
	re   *regexp.Regexp
	repl []replacePart
}

// replacePart is a piece of a replacement: literal text, or the capture group group (≥ 0).
type replacePart struct {
	lit   string
	group int // -1 for literal text
}

// Intercept gives an event a new body only when the pattern matched; other bodies are left as
// they are.
func (s *searchReplace) Intercept(events []channel.Event) []channel.Event {
	for i := range events {
		body := events[i].Body
		matches := s.re.FindAllSubmatchIndex(body, -1)
		if matches == nil {
			continue
		}
		out := make([]byte, 0, len(body)+len(body)/4)
		last := 0
		for _, m := range matches {
			out = append(out, body[last:m[0]]...)
			for _, p := range s.repl {
				if p.group < 0 {
					out = append(out, p.lit...)
				} else if m[2*p.group] >= 0 {
					out = append(out, body[m[2*p.group]:m[2*p.group+1]]...)
				}
			}
			last = m[1]
		}
		out = append(out, body[last:]...)
		events[i].Body = out
	}
	return events
}

// parseJavaReplacement reads a replacement in java.util.regex.Matcher's syntax, the one Flume's
// replaceString uses: "\x" is the character x, "$n" is group n (taking as many digits as still
// name a group, as Java does), "${name}" is a named group; a "$" otherwise is an error.
func parseJavaReplacement(s string, re *regexp.Regexp) ([]replacePart, error) {
	var parts []replacePart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, replacePart{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	groups := re.NumSubexp()
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			i++
			if i == len(s) {
				return nil, errors.New(`a "\" at the end escapes nothing`)
			}
			lit.WriteByte(s[i])
		case '$':
			i++
			if i == len(s) {
				return nil, errors.New(`a "$" at the end names no group (write \$ for a dollar sign)`)
			}
			var g int
			if s[i] == '{' {
				end := strings.IndexByte(s[i:], '}')
				if end < 0 {
					return nil, errors.New(`"${" without a closing "}"`)
				}
				name := s[i+1 : i+end]
				g = re.SubexpIndex(name)
				if g < 0 {
					return nil, fmt.Errorf("no group named %q in search_pattern", name)
				}
				i += end
			} else {
				if s[i] < '0' || s[i] > '9' {
					return nil, fmt.Errorf(`"$" must be followed by a group number or {name}, not %q (write \$ for a dollar sign)`, s[i])
				}
				g = int(s[i] - '0')
				for i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
					next := g*10 + int(s[i+1]-'0')
					if next > groups {
						break
					}
					g = next
					i++
				}
				if g > groups {
					return nil, fmt.Errorf("no group %d in search_pattern (it has %d)", g, groups)
				}
			}
			flush()
			parts = append(parts, replacePart{group: g})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return parts, nil
}
