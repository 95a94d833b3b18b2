package interceptor

import (
	"errors"
	"regexp"
	"slices"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
)

// RemoveHeaderConfig configures the remove_header interceptor, Flume's RemoveHeaderInterceptor:
// it removes headers by exact name, by a list of names, and by a regular expression that must
// match a header's whole name. Any combination may be set; with none, it does nothing.
type RemoveHeaderConfig struct {
	// WithName is one header name to remove.
	WithName string `hcl:"with_name,optional"`
	// FromList is a list of header names, split by FromListSeparator.
	FromList string `hcl:"from_list,optional"`
	// FromListSeparator is the regular expression that separates the names of FromList (Flume's
	// fromListSeparator: a comma with any spaces around it).
	FromListSeparator string `hcl:"from_list_separator,optional"`
	// Matching removes every header whose whole name matches this regular expression.
	Matching string `hcl:"matching,optional"`
}

func defaultRemoveHeader() *RemoveHeaderConfig {
	return &RemoveHeaderConfig{FromListSeparator: `\s*,\s*`}
}

// Validate reports every problem of the configuration.
func (c *RemoveHeaderConfig) Validate() error {
	_, err := c.compile()
	return err
}

type removeHeader struct {
	names    []string
	matching *regexp.Regexp
}

func (c *RemoveHeaderConfig) compile() (*removeHeader, error) {
	var errs []error
	r := &removeHeader{}
	if c.WithName != "" {
		r.names = append(r.names, c.WithName)
	}
	sep, err := compileRegex("from_list_separator", c.FromListSeparator)
	switch {
	case err != nil:
		errs = append(errs, err)
	case c.FromListSeparator == "":
		errs = append(errs, schema.Errorf("from_list_separator", "must not be empty"))
	case c.FromList != "":
		for _, n := range sep.Split(c.FromList, -1) {
			if n != "" && !slices.Contains(r.names, n) {
				r.names = append(r.names, n)
			}
		}
	}
	if c.Matching != "" {
		re, err := compileRegex("matching", `^(?:`+c.Matching+`)$`)
		if err != nil {
			// Report the user's expression, not our anchored one.
			_, err = compileRegex("matching", c.Matching)
			errs = append(errs, err)
		}
		r.matching = re
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// NewRemoveHeaderFactory returns the factory of the "remove_header" interceptor.
func NewRemoveHeaderFactory() Factory {
	return NewFactory("remove_header", defaultRemoveHeader, NewRemoveHeader, flumeRemoveHeader)
}

// NewRemoveHeader returns a remove_header interceptor.
func NewRemoveHeader(cfg *RemoveHeaderConfig, _ Settings) (Interceptor, error) {
	r, err := cfg.compile()
	if err != nil {
		return nil, createErr("interceptor", "remove_header", err)
	}
	return r, nil
}

func (r *removeHeader) Intercept(events []channel.Event) []channel.Event {
	for i := range events {
		h := events[i].Headers
		if len(h) == 0 {
			continue
		}
		for _, n := range r.names {
			delete(h, n)
		}
		if r.matching != nil {
			for k := range h {
				if r.matching.MatchString(k) {
					delete(h, k)
				}
			}
		}
	}
	return events
}
