package serializer

import (
	"io"

	"github.com/flumego/flumego/channel"
)

// TextConfig is the text serializer's block (Flume's TEXT serializer, BodyTextEventSerializer):
// the body as is.
type TextConfig struct {
	// AppendNewline ends each body with '\n' in files (Flume's serializer.appendNewline). A
	// record (a Kafka value) never gets one.
	AppendNewline bool `hcl:"append_newline,optional"`
}

func textDefaults() *TextConfig { return &TextConfig{AppendNewline: true} }

// NewTextFactory returns the factory of the "text" serializer.
func NewTextFactory() Factory { return NewFactory(Text, textDefaults, newText) }

type text struct{ nl bool }

func newText(cfg *TextConfig, _ Settings) (Serializer, error) {
	return &text{nl: cfg.AppendNewline}, nil
}

func (t *text) AppendRecord(dst []byte, ev *channel.Event) ([]byte, error) {
	return append(dst, ev.Body...), nil
}

// Verbatim reports whether s makes every standalone record the event's body as it is (the
// text serializer does), so that a sink may send the body itself instead of a copy.
func Verbatim(s Serializer) bool {
	_, ok := s.(*text)
	return ok
}

// textStream writes bodies straight to w, without copying them first.
type textStream struct {
	w  io.Writer
	nl bool
}

var newline = []byte{'\n'}

func (s textStream) Append(ev *channel.Event) error {
	if _, err := s.w.Write(ev.Body); err != nil {
		return err
	}
	if s.nl {
		_, err := s.w.Write(newline)
		return err
	}
	return nil
}

func (textStream) Flush() error { return nil }

func (t *text) NewStream(w io.Writer) (Stream, error) { return textStream{w: w, nl: t.nl}, nil }

func (t *text) ValidPrefix(r io.Reader) (int64, bool, error) { return linesValidPrefix(r, t.nl) }
