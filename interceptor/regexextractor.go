package interceptor

import (
	"errors"
	"regexp"
	"strconv"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
)

// RegexExtractorConfig configures the regex_extractor interceptor, Flume's
// RegexExtractorInterceptor: when the regular expression matches the body (anywhere), capture
// group i sets the header named by the i-th serializer block. Serializers are written in
// capture-group order:
//
//	interceptor "regex_extractor" {
//	  regex = "^(\\d\\d\\d\\d-\\d\\d-\\d\\d \\d\\d:\\d\\d) (\\w+)"
//	  serializer "s1" {
//	    name    = "timestamp"
//	    type    = "millis"
//	    pattern = "yyyy-MM-dd HH:mm"
//	  }
//	  serializer "s2" { name = "level" }
//	}
//
// A group that did not take part in the match sets no header; neither does a millis value that
// does not parse (Flume would fail the whole batch).
type RegexExtractorConfig struct {
	Regex       string                `hcl:"regex"`
	Serializers []ExtractorSerializer `hcl:"serializer,block"`
}

// ExtractorSerializer turns one capture group into one header.
type ExtractorSerializer struct {
	// ID is the block's label, Flume's serializer name (s1 in serializers.s1.name).
	ID string `hcl:"id,label"`
	// Name is the header to set.
	Name string `hcl:"name"`
	// Type is "passthrough" (the default: the group's text) or "millis" (the group parsed with
	// Pattern, as epoch milliseconds in the agent's local time zone unless the pattern has a zone).
	// Flume's class names RegexExtractorInterceptorPassThroughSerializer and
	// RegexExtractorInterceptorMillisSerializer (with or without their package) are accepted.
	Type string `hcl:"type,optional"`
	// Pattern is the Joda-Time date pattern of a millis serializer, such as "yyyy-MM-dd HH:mm".
	Pattern string `hcl:"pattern,optional"`
}

// The serializer types.
const (
	SerializerPassThrough = "passthrough"
	SerializerMillis      = "millis"
)

func defaultRegexExtractor() *RegexExtractorConfig { return &RegexExtractorConfig{} }

// serializerType maps the accepted spellings of a serializer type to ours.
func serializerType(t string) (string, bool) {
	switch t {
	case "", SerializerPassThrough, "RegexExtractorInterceptorPassThroughSerializer",
		"org.apache.flume.interceptor.RegexExtractorInterceptorPassThroughSerializer":
		return SerializerPassThrough, true
	case SerializerMillis, "RegexExtractorInterceptorMillisSerializer",
		"org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer":
		return SerializerMillis, true
	}
	return "", false
}

// Validate reports every problem of the configuration.
func (c *RegexExtractorConfig) Validate() error {
	_, err := c.compile()
	return err
}

func (c *RegexExtractorConfig) compile() (*regexExtractor, error) {
	var errs []error
	re, err := compileRegex("regex", c.Regex)
	if c.Regex == "" {
		err = schema.Errorf("regex", "must not be empty")
	}
	if err != nil {
		errs = append(errs, err)
	}
	if len(c.Serializers) == 0 {
		errs = append(errs, schema.Errorf("regex", "at least one serializer block is needed to name the header of capture group 1"))
	}
	if re != nil && len(c.Serializers) > re.NumSubexp() {
		errs = append(errs, schema.Errorf("regex", "%d serializers but the expression has %d capture groups", len(c.Serializers), re.NumSubexp()))
	}
	x := &regexExtractor{re: re}
	for i, s := range c.Serializers {
		attr := func(a string) string { return "serializer." + s.ID + "." + a }
		if s.Name == "" {
			errs = append(errs, schema.Errorf(attr("name"), "must not be empty"))
		}
		for _, prev := range c.Serializers[:i] {
			if prev.ID == s.ID {
				errs = append(errs, schema.Errorf("serializer."+s.ID, "serializer %q is defined twice", s.ID))
			}
		}
		out := extractField{header: s.Name}
		typ, ok := serializerType(s.Type)
		switch {
		case !ok:
			errs = append(errs, schema.Errorf(attr("type"), "unknown serializer type %q (want %q or %q)", s.Type, SerializerPassThrough, SerializerMillis))
		case typ == SerializerMillis:
			if s.Pattern == "" {
				errs = append(errs, schema.Errorf("serializer."+s.ID, "a millis serializer needs a date pattern such as \"yyyy-MM-dd HH:mm:ss\""))
				break
			}
			layout, err := jodaLayout(s.Pattern)
			if err != nil {
				errs = append(errs, schema.Errorf(attr("pattern"), "%v", err))
			}
			out.layout = layout
		case s.Pattern != "":
			errs = append(errs, schema.Errorf(attr("pattern"), "a pattern applies only to type = %q", SerializerMillis))
		}
		x.fields = append(x.fields, out)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return x, nil
}

// NewRegexExtractorFactory returns the factory of the "regex_extractor" interceptor.
func NewRegexExtractorFactory() Factory {
	return NewFactory("regex_extractor", defaultRegexExtractor, NewRegexExtractor, flumeRegexExtractor)
}

// NewRegexExtractor returns a regex_extractor interceptor.
func NewRegexExtractor(cfg *RegexExtractorConfig, _ Settings) (Interceptor, error) {
	x, err := cfg.compile()
	if err != nil {
		return nil, createErr("interceptor", "regex_extractor", err)
	}
	return x, nil
}

type regexExtractor struct {
	re     *regexp.Regexp
	fields []extractField // field i is capture group i+1
}

type extractField struct {
	header string
	layout string // Go layout of a millis serializer; "" passes the text through
}

func (x *regexExtractor) Intercept(events []channel.Event) []channel.Event {
	for i := range events {
		e := &events[i]
		m := x.re.FindSubmatchIndex(e.Body)
		if m == nil {
			continue
		}
		for g, f := range x.fields {
			start, end := m[2*g+2], m[2*g+3]
			if start < 0 {
				continue
			}
			text := string(e.Body[start:end])
			if f.layout != "" {
				t, err := time.ParseInLocation(f.layout, text, time.Local)
				if err != nil {
					continue
				}
				text = strconv.FormatInt(t.UnixMilli(), 10)
			}
			e.SetHeader(f.header, text)
		}
	}
	return events
}
