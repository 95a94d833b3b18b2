package interceptor

import (
	"crypto/rand"
	"errors"
	"strings"

	"github.com/flumego/flumego/channel"
)

// UUIDConfig configures the uuid interceptor, Flume's UUIDInterceptor: it sets a header to a
// random (version 4) UUID, so a downstream store can drop the duplicates at-least-once delivery
// may create.
type UUIDConfig struct {
	// HeaderName is the header to set.
	HeaderName string `hcl:"header_name,optional"`
	// PreserveExisting keeps an id already set (by an upstream agent, say).
	PreserveExisting bool `hcl:"preserve_existing,optional"`
	// Prefix is prepended to every UUID.
	Prefix string `hcl:"prefix,optional"`
}

func defaultUUID() *UUIDConfig {
	return &UUIDConfig{HeaderName: "id", PreserveExisting: true}
}

// Validate reports every problem of the configuration.
func (c *UUIDConfig) Validate() error {
	return errors.Join(notEmpty("header_name", c.HeaderName))
}

// NewUUIDFactory returns the factory of the "uuid" interceptor.
func NewUUIDFactory() Factory {
	return NewFactory("uuid", defaultUUID, NewUUID, flumeUUID)
}

// NewUUID returns a uuid interceptor.
func NewUUID(cfg *UUIDConfig, _ Settings) (Interceptor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, createErr("interceptor", "uuid", err)
	}
	return &uuidHeader{header: cfg.HeaderName, preserve: cfg.PreserveExisting, prefix: cfg.Prefix}, nil
}

type uuidHeader struct {
	header   string
	preserve bool
	prefix   string
}

// uuidChunk is how many UUIDs' worth of randomness is read from crypto/rand at once.
const uuidChunk = 64

// Intercept reads randomness in chunks and writes every value of the batch into one string, so
// a batch costs one allocation for its ids rather than one per event; each header value is a
// substring of it.
func (u *uuidHeader) Intercept(events []channel.Event) []channel.Event {
	n := 0
	for i := range events {
		if u.wants(&events[i]) {
			n++
		}
	}
	if n == 0 {
		return events
	}
	width := len(u.prefix) + 36
	var sb strings.Builder
	sb.Grow(n * width)
	var rnd [uuidChunk * 16]byte
	var text [36]byte
	for done := 0; done < n; {
		k := min(n-done, uuidChunk)
		rand.Read(rnd[:k*16]) // never fails (crypto/rand crashes the program instead)
		for j := range k {
			formatUUID(&text, rnd[j*16:j*16+16])
			sb.WriteString(u.prefix)
			sb.Write(text[:])
		}
		done += k
	}
	all := sb.String()
	off := 0
	for i := range events {
		e := &events[i]
		if !u.wants(e) {
			continue
		}
		e.SetHeader(u.header, all[off:off+width])
		off += width
	}
	return events
}

func (u *uuidHeader) wants(e *channel.Event) bool {
	if !u.preserve {
		return true
	}
	_, ok := e.Headers[u.header]
	return !ok
}

// formatUUID writes 16 random bytes as a version 4, variant 1 UUID in its 36-character form.
func formatUUID(dst *[36]byte, b []byte) {
	const hexdigits = "0123456789abcdef"
	var u [16]byte
	copy(u[:], b)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j] = hexdigits[c>>4]
		dst[j+1] = hexdigits[c&0x0f]
		j += 2
	}
}
