package interceptor

import (
	"regexp"

	"github.com/flumego/flumego/channel"
)

// RegexFilterConfig configures the regex_filter interceptor, Flume's RegexFilteringInterceptor:
// it keeps the events whose body matches (anywhere in the body, like Java's Matcher.find), or,
// with exclude_events, drops them. With header it tests that header's value instead (Filebeat's
// drop_event.when.regexp on a field, Fluent Bit's grep on a key); an event without the header
// does not match, so it is dropped when keeping matches and kept with exclude_events.
type RegexFilterConfig struct {
	Regex         string `hcl:"regex,optional"`
	ExcludeEvents bool   `hcl:"exclude_events,optional"`
	Header        string `hcl:"header,optional"`
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
	return &regexFilter{re: re, exclude: cfg.ExcludeEvents, header: cfg.Header}, nil
}

type regexFilter struct {
	re      *regexp.Regexp
	exclude bool
	header  string // "" tests the body
}

// Intercept compacts the batch in place, keeping the order of the events it keeps.
func (f *regexFilter) Intercept(events []channel.Event) []channel.Event {
	kept := events[:0]
	for i := range events {
		if matchSubject(f.re, &events[i], f.header) != f.exclude {
			kept = append(kept, events[i])
		}
	}
	clear(events[len(kept):]) // let the dropped events' bodies be collected
	return kept
}

// matchSubject reports whether re matches the event's body or, when header is not empty, that
// header's value; an event without the header does not match.
func matchSubject(re *regexp.Regexp, e *channel.Event, header string) bool {
	if header == "" {
		return re.Match(e.Body)
	}
	v, ok := e.Headers[header]
	return ok && re.MatchString(v)
}
