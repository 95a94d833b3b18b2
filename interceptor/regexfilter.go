package interceptor

import (
	"regexp"

	"github.com/flumego/flumego/channel"
)

// RegexFilterConfig configures the regex_filter interceptor, Flume's RegexFilteringInterceptor:
// it keeps the events whose body matches (anywhere in the body, like Java's Matcher.find), or,
// with exclude_events, drops them.
type RegexFilterConfig struct {
	Regex         string `hcl:"regex,optional"`
	ExcludeEvents bool   `hcl:"exclude_events,optional"`
}

func defaultRegexFilter() *RegexFilterConfig {
	return &RegexFilterConfig{Regex: ".*"}
}

// Validate reports every problem of the configuration.
func (c *RegexFilterConfig) Validate() error {
	_, err := compileRegex("regex", c.Regex)
	return err
}

// NewRegexFilterFactory returns the factory of the "regex_filter" interceptor.
func NewRegexFilterFactory() Factory {
	return NewFactory("regex_filter", defaultRegexFilter, NewRegexFilter, flumeRegexFilter)
}

// NewRegexFilter returns a regex_filter interceptor.
func NewRegexFilter(cfg *RegexFilterConfig, _ Settings) (Interceptor, error) {
	re, err := compileRegex("regex", cfg.Regex)
	if err != nil {
		return nil, createErr("interceptor", "regex_filter", err)
	}
	return &regexFilter{re: re, exclude: cfg.ExcludeEvents}, nil
}

type regexFilter struct {
	re      *regexp.Regexp
	exclude bool
}

// Intercept compacts the batch in place, keeping the order of the events it keeps.
func (f *regexFilter) Intercept(events []channel.Event) []channel.Event {
	kept := events[:0]
	for _, e := range events {
		if f.re.Match(e.Body) != f.exclude {
			kept = append(kept, e)
		}
	}
	clear(events[len(kept):]) // let the dropped events' bodies be collected
	return kept
}
