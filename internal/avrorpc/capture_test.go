package avrorpc

import (
	"path/filepath"
	"testing"

	"github.com/flumego/flumego/internal/avrorpc/avrotest"
)

// readCapture parses a capture in testdata/ (copied from shared/avro-rpc).
func readCapture(t testing.TB, name string) []avrotest.Chunk {
	t.Helper()
	return avrotest.ReadCapture(t, filepath.Join("testdata", name))
}
