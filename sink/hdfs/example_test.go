package hdfs

import (
	"strings"
	"testing"

	"github.com/flumego/flumego/internal/exampletest"
)

// TestExample decodes every hdfs block of example.hcl through the factory and creates the
// sink (remote paths are pointed at the test's temporary directory instead).
func TestExample(t *testing.T) {
	n := exampletest.Sinks(t, "hdfs", NewFactory(), func(t testing.TB, cfg any) {
		c := cfg.(*Config)
		_, dir, _ := strings.Cut(strings.SplitN(c.Path, "://", 2)[1], "/")
		c.Path = "file://" + t.TempDir() + "/" + dir
	})
	if n != 3 {
		t.Fatalf("example.hcl holds %d hdfs sinks, want 3", n)
	}
}
