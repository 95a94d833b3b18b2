package avrorpc

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/flumego/flumego/channel"
)

func mustHash(t *testing.T, s string) Hash {
	t.Helper()
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		t.Fatalf("bad hash %q", s)
	}
	copy(h[:], b)
	return h
}

func ev(body string, kv ...string) channel.Event {
	e := channel.Event{Body: []byte(body)}
	for i := 0; i+1 < len(kv); i += 2 {
		e.SetHeader(kv[i], kv[i+1])
	}
	return e
}

// message is one frame of a capture as decoded: a request or an answer.
type message struct {
	serial int32
	// request
	hsReq   *HandshakeRequest
	name    string
	events  []channel.Event
	request bool
	// answer
	hsResp *HandshakeResponse
	status Status
	errMsg string
}

func TestProtocolHashes(t *testing.T) {
	if got := FlumeProtocol().Hash.String(); got != "86aadae2c45474c0fe93ffd0f2350a65" {
		t.Errorf("FlumeProtocol hash = %s", got)
	}
	if got := FlumeProtocolAvro1111().Hash.String(); got != "8076c53714e01f6e2c1deb9544e7b1fe" {
		t.Errorf("FlumeProtocolAvro1111 hash = %s", got)
	}
	if md5.Sum([]byte(FlumeProtocol().Text)) != FlumeProtocol().Hash {
		t.Error("hash is not the MD5 of the text")
	}
}

// TestCaptures decodes every frame of every capture of the real Java client and server, checks
// it against what the capture's reading says, and re-encodes it: the bytes must be the Java
// bytes exactly.
func TestCaptures(t *testing.T) {
	h174 := mustHash(t, "86aadae2c45474c0fe93ffd0f2350a65")
	h1111 := mustHash(t, "8076c53714e01f6e2c1deb9544e7b1fe")
	javaHS := func(h Hash) *HandshakeRequest {
		return &HandshakeRequest{ClientHash: h, ServerHash: h, Meta: map[string][]byte{}}
	}
	both := &HandshakeResponse{Match: MatchBoth}
	sdk := func(i int) channel.Event {
		return ev(fmt.Sprintf("flume-sdk event %d", i), "src", "flume-sdk", "seq", fmt.Sprint(i))
	}
	tests := []struct {
		file string
		want []message
	}{
		{"01-appendBatch-2events-handshake-BOTH.log", []message{
			{serial: 1, request: true, hsReq: javaHS(h174), name: "appendBatch", events: []channel.Event{
				ev("event 0", "seq", "0", "host", "javapeer"), ev("event 1", "seq", "1", "host", "javapeer")}},
			{serial: 1, hsResp: both, status: StatusOK},
		}},
		{"02-handshake-NONE-then-resend.log", []message{
			{serial: 1, request: true, hsReq: javaHS(h1111), name: "appendBatch", events: []channel.Event{
				ev("event 0", "seq", "0", "host", "javapeer")}},
			{serial: 1, hsResp: &HandshakeResponse{Match: MatchNone, ServerProtocol: FlumeProtocol().Text,
				HasServerProtocol: true, ServerHash: h174, HasServerHash: true}},
			{serial: 2, request: true, hsReq: &HandshakeRequest{ClientHash: h1111, ClientProtocol: FlumeProtocolAvro1111().Text,
				HasClientProtocol: true, ServerHash: h174, Meta: map[string][]byte{}}, name: "appendBatch",
				events: []channel.Event{ev("event 0", "seq", "0", "host", "javapeer")}},
			{serial: 2, hsResp: both, status: StatusOK},
		}},
		{"03-two-appends-same-connection.log", []message{
			{serial: 1, request: true, hsReq: javaHS(h174), name: "append", events: []channel.Event{
				ev("event 0", "host", "javapeer", "seq", "0")}},
			{serial: 1, hsResp: both, status: StatusOK},
			{serial: 2, request: true, name: "append", events: []channel.Event{ev("event 1", "host", "javapeer", "seq", "1")}},
			{serial: 2, status: StatusOK},
		}},
		{"04-server-system-error.log", []message{
			{serial: 1, request: true, hsReq: javaHS(h174), name: "append", events: []channel.Event{
				ev("event 0", "host", "javapeer", "seq", "0")}},
			{serial: 1, hsResp: both, errMsg: "java.lang.NullPointerException: null value for (non-nullable) Status"},
		}},
		{"05-flume-sdk-client-batch-size-3.log", []message{
			{serial: 1, request: true, hsReq: javaHS(h174), name: "appendBatch", events: []channel.Event{sdk(0), sdk(1), sdk(2)}},
			{serial: 1, hsResp: both, status: StatusOK},
			{serial: 2, request: true, name: "appendBatch", events: []channel.Event{sdk(3), sdk(4), sdk(5)}},
			{serial: 2, status: StatusOK},
			{serial: 3, request: true, name: "appendBatch", events: []channel.Event{sdk(6)}},
			{serial: 3, status: StatusOK},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			chunks := readCapture(t, tt.file)
			if len(chunks) != len(tt.want) {
				t.Fatalf("%d frames, want %d", len(chunks), len(tt.want))
			}
			handshaken := false // the connection's handshake was answered BOTH or CLIENT
			for i, c := range chunks {
				w := tt.want[i]
				if c.FromClient != w.request {
					t.Fatalf("frame %d: direction", i)
				}
				got := decodeFrame(t, c.Bytes, w.request, !handshaken)
				if !reflect.DeepEqual(got, w) {
					t.Fatalf("frame %d decoded as\n%+v\nwant\n%+v", i, got, w)
				}
				if !w.request && w.hsResp != nil && w.hsResp.Match != MatchNone {
					handshaken = true
				}
				reencode(t, i, w, c.Bytes)
			}
		})
	}
}

// decodeFrame reads one frame completely, as the source or the client would.
func decodeFrame(t *testing.T, frame []byte, request, withHandshake bool) message {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(frame))
	serial, payload, err := ReadFrame(br, nil, 1<<20)
	if err != nil {
		t.Fatalf("ReadFrame: %v", err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatal("bytes left after the frame")
	}
	m := message{serial: serial, request: request}
	if request {
		d := NewDecoder(payload)
		head, err := ReadRequestHead(d, withHandshake)
		if err != nil {
			t.Fatalf("ReadRequestHead: %v", err)
		}
		if len(head.Meta) != 0 {
			t.Fatalf("call meta %v", head.Meta)
		}
		m.hsReq, m.name = head.Handshake, head.Message
		if m.events, err = ReadEvents(d, head.Message, Limits{MaxEvents: 100, MaxHeaders: 100}, nil); err != nil {
			t.Fatalf("ReadEvents: %v", err)
		}
		return m
	}
	resp, err := ReadResponse(payload, withHandshake)
	if err != nil {
		t.Fatalf("ReadResponse: %v", err)
	}
	if len(resp.Meta) != 0 {
		t.Fatalf("response meta %v", resp.Meta)
	}
	m.hsResp, m.status, m.errMsg = resp.Handshake, resp.Status, resp.Error
	if resp.IsError != (m.errMsg != "") {
		t.Fatalf("error flag %v with message %q", resp.IsError, resp.Error)
	}
	return m
}

// reencode builds the frame again from its decoded content and compares it with the Java bytes.
// Header maps are written in Go's map order, which is random: the encoding is retried until the
// order matches Java's (a few tries for these two-entry maps), so what is compared is every
// byte, never a decoded approximation.
func reencode(t *testing.T, i int, m message, want []byte) {
	t.Helper()
	var fb FrameBuilder
	for try := 0; try < 500; try++ {
		switch {
		case m.request:
			BuildRequest(&fb, m.serial, m.hsReq, m.name, m.events)
		case m.hsResp != nil && m.hsResp.Match == MatchNone:
			BuildHandshakeOnly(&fb, m.serial, m.hsResp)
		case m.errMsg != "":
			BuildErrorResponse(&fb, m.serial, m.hsResp, m.errMsg)
		default:
			BuildResponse(&fb, m.serial, m.hsResp, m.status)
		}
		if bytes.Equal(fb.Bytes(), want) {
			return
		}
		if len(fb.Bytes()) != len(want) {
			break
		}
	}
	t.Fatalf("frame %d re-encoded as\n%x\nwant\n%x", i, fb.Bytes(), want)
}

// TestResponderAnswersAsJavaDoes replays the handshakes of the captures through a Responder
// that, like the Java server captured, knows only the Avro 1.7.4 text: its answers must be the
// Java server's bytes, NONE and its protocol text included.
func TestResponderAnswersAsJavaDoes(t *testing.T) {
	for _, file := range []string{"01-appendBatch-2events-handshake-BOTH.log", "02-handshake-NONE-then-resend.log", "05-flume-sdk-client-batch-size-3.log"} {
		t.Run(file, func(t *testing.T) {
			r := NewResponder(FlumeProtocol())
			chunks := readCapture(t, file)
			handshaken := false
			for i := 0; i+1 < len(chunks); i += 2 {
				req := decodeFrame(t, chunks[i].Bytes, true, !handshaken)
				var fb FrameBuilder
				if req.hsReq == nil {
					BuildResponse(&fb, req.serial, nil, StatusOK)
				} else {
					resp, err := r.Handshake(req.hsReq)
					if err != nil {
						t.Fatal(err)
					}
					if resp.Match == MatchNone {
						BuildHandshakeOnly(&fb, req.serial, resp)
					} else {
						handshaken = true
						BuildResponse(&fb, req.serial, resp, StatusOK)
					}
				}
				if !bytes.Equal(fb.Bytes(), chunks[i+1].Bytes) {
					t.Fatalf("answer %d:\n%x\nwant\n%x", i/2, fb.Bytes(), chunks[i+1].Bytes)
				}
			}
		})
	}
}

func TestFlumeResponderAcceptsBothFlumeHashes(t *testing.T) {
	h174, h1111 := FlumeProtocol().Hash, FlumeProtocolAvro1111().Hash
	other := Hash{1, 2, 3}
	tests := []struct {
		name string
		req  HandshakeRequest
		want Match
	}{
		{"1.7.4 client guessing 1.7.4", HandshakeRequest{ClientHash: h174, ServerHash: h174}, MatchBoth},
		{"1.11.1 client guessing 1.11.1", HandshakeRequest{ClientHash: h1111, ServerHash: h1111}, MatchBoth},
		{"unknown client without text", HandshakeRequest{ClientHash: other, ServerHash: h174}, MatchNone},
		{"unknown client guessing another server", HandshakeRequest{ClientHash: h174, ServerHash: other}, MatchClient},
		{"equivalent text with another doc", HandshakeRequest{ClientHash: other, HasClientProtocol: true,
			ClientProtocol: `{"protocol":"AvroSourceProtocol","doc":"x","types":[{"type":"enum","name":"Status","symbols":["OK","FAILED","UNKNOWN"]},{"type":"record","name":"AvroFlumeEvent","fields":[{"name":"headers","type":{"type":"map","values":"string"}},{"name":"body","type":"bytes"}]}],"messages":{"append":{"request":[{"name":"event","type":"AvroFlumeEvent"}],"response":"Status"},"appendBatch":{"request":[{"name":"events","type":{"type":"array","items":"AvroFlumeEvent"}}],"response":"Status"}}}`,
			ServerHash:     h174}, MatchBoth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewFlumeResponder()
			resp, err := r.Handshake(&tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Match != tt.want {
				t.Fatalf("match %v, want %v", resp.Match, tt.want)
			}
			if (resp.Match != MatchBoth) != resp.HasServerProtocol || resp.HasServerProtocol && resp.ServerHash != h174 {
				t.Fatalf("server protocol sent %v hash %s", resp.HasServerProtocol, resp.ServerHash)
			}
		})
	}
	t.Run("a learned client needs no text on its next connection", func(t *testing.T) {
		r := NewFlumeResponder()
		req := tests[4].req
		if _, err := r.Handshake(&req); err != nil {
			t.Fatal(err)
		}
		resp, _ := r.Handshake(&HandshakeRequest{ClientHash: other, ServerHash: h174})
		if resp.Match != MatchBoth {
			t.Fatalf("match %v", resp.Match)
		}
	})
	t.Run("an incompatible protocol is refused", func(t *testing.T) {
		r := NewFlumeResponder()
		_, err := r.Handshake(&HandshakeRequest{ClientHash: other, HasClientProtocol: true,
			ClientProtocol: `{"protocol":"Mail","messages":{"send":{"request":[],"response":"string"}}}`})
		if err == nil {
			t.Fatal("no error")
		}
	})
}
