// Package serializertest holds a serializer for sinks' tests: text that cannot encode one body,
// to check that a sink reports such an event as a permanent failure and delivers the others.
// It is imported only by tests.
package serializertest

import (
	"errors"
	"io"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/serializer"
)

// ErrPoison is the encode error of the poison body.
var ErrPoison = errors.New("cannot encode the poison body")

// Failing returns the config of a serializer that writes text and fails, with an
// *serializer.EncodeError wrapping ErrPoison, on every event whose body is poison.
func Failing(poison string) serializer.Config {
	f := serializer.NewFactory("failing", func() *struct{} { return &struct{}{} },
		func(*struct{}, serializer.Settings) (serializer.Serializer, error) {
			text, err := serializer.New(serializer.Config{}, serializer.Settings{})
			return failing{text, poison}, err
		})
	return serializer.Config{Type: "failing", Factory: f, Spec: &struct{}{}}
}

type failing struct {
	serializer.Serializer
	poison string
}

func (f failing) bad(ev *channel.Event) error {
	if string(ev.Body) == f.poison {
		return &serializer.EncodeError{Err: ErrPoison}
	}
	return nil
}

func (f failing) AppendRecord(dst []byte, ev *channel.Event) ([]byte, error) {
	if err := f.bad(ev); err != nil {
		return dst, err
	}
	return f.Serializer.AppendRecord(dst, ev)
}

func (f failing) NewStream(w io.Writer) (serializer.Stream, error) {
	st, err := f.Serializer.NewStream(w)
	return failingStream{st, f}, err
}

type failingStream struct {
	serializer.Stream
	f failing
}

func (s failingStream) Append(ev *channel.Event) error {
	if err := s.f.bad(ev); err != nil {
		return err
	}
	return s.Stream.Append(ev)
}
