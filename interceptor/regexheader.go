package interceptor

import (
	"errors"
	"regexp"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
)

// RegexHeaderConfig configures the regex_header interceptor, flumego's own: it sets a header to
// the label of the first rule whose regular expression matches the body (anywhere in it), and
// to default when none does. It replaces the small custom Java interceptors Flume users wrote to
// route events by their content:
//
//	interceptor "regex_header" {
//	  header  = "type"
//	  default = "second"
//	  rule "first" { regex = "myUbuntu" }
//	}
//
// With from_header the rules test that header's value instead of the body ("header" stays the
// header written); an event without it matches no rule and gets default.
type RegexHeaderConfig struct {
	// Header is the header to set.
	Header string `hcl:"header"`
	// FromHeader is the header whose value the rules test; "" tests the body.
	FromHeader string `hcl:"from_header,optional"`
	// PreserveExisting keeps a header already set.
	PreserveExisting bool `hcl:"preserve_existing,optional"`
	// Default is the value when no rule matches; nil sets no header then.
	Default *string `hcl:"default,optional"`
	// Rules are tried in order; the first match wins.
	Rules []RegexHeaderRule `hcl:"rule,block"`
}

// RegexHeaderRule sets the header to Value when Regex matches the body.
type RegexHeaderRule struct {
	Value string `hcl:"value,label"`
	Regex string `hcl:"regex"`
}

func defaultRegexHeader() *RegexHeaderConfig { return &RegexHeaderConfig{} }

// Validate reports every problem of the configuration.
func (c *RegexHeaderConfig) Validate() error {
	_, err := c.compile()
	return err
}

func (c *RegexHeaderConfig) compile() (*regexHeader, error) {
	errs := []error{notEmpty("header", c.Header)}
	if len(c.Rules) == 0 {
		errs = append(errs, schema.Errorf("header", "at least one rule block is needed (the static interceptor sets a fixed header)"))
	}
	h := &regexHeader{header: c.Header, from: c.FromHeader, preserve: c.PreserveExisting}
	if c.Default != nil {
		h.def, h.hasDef = *c.Default, true
	}
	for _, r := range c.Rules {
		re, err := compileRegex("rule."+r.Value+".regex", r.Regex)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		h.rules = append(h.rules, headerRule{re: re, value: r.Value})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return h, nil
}

// NewRegexHeaderFactory returns the factory of the "regex_header" interceptor.
func NewRegexHeaderFactory() Factory {
	return NewFactory("regex_header", defaultRegexHeader, NewRegexHeader)
}

// NewRegexHeader returns a regex_header interceptor.
func NewRegexHeader(cfg *RegexHeaderConfig, _ Settings) (Interceptor, error) {
	h, err := cfg.compile()
	if err != nil {
		return nil, createErr("interceptor", "regex_header", err)
	}
	return h, nil
}

type regexHeader struct {
	header   string
	from     string // "" tests the body
	preserve bool
	def      string
	hasDef   bool
	rules    []headerRule
}

type headerRule struct {
	re    *regexp.Regexp
	value string
}

func (h *regexHeader) Intercept(events []channel.Event) []channel.Event {
next:
	for i := range events {
		e := &events[i]
		if h.preserve {
			if _, ok := e.Headers[h.header]; ok {
				continue
			}
		}
		for _, r := range h.rules {
			if matchSubject(r.re, e, h.from) {
				e.SetHeader(h.header, r.value)
				continue next
			}
		}
		if h.hasDef {
			e.SetHeader(h.header, h.def)
		}
	}
	return events
}
