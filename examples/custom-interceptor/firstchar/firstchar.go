// Package firstchar is a custom interceptor, "first_char": it sets a header from the first
// character of each event's body, so a multiplexing selector can route on it. It is the Java
// interceptor of Flume's netcat-interceptor-multiplexing.conf ported to Go:
//
//	interceptor "first_char" {
//	  header = "type"   # the header to set
//	  digit  = "number" # its value when the body starts with a digit
//	  letter = "letter" # ... with a letter (ASCII or not)
//	  other  = "other"  # ... with anything else, or when the body is empty
//	}
package firstchar

import (
	"errors"
	"unicode"
	"unicode/utf8"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/interceptor"
)

// Config is the interceptor's settings, decoded from its block; defaults come from Defaults.
type Config struct {
	Header string `hcl:"header,optional"`
	Digit  string `hcl:"digit,optional"`
	Letter string `hcl:"letter,optional"`
	Other  string `hcl:"other,optional"`
}

// Defaults returns the settings before the block is decoded.
func Defaults() *Config {
	return &Config{Header: "type", Digit: "number", Letter: "letter", Other: "other"}
}

// Validate runs after decoding; an error names its attribute, so the agent reports it at
// that attribute's file:line:column.
func (c *Config) Validate() error {
	if c.Header == "" {
		return schema.Errorf("header", "must not be empty")
	}
	return nil
}

// NewFactory returns the factory the agent's component list holds.
func NewFactory() interceptor.Factory { return interceptor.NewFactory("first_char", Defaults, New) }

// New builds the interceptor from validated settings.
func New(cfg *Config, _ interceptor.Settings) (interceptor.Interceptor, error) {
	if cfg.Header == "" {
		return nil, errors.New("first_char: header must not be empty")
	}
	return &firstChar{cfg: *cfg}, nil
}

type firstChar struct{ cfg Config }

// Intercept sets the header on every event in place and keeps them all. It does no I/O and
// allocates nothing per event beyond the header map an event may lack.
func (f *firstChar) Intercept(events []channel.Event) []channel.Event {
	for i := range events {
		r, _ := utf8.DecodeRune(events[i].Body)
		v := f.cfg.Other
		switch {
		case len(events[i].Body) == 0:
		case unicode.IsDigit(r):
			v = f.cfg.Digit
		case unicode.IsLetter(r):
			v = f.cfg.Letter
		}
		events[i].SetHeader(f.cfg.Header, v)
	}
	return events
}
