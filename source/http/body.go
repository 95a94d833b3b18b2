package http

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/flumego/flumego/source"
)

// retryAfter is the Retry-After of a 503: a second, for a full channel or a full in-flight
// budget to drain a little.
const retryAfter = "1"

// errBusy is why a request found no room in the in-flight budget.
var errBusy = errors.New("the agent holds max_inflight_bytes of requests already; retry later")

// readBody reads the request's body whole. A declared Content-Length above max_request_bytes is
// refused (413) before anything is read, so a client announcing a huge body learns it at once.
// The body's bytes are reserved from the in-flight budget before they are allocated — all at
// once when the length is declared, as they arrive when it is not (chunked) — and a request
// that finds no room is answered 503 at once rather than held: an HTTP client retries.
func (s *Source) readBody(w http.ResponseWriter, r *http.Request, res *source.Reservation) ([]byte, int, error) {
	limit := int64(s.cfg.MaxRequestBytes)
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("Content-Length %d is above max_request_bytes (%v)", r.ContentLength, s.cfg.MaxRequestBytes)
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength >= 0 {
		if !res.TryGrow(r.ContentLength) {
			return nil, http.StatusServiceUnavailable, errBusy
		}
		data := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(body, data); err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("read request: %w", err)
		}
		return data, 0, nil
	}
	data := make([]byte, 0, min(4<<10, int(limit)+1))
	if !res.TryGrow(int64(cap(data))) {
		return nil, http.StatusServiceUnavailable, errBusy
	}
	for {
		if len(data) == cap(data) {
			// Double, reserving the new buffer first; the old one is garbage once copied.
			next := min(2*cap(data), int(limit)+1)
			if !res.TryGrow(int64(next - cap(data))) {
				return nil, http.StatusServiceUnavailable, errBusy
			}
			data = append(make([]byte, 0, next), data...)
		}
		n, err := body.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		switch {
		case errors.Is(err, io.EOF):
			return data, 0, nil
		case err != nil:
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("request larger than max_request_bytes (%v)", s.cfg.MaxRequestBytes)
			}
			return nil, http.StatusBadRequest, fmt.Errorf("read request: %w", err)
		}
	}
}
