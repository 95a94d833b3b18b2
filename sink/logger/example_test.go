package logger

import (
	"testing"

	"github.com/flumego/flumego/internal/exampletest"
)

// TestExample decodes every logger block of example.hcl through the factory (the attributes
// common to all sinks, channel and batch_size, are the config stage's) and creates the sink.
func TestExample(t *testing.T) {
	exampletest.Sinks(t, "logger", NewFactory(), nil)
}
