package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/jsonfields"
	"github.com/flumego/flumego/metrics"
)

// The request formats (Config.Handler).
const (
	// HandlerFlume is Flume's org.apache.flume.source.http.JSONHandler: a JSON array of
	// {"headers": {"k": "v"}, "body": "text"}.
	HandlerFlume = "flume"
	// HandlerNDJSON is newline-delimited JSON: one object per line, each an event.
	HandlerNDJSON = "ndjson"
	// HandlerJSON is one JSON object per request, one event.
	HandlerJSON = "json"
)

// JSONMaxDepthFail counts events of the ndjson and json handlers with an object kept as JSON
// text because of max_depth (the json interceptor counts the same on its source).
const JSONMaxDepthFail = "JSONMaxDepthFail"

// decodeFunc turns a request's whole body into events, or says why not with the status to
// answer (400 or 413).
type decodeFunc func(data []byte) ([]channel.Event, int, error)

// validateHandler reports the problems of the handler settings.
func (c *Config) validateHandler() []error {
	var errs []error
	switch c.Handler {
	case HandlerFlume:
	case HandlerNDJSON, HandlerJSON:
		o := c.jsonOptions()
		errs = append(errs, o.Validate())
	default:
		errs = append(errs, schema.Errorf("handler", `must be "flume" (Flume's JSON array), "ndjson" or "json", got %q`, c.Handler))
	}
	return errs
}

// Warnings reports settings that the chosen handler ignores.
func (c *Config) Warnings() []error {
	var ws []error
	if c.Handler == HandlerFlume {
		d := Defaults()
		if c.MessageKey != d.MessageKey {
			ws = append(ws, schema.Errorf("message_key", `is used by the "ndjson" and "json" handlers only`))
		}
		if c.MaxDepth != d.MaxDepth {
			ws = append(ws, schema.Errorf("max_depth", `is used by the "ndjson" and "json" handlers only`))
		}
	}
	return ws
}

func (c *Config) jsonOptions() jsonfields.Options {
	return jsonfields.Options{MaxDepth: c.MaxDepth, MessageKey: c.MessageKey}
}

// newDecoder returns the decoder of the configured handler.
func newDecoder(c *Config, m *metrics.Source) decodeFunc {
	if c.Handler == HandlerFlume {
		return func(data []byte) ([]channel.Event, int, error) { return decodeFlume(data, c.MaxBatchEvents) }
	}
	h := &jsonHandler{f: jsonfields.New(c.jsonOptions()), maxEvents: c.MaxBatchEvents, depthFail: m.Counter(JSONMaxDepthFail)}
	if c.Handler == HandlerNDJSON {
		return h.decodeLines
	}
	return h.decodeObject
}

// jsonEvent is one element of a Flume request's array.
type jsonEvent struct {
	Headers map[string]string `json:"headers"`
	Body    *string           `json:"body"`
}

// decodeFlume reads Flume's array of {"headers", "body"}, as Flume's JSONHandler does.
func decodeFlume(data []byte, maxEvents int) ([]channel.Event, int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		return nil, http.StatusBadRequest, errors.New(`want a JSON array of {"headers": {...}, "body": "..."}`)
	}
	var events []channel.Event
	for dec.More() {
		if len(events) == maxEvents {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("more than max_batch_events (%d) events", maxEvents)
		}
		var je jsonEvent
		if err := dec.Decode(&je); err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("event %d: %w", len(events), err)
		}
		e := channel.Event{Body: []byte{}}
		if je.Body != nil {
			e.Body = []byte(*je.Body)
		}
		if len(je.Headers) > 0 {
			e.Headers = je.Headers
		}
		events = append(events, e)
	}
	if _, err := dec.Token(); err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("after event %d: %w", len(events), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, http.StatusBadRequest, errors.New("data after the JSON array")
	}
	return events, 0, nil
}

// jsonHandler reads JSON objects whose fields become headers (as the json interceptor's, see
// internal/jsonfields) and whose message_key field becomes the body; an object without it is
// the body whole.
type jsonHandler struct {
	f         *jsonfields.Flattener
	maxEvents int
	depthFail *metrics.Counter
}

// decodeLines reads one object per line; blank lines are skipped, a line may end in "\r\n".
// One bad line refuses the whole request, naming the line (counted from 1).
func (h *jsonHandler) decodeLines(data []byte) ([]channel.Event, int, error) {
	d := h.f.Doc()
	defer d.Release()
	// Every body is copied into one buffer for the request: the request's own bytes may be
	// reused once it is answered.
	bodies := make([]byte, 0, len(data))
	var events []channel.Event
	truncated := 0
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = trimSpace(line)
		if len(line) == 0 {
			continue
		}
		if len(events) == h.maxEvents {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("more than max_batch_events (%d) lines", h.maxEvents)
		}
		var e channel.Event
		var err error
		if bodies, err = h.event(d, line, bodies, &e); err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("line %d: %w", n, err)
		}
		if d.Truncated() {
			truncated++
		}
		events = append(events, e)
	}
	h.depthFail.Add(int64(truncated))
	return events, 0, nil
}

// decodeObject reads a request that is one object.
func (h *jsonHandler) decodeObject(data []byte) ([]channel.Event, int, error) {
	d := h.f.Doc()
	defer d.Release()
	data = trimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		return nil, http.StatusBadRequest, errors.New(`a JSON array: the "json" handler takes one object per request ("ndjson" takes one per line, "flume" Flume's array of {"headers", "body"})`)
	}
	var e channel.Event
	if _, err := h.event(d, data, make([]byte, 0, len(data)), &e); err != nil {
		return nil, http.StatusBadRequest, err
	}
	if d.Truncated() {
		h.depthFail.Inc()
	}
	return []channel.Event{e}, 0, nil
}

// event parses obj into e, appending its body to bodies; d then tells whether it was truncated.
func (h *jsonHandler) event(d *jsonfields.Doc, obj, bodies []byte, e *channel.Event) ([]byte, error) {
	if err := d.Parse(obj); err != nil {
		return bodies, err
	}
	d.SetHeaders(e, true)
	start := len(bodies)
	if d.HasMessage() {
		bodies = d.AppendMessage(bodies)
	} else {
		bodies = append(bodies, obj...)
	}
	e.Body = bodies[start:len(bodies):len(bodies)]
	return bodies, nil
}

// trimSpace removes JSON's whitespace around b.
func trimSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}
