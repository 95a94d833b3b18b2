package http

import (
	"bytes"
	"testing"

	"github.com/flumego/flumego/metrics"
)

// FuzzNDJSON checks that any request body gives either every non-blank line as one event or a
// refusal, never a panic or a partial result; an event without a message is its line.
func FuzzNDJSON(f *testing.F) {
	for _, s := range []string{
		"{\"message\":\"m\",\"level\":\"info\"}\n{\"a\":{\"b\":[1,2]}}\r\n\n",
		"{\"a\":1} trailing\n", "[1]\n", "{\"message\":\"\\ud800\xff\"}", "\n\n", "{\"a\":{\"b\":{\"c\":{}}}}",
	} {
		f.Add([]byte(s))
	}
	cfg := Defaults()
	cfg.Handler, cfg.MaxDepth = HandlerNDJSON, 2
	dec := newDecoder(cfg, metrics.NewRegistry("").Source("r1", "http"))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, status, err := dec(bytes.Clone(data))
		var lines [][]byte
		for _, l := range bytes.Split(data, []byte("\n")) {
			if l = trimSpace(l); len(l) > 0 {
				lines = append(lines, l)
			}
		}
		if err != nil {
			if events != nil || (status != 400 && status != 413) {
				t.Fatalf("refusal %d %v with %d events", status, err, len(events))
			}
			return
		}
		if len(events) != len(lines) {
			t.Fatalf("%d events from %d lines", len(events), len(lines))
		}
		for i, e := range events {
			if _, ok := e.Headers["message"]; ok {
				t.Fatalf("line %d: the message is also a header", i+1)
			}
			if !bytes.Contains(lines[i], []byte(`"message"`)) && !bytes.Equal(e.Body, lines[i]) {
				t.Fatalf("line %d: body %q, want the line %q", i+1, e.Body, lines[i])
			}
		}
	})
}
