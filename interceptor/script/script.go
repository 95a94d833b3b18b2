// Package script is the `script` interceptor: per-event logic written in JavaScript in the
// config (or in a file beside it), run on goja, a pure-Go ECMAScript 5.1 engine. Its API is
// Filebeat's script processor's, so Filebeat scripts carry over:
//
//	interceptor "script" {
//	  source = <<-JS
//	    function process(event) {
//	      var m = event.Get("message");
//	      event.Put("type", /^[0-9]/.test(m) ? "number" : "letter");
//	    }
//	  JS
//	}
//
// The script defines process(event), called once per event. It may return nothing or the
// event; any other return value is an error. It may define register(params), called once per
// engine with the params setting, and test(), called once at load (an exception there is a
// config error, as in Filebeat).
//
// # The event
//
// A Flume event is a body and flat string headers; the script sees Filebeat's field names:
//
//   - "message" is the body (a string). Put("message", v) replaces the body (an object is
//     written as JSON); Delete("message") empties it. A header called "message" is hidden.
//   - Any other name is a header. Dotted names are header names as they stand
//     (Get("log.file.path") reads header "log.file.path"), and also nest: when no header is
//     called exactly "log", Get("log") returns an object built from the headers under "log."
//     ({file: {path: ...}, offset: ...}). Put("http", {method: "GET", status: 200}) writes
//     headers http.method=GET and http.status=200 after removing "http" and every "http.*"
//     header; Delete and Rename act on a name and everything under it.
//   - Values are written as strings: numbers in JavaScript's notation (200, 1.5), booleans
//     as true/false, arrays as comma-separated lists; null or undefined deletes.
//   - "tags" is a comma-separated list, as the serializers' filebeat preset reads it: Get
//     returns an array, Tag(t) adds t unless present. AppendTo(name, v) adds v (or each of an
//     array's elements) to the list in header name unless present.
//   - Get returns null for a name that is absent; Rename(from, to) returns false, and changes
//     nothing, when from is absent or to exists; Delete returns whether something was there;
//     Put returns the name's previous string value or null.
//   - Cancel() drops the event; IsCancelled() says whether it was.
//
// # Failures
//
// An exception, a process() that returns something else than nothing or the event, a call that
// runs longer than timeout (interrupted), or one that makes the heap grow by more than
// max_memory: each counts ScriptErrorCount on the source (and ScriptTimeoutCount for timeouts),
// is logged (the first at once, then at most once a minute with the count since), and the event
// is kept (on_error = "keep", the default: as the script left it, tagged with tag_on_exception
// and with header error.message) or dropped (on_error = "drop", counted in ScriptDroppedCount).
// The agent keeps serving every flow. A engine that was interrupted is thrown away, so what the
// runaway call built up goes with it.
//
// The memory bound is approximate: goja has no allocation limit of its own, so while a call
// has run for longer than 10ms the interceptor samples the process's heap every 10ms and
// interrupts the call when the heap grew by more than max_memory above the call's lowest sample
// (so garbage a collection frees does not count against it); a call shorter than that cannot
// allocate much. The heap is the process's: another component allocating hard at the same time
// counts too, which only matters for a call that already runs for tens of milliseconds. A single built-in call ("x".repeat(1e9)) cannot be interrupted
// while it runs, as goja interrupts only between JavaScript instructions.
//
// # Engines
//
// One engine (a goja runtime with the script loaded) serves one batch at a time; batches from
// sources' connections in parallel each get one, so they do not wait for each other. Up to
// max_cached_sessions idle engines are kept for the next batches, more are created when needed
// and dropped after use (Filebeat's scheme). Events are processed in place: no copy per event.
//
// # Checks before deploying
//
// The script is compiled when the config is loaded: a syntax error is a config error at its
// file:line:column (the line in the HCL file for an inline source, in the script file for
// file). Each `test { input = {...}, expect = {...} }` block runs the script on one event when
// the config is loaded (by `agent validate`, at start and at reload): input gives the message
// and headers, expect every field the event must have afterwards, exactly (or dropped = true:
// the script must drop it). A failing test is a config error at its expect attribute, so a
// script is checked before it is deployed and a reload with a broken script is refused.
package script

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/interceptor"
)

// Type is the interceptor type name.
const Type = "script"

// OnError says what happens to an event whose script call failed.
type OnError string

// The on_error modes.
const (
	Keep OnError = "keep" // the event goes on, tagged and with error.message
	Drop OnError = "drop" // the event is dropped and counted
)

// Config configures the script interceptor.
type Config struct {
	// Source is the script's text; exactly one of Source and File is set.
	Source string `hcl:"source,optional"`
	// File is a script file, relative to the config file's directory. It is read when the
	// config is loaded (at start, validate and reload: SIGHUP after changing it).
	File string `hcl:"file,optional"`
	// Params is passed to the script's register(params) function.
	Params cty.Value `hcl:"params,optional"`
	// Timeout bounds one call of process (and of the script's set-up).
	Timeout time.Duration `hcl:"timeout,optional"`
	// MaxMemory bounds how much one call may grow the heap (see the package doc).
	MaxMemory schema.Size `hcl:"max_memory,optional"`
	// OnError is "keep" or "drop".
	OnError OnError `hcl:"on_error,optional"`
	// TagOnException is the tag added to a kept event whose call failed ("" adds none).
	TagOnException string `hcl:"tag_on_exception,optional"`
	// MaxCachedSessions is how many idle engines are kept.
	MaxCachedSessions int `hcl:"max_cached_sessions,optional"`
	// Tests are run when the config is loaded.
	Tests []Test `hcl:"test,block"`

	// Code is the script as compiled: Source padded so that its lines are the config file's,
	// or File's content. A reload compares it, so a changed script file restarts the source.
	Code string
	// Name is what errors and stack traces call the script: the config file or the script file.
	Name string

	prog *goja.Program
}

// Test is one `test { ... }` block.
type Test struct {
	// Name labels the test in its failure message (default: its number).
	Name string `hcl:"name,optional"`
	// Input is the event: "message" is the body, every other key a header.
	Input map[string]string `hcl:"input"`
	// Expect is every field the event must have after the script ran, exactly.
	Expect map[string]string `hcl:"expect,optional"`
	// Dropped says the script must drop the event.
	Dropped bool `hcl:"dropped,optional"`
}

// Defaults returns the default configuration.
func Defaults() *Config {
	return &Config{
		Timeout:           time.Second,
		MaxMemory:         64 << 20,
		OnError:           Keep,
		TagOnException:    "_js_exception",
		MaxCachedSessions: 4,
	}
}

// Validate reports the problems that need no script.
func (c *Config) Validate() error {
	var errs []error
	switch {
	case c.Source == "" && c.File == "":
		errs = append(errs, schema.Errorf("source", "write the script in source, or name its file in file"))
	case c.Source != "" && c.File != "":
		errs = append(errs, schema.Errorf("file", "source and file are both set; keep one"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, schema.Errorf("timeout", "must be positive"))
	}
	if c.MaxMemory <= 0 {
		errs = append(errs, schema.Errorf("max_memory", "must be positive"))
	}
	if c.OnError != Keep && c.OnError != Drop {
		errs = append(errs, schema.Errorf("on_error", `must be "keep" or "drop", got %q`, c.OnError))
	}
	if c.MaxCachedSessions < 1 {
		errs = append(errs, schema.Errorf("max_cached_sessions", "must be at least 1, got %d", c.MaxCachedSessions))
	}
	for i, t := range c.Tests {
		if t.Dropped && t.Expect != nil {
			errs = append(errs, schema.Errorf(fmt.Sprintf("test.%d.dropped", i), "a test expects either a dropped event or its fields (expect), not both"))
		}
		if !t.Dropped && t.Expect == nil {
			errs = append(errs, schema.Errorf(fmt.Sprintf("test.%d", i), "write expect = { ... } (the fields after the script) or dropped = true"))
		}
	}
	return errors.Join(errs...)
}

// factory is the script interceptor's factory. Its Decode does more than the generic one: it
// reads the script file, compiles the script and runs its tests, all with the positions of
// the config file at hand.
type factory struct{}

// NewFactory returns the factory of the "script" interceptor.
func NewFactory() interceptor.Factory { return factory{} }

func (factory) Type() string { return Type }

func (factory) Decode(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (any, hcl.Diagnostics) {
	cfg := Defaults()
	diags := schema.Decode(body, ectx, cfg, what, subject)
	if diags.HasErrors() {
		return cfg, diags
	}
	src, _, _ := body.PartialContent(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "source"}, {Name: "file"}, {Name: "params"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "test"}},
	})
	if err := cfg.load(src, subject.Filename); err != nil {
		return cfg, append(diags, errorAt(what, err, src, subject))
	}
	prog, err := compile(cfg.Name, cfg.Code)
	if err != nil {
		return cfg, append(diags, errorAt(what, compileError(err), src, subject))
	}
	cfg.prog = prog
	s, err := newSession(cfg)
	if err != nil {
		return cfg, append(diags, errorAt(what, fmt.Errorf("loading the script: %w", err), src, subject))
	}
	for i, t := range cfg.Tests {
		if err := s.runTest(t); err != nil {
			name := t.Name
			if name == "" {
				name = fmt.Sprint(i + 1)
			}
			r := src.Blocks[i].DefRange
			if attrs, _, _ := src.Blocks[i].Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "expect"}}}); attrs.Attributes["expect"] != nil {
				r = attrs.Attributes["expect"].Expr.Range()
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("%s: test %s: %v", what, name, err), Subject: &r})
		}
	}
	return cfg, diags
}

func (factory) Create(cfg any, set interceptor.Settings) (interceptor.Interceptor, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("script: config of type %T", cfg)
	}
	return New(c, set)
}

// load fills Code and Name from Source or File. configFile is the config's file name; a
// relative File is read from its directory.
func (c *Config) load(src *hcl.BodyContent, configFile string) error {
	if c.File != "" {
		path := c.File
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(configFile), path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return &positioned{attr: "file", err: err}
		}
		c.Code, c.Name = string(b), path
		return nil
	}
	// Pad the source so that the script's line and column numbers are the config file's:
	// syntax errors and stack traces then point into the config file.
	start := textStart(src.Attributes["source"].Expr)
	c.Code = strings.Repeat("\n", start.Line-1) + strings.Repeat(" ", start.Column-1) + c.Source
	c.Name = configFile
	return nil
}

// textStart is where the text of a string expression begins: inside the quote, or on the line
// after a heredoc's marker.
func textStart(expr hcl.Expression) hcl.Pos {
	if t, ok := expr.(*hclsyntax.TemplateExpr); ok && len(t.Parts) > 0 {
		return t.Parts[0].Range().Start
	}
	return expr.Range().Start
}

// positioned is an error about an attribute, or at a place in the script.
type positioned struct {
	attr string
	err  error
}

func (p *positioned) Error() string { return p.err.Error() }

// errorAt turns a load, compile or set-up error into a diagnostic: at the place in the script
// it names (the config file's line for an inline source, the script file's otherwise), else at
// the attribute, else at the block.
func errorAt(what string, err error, src *hcl.BodyContent, subject hcl.Range) *hcl.Diagnostic {
	r := subject
	var p *positioned
	if errors.As(err, &p) {
		if a := src.Attributes[p.attr]; a != nil {
			r = a.Expr.Range()
		}
	} else if a := src.Attributes["source"]; a != nil {
		r = a.Expr.Range()
	} else if a := src.Attributes["file"]; a != nil {
		r = a.Expr.Range()
	}
	if pos, ok := scriptPos(err); ok {
		r = hcl.Range{Filename: pos.Filename, Start: hcl.Pos{Line: pos.Line, Column: pos.Column}, End: hcl.Pos{Line: pos.Line, Column: pos.Column}}
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: what + ": " + err.Error(), Subject: &r}
}
