package avrotest

import (
	"bufio"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// Chunk is one frame (or, in the deflate capture, one raw TCP chunk) of a capture of the real
// Java client and server, as the proxy between them saw it.
type Chunk struct {
	FromClient bool
	Bytes      []byte
}

// ReadCapture parses a capture (internal/avrorpc/testdata, copied from shared/avro-rpc): a
// "C->S ..." or "S->C ..." line opens a chunk, the indented hex lines under it are its bytes,
// and the decoded reading that follows is ignored.
func ReadCapture(t testing.TB, path string) []Chunk {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Chunk
	inHex := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "C->S "), strings.HasPrefix(line, "S->C "):
			out = append(out, Chunk{FromClient: strings.HasPrefix(line, "C->S")})
			inHex = true
		case inHex && strings.HasPrefix(line, "    ") && isHexLine(line):
			b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(line), " ", ""))
			if err != nil {
				t.Fatalf("%s: %q: %v", path, line, err)
			}
			out[len(out)-1].Bytes = append(out[len(out)-1].Bytes, b...)
		default:
			inHex = false
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s holds no frames", path)
	}
	return out
}

func isHexLine(line string) bool {
	for _, f := range strings.Fields(line) {
		if len(f) != 2 {
			return false
		}
		if _, err := hex.DecodeString(f); err != nil {
			return false
		}
	}
	return true
}
