package fileroll

import (
	"testing"

	"github.com/flumego/flumego/internal/exampletest"
)

// TestExample decodes every file_roll block of example.hcl through the factory (the attributes
// common to all sinks, channel and batch_size, are the config stage's) and creates the sink,
// with the example's directory moved into the test's temporary directory.
func TestExample(t *testing.T) {
	exampletest.Sinks(t, "file_roll", NewFactory(), func(t testing.TB, cfg any) {
		c := cfg.(*Config)
		c.Directory = t.TempDir() + c.Directory
	})
}
