package schema

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/config/flume"
)

// Typed is the shared shape of every component factory: a type name, the defaults of its config
// struct, and a constructor that receives the decoded, validated config and the settings the
// agent injects (STYLE: Config is the user's, Settings are injected). The kind packages wrap it
// (source.NewFactory, sink.NewFactory ...) so a component writes only its struct and New.
type Typed[C any, S any, T any] struct {
	Name     string
	Defaults func() *C
	New      func(cfg *C, set S) (T, error)
	// Flume describes the Flume component types this one stands for, for `agent convert`.
	Flume []*flume.Mapping
}

// FlumeMappings returns the Flume types the component type converts from (flume.Carrier).
func (f Typed[C, S, T]) FlumeMappings() []*flume.Mapping { return f.Flume }

// Type is the component type as written in the config (`source "netcat" ...`).
func (f Typed[C, S, T]) Type() string { return f.Name }

// Decode decodes a component body into a fresh config holding the defaults, then validates it.
func (f Typed[C, S, T]) Decode(body hcl.Body, ectx *hcl.EvalContext, what string, subject hcl.Range) (any, hcl.Diagnostics) {
	cfg := f.Defaults()
	diags := Decode(body, ectx, cfg, what, subject)
	return cfg, diags
}

// Create builds the component from a config returned by Decode.
func (f Typed[C, S, T]) Create(cfg any, set S) (T, error) {
	c, ok := cfg.(*C)
	if !ok {
		var zero T
		return zero, fmt.Errorf("%s: config of type %T, want %T", f.Name, cfg, c)
	}
	return f.New(c, set)
}
