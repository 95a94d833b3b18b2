package avrorpc

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"io"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
)

// pipeConn is a net.Conn reading from r and writing to w, for the deflate layer's tests.
type pipeConn struct {
	net.Conn
	r io.Reader
	w *bytes.Buffer
}

func (c *pipeConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *pipeConn) Write(p []byte) (int, error)      { return c.w.Write(p) }
func (c *pipeConn) Close() error                     { return nil }
func (c *pipeConn) SetWriteDeadline(time.Time) error { return nil }

// TestDeflateCapture reads the Java client's compressed stream of capture 06 through the
// deflate layer (zlib with a sync flush per frame, finished at close) and answers it: the
// answer must decompress to the Java server's frame and be framed the same way.
func TestDeflateCapture(t *testing.T) {
	chunks := readCapture(t, "06-deflate-raw.log")
	if len(chunks) != 3 || !chunks[0].FromClient || chunks[1].FromClient || !chunks[2].FromClient {
		t.Fatalf("unexpected capture shape")
	}
	if !bytes.HasPrefix(chunks[0].Bytes, []byte{0x78, 0x9c}) || !bytes.HasSuffix(chunks[0].Bytes, []byte{0, 0, 0xff, 0xff}) {
		t.Fatal("the capture is not a zlib stream with sync flushes")
	}
	var out bytes.Buffer
	in := io.MultiReader(bytes.NewReader(chunks[0].Bytes), bytes.NewReader(chunks[2].Bytes))
	dc, err := NewDeflateConn(&pipeConn{r: in, w: &out}, DefaultDeflateLevel)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(dc)
	serial, payload, err := ReadFrame(br, nil, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(payload)
	head, err := ReadRequestHead(d, true)
	if err != nil {
		t.Fatal(err)
	}
	events, err := ReadEvents(d, head.Message, Limits{MaxEvents: 10, MaxHeaders: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []channel.Event{
		ev("event 0", "host", "javapeer", "seq", "0"), ev("event 1", "host", "javapeer", "seq", "1"), ev("event 2", "host", "javapeer", "seq", "2"),
	}
	if serial != 1 || head.Message != MessageAppendBatch || head.Handshake.ClientHash != FlumeProtocol().Hash || !reflect.DeepEqual(events, want) {
		t.Fatalf("decoded serial %d %s %+v %+v", serial, head.Message, head.Handshake, events)
	}
	// The client finished its stream: the reader sees a clean end, the checksum verified.
	if _, _, err := ReadFrame(br, nil, 1<<20); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}

	var fb FrameBuilder
	BuildResponse(&fb, 1, &HandshakeResponse{Match: MatchBoth}, StatusOK)
	if _, err := dc.Write(fb.Bytes()); err != nil {
		t.Fatal(err)
	}
	got := append([]byte(nil), out.Bytes()...)
	if !bytes.HasPrefix(got, []byte{0x78, 0x9c}) || !bytes.HasSuffix(got, []byte{0, 0, 0xff, 0xff}) {
		t.Fatalf("answer %x is not a zlib stream start with a sync flush", got)
	}
	if !bytes.Equal(inflate(t, got, false), inflate(t, chunks[1].Bytes, false)) {
		t.Fatalf("answer inflates to %x, want the Java server's %x", inflate(t, got, false), inflate(t, chunks[1].Bytes, false))
	}
	if err := dc.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(inflate(t, out.Bytes(), true), fb.Bytes()) {
		t.Fatal("the finished stream does not hold exactly the answer")
	}
}

// inflate decompresses a zlib stream; complete says it must end with its checksum.
func inflate(t *testing.T, b []byte, complete bool) []byte {
	t.Helper()
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if complete && err != nil || !complete && err != io.ErrUnexpectedEOF {
		t.Fatalf("inflate: %v (complete %v)", err, complete)
	}
	return out
}
