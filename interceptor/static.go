package interceptor

import (
	"errors"

	"github.com/flumego/flumego/channel"
)

// StaticConfig configures the static interceptor, Flume's StaticInterceptor: it sets one
// header to a fixed value.
type StaticConfig struct {
	Key   string `hcl:"key,optional"`
	Value string `hcl:"value,optional"`
	// PreserveExisting keeps a header already set.
	PreserveExisting bool `hcl:"preserve_existing,optional"`
}

func defaultStatic() *StaticConfig {
	return &StaticConfig{Key: "key", Value: "value", PreserveExisting: true}
}

// Validate reports every problem of the configuration.
func (c *StaticConfig) Validate() error {
	return errors.Join(notEmpty("key", c.Key))
}

// NewStaticFactory returns the factory of the "static" interceptor.
func NewStaticFactory() Factory {
	return NewFactory("static", defaultStatic, NewStatic, flumeStatic)
}

// NewStatic returns a static interceptor.
func NewStatic(cfg *StaticConfig, _ Settings) (Interceptor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, createErr("interceptor", "static", err)
	}
	return &staticHeader{key: cfg.Key, value: cfg.Value, preserve: cfg.PreserveExisting}, nil
}

// staticHeader sets one header to a value fixed at creation (static, host).
type staticHeader struct {
	key, value string
	preserve   bool
}

func (s *staticHeader) Intercept(events []channel.Event) []channel.Event {
	for i := range events {
		e := &events[i]
		if s.preserve {
			if _, ok := e.Headers[s.key]; ok {
				continue
			}
		}
		e.SetHeader(s.key, s.value)
	}
	return events
}
