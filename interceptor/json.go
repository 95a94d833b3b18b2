package interceptor

import (
	"errors"
	"strings"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/jsonfields"
	"github.com/flumego/flumego/metrics"
)

// JSONConfig configures the json interceptor, for JSON application logs (Filebeat's json.*
// input settings): it parses each body as one JSON object and lifts its fields into headers,
// so a multiplexing selector or regex_filter can route and drop on them.
//
//	interceptor "json" {
//	  fields      = ["level", "service", "http.status"]
//	  message_key = "message"
//	}
//
// Nested objects are flattened with dots (http.status), strings are unquoted, numbers,
// booleans, null and arrays are their JSON text, an object deeper than max_depth is kept as its
// JSON text (internal/jsonfields says it all). A body that is not exactly one JSON object is
// left as it is, counted (JSONParseFail) and, with add_error_key, marked.
type JSONConfig struct {
	// Fields are the fields to lift: top-level names or dotted paths; empty lifts every field.
	Fields []string `hcl:"fields,optional"`
	// Target prefixes every name: "json" gives json.level.
	Target string `hcl:"target,optional"`
	// OverwriteKeys lets a parsed field replace a header the event already has.
	OverwriteKeys bool `hcl:"overwrite_keys,optional"`
	// MessageKey is the top-level field whose value becomes the body (a string unquoted, any
	// other value as its JSON text). It is not also lifted into a header unless Fields names it.
	MessageKey string `hcl:"message_key,optional"`
	// AddErrorKey marks an event whose body does not parse with headers error.message and
	// error.type = "json" (and one without message_key with error.message), as Filebeat does.
	AddErrorKey bool `hcl:"add_error_key,optional"`
	// MaxDepth is the most segments a header name has; deeper objects stay JSON text.
	MaxDepth int `hcl:"max_depth,optional"`
}

func defaultJSON() *JSONConfig { return &JSONConfig{MaxDepth: jsonfields.DefaultMaxDepth} }

func (c *JSONConfig) options() jsonfields.Options {
	prefix := ""
	if c.Target != "" {
		prefix = c.Target + "."
	}
	return jsonfields.Options{Fields: c.Fields, Prefix: prefix, MaxDepth: c.MaxDepth, MessageKey: c.MessageKey}
}

// Validate reports every problem of the configuration.
func (c *JSONConfig) Validate() error {
	o := c.options()
	errs := []error{o.Validate()}
	if strings.HasPrefix(c.Target, ".") || strings.HasSuffix(c.Target, ".") {
		errs = append(errs, schema.Errorf("target", "%q must not start or end with a dot: names are target.field", c.Target))
	}
	if strings.Contains(c.MessageKey, ".") {
		errs = append(errs, schema.Errorf("message_key", "%q: the message key is a top-level field name, without dots", c.MessageKey))
	}
	return errors.Join(errs...)
}

// The json interceptor's counters on its source (Settings.Counter).
const (
	// JSONParseFail counts bodies that are not one JSON object, left unchanged.
	JSONParseFail = "JSONParseFail"
	// JSONMaxDepthFail counts events with an object kept as JSON text because of max_depth.
	JSONMaxDepthFail = "JSONMaxDepthFail"
)

// Headers the json interceptor sets with add_error_key.
const (
	ErrorMessageHeader = "error.message"
	ErrorTypeHeader    = "error.type"
)

// NewJSONFactory returns the factory of the "json" interceptor.
func NewJSONFactory() Factory {
	return NewFactory("json", defaultJSON, NewJSON)
}

// NewJSON returns a json interceptor.
func NewJSON(cfg *JSONConfig, set Settings) (Interceptor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, createErr("interceptor", "json", err)
	}
	j := &jsonInterceptor{
		f: jsonfields.New(cfg.options()), overwrite: cfg.OverwriteKeys, addError: cfg.AddErrorKey,
		message: cfg.MessageKey != "", parseFail: set.Counter(JSONParseFail), depthFail: set.Counter(JSONMaxDepthFail),
	}
	if j.message {
		j.noMessage = "key '" + cfg.MessageKey + "' not found"
	}
	return j, nil
}

type jsonInterceptor struct {
	f                    *jsonfields.Flattener
	overwrite, addError  bool
	message              bool
	noMessage            string // error.message when the message key is missing
	parseFail, depthFail *metrics.Counter
}

// Intercept parses each body; it changes events in place and keeps all of them.
func (j *jsonInterceptor) Intercept(events []channel.Event) []channel.Event {
	d := j.f.Doc()
	defer d.Release()
	var msg []byte
	for i := range events {
		e := &events[i]
		if err := d.Parse(e.Body); err != nil {
			j.parseFail.Inc()
			if j.addError {
				e.SetHeader(ErrorMessageHeader, "Error decoding JSON: "+err.Error())
				e.SetHeader(ErrorTypeHeader, "json")
			}
			continue
		}
		if d.Truncated() {
			j.depthFail.Inc()
		}
		d.SetHeaders(e, j.overwrite)
		if !j.message {
			continue
		}
		if !d.HasMessage() {
			if j.addError {
				e.SetHeader(ErrorMessageHeader, j.noMessage)
				e.SetHeader(ErrorTypeHeader, "json")
			}
			continue
		}
		msg = d.AppendMessage(msg[:0])
		if len(msg) <= len(e.Body) {
			// The message fits in the bytes the body held: reuse them (the event owns them).
			e.Body = e.Body[:copy(e.Body, msg)]
		} else {
			e.Body = append([]byte(nil), msg...) // U+FFFD for invalid bytes made it longer
		}
	}
	return events
}
