package avrorpc

import (
	"crypto/md5"
	_ "embed" // the protocol texts
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
)

// The two texts of Flume's AvroSourceProtocol in circulation: the MD5 of the exact text is the
// protocol's identity in the handshake, and the texts differ only in their doc comment.
var (
	//go:embed protocol-avro-1.7.4.json
	protocolText174 string
	//go:embed protocol-avro-1.11.1.json
	protocolText1111 string
)

// Hash is the MD5 of a protocol's text.
type Hash [16]byte

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Protocol is an Avro protocol as the handshake knows it: its JSON text and that text's MD5.
type Protocol struct {
	Text string
	Hash Hash
}

// FlumeProtocol is AvroSourceProtocol as Flume 1.9 to 1.11.0 (Avro 1.7.4 to 1.11.0) send it,
// MD5 86aadae2c45474c0fe93ffd0f2350a65: the identity flumego's client and server present.
func FlumeProtocol() Protocol { return Protocol{protocolText174, md5.Sum([]byte(protocolText174))} }

// FlumeProtocolAvro1111 is AvroSourceProtocol as Flume built with Avro 1.11.1 sends it, MD5
// 8076c53714e01f6e2c1deb9544e7b1fe. It describes the same messages.
func FlumeProtocolAvro1111() Protocol {
	return Protocol{protocolText1111, md5.Sum([]byte(protocolText1111))}
}

// Match is the handshake's verdict.
type Match int

// The handshake verdicts, in Avro's enum order.
const (
	MatchBoth   Match = iota // both sides know each other's protocol
	MatchClient              // the server knows the client's protocol; the client should learn the server's
	MatchNone                // the server does not know the client's protocol: the call was not executed
)

func (m Match) String() string {
	switch m {
	case MatchBoth:
		return "BOTH"
	case MatchClient:
		return "CLIENT"
	case MatchNone:
		return "NONE"
	}
	return fmt.Sprintf("Match(%d)", int(m))
}

// HandshakeRequest opens every call of a connection until one is answered BOTH or CLIENT.
type HandshakeRequest struct {
	ClientHash Hash
	// ClientProtocol is the client's protocol text; HasClientProtocol false encodes null.
	ClientProtocol    string
	HasClientProtocol bool
	ServerHash        Hash
	// Meta nil encodes null; an empty non-nil map encodes {} (what Java sends).
	Meta map[string][]byte
}

// HandshakeResponse opens the answer to every call that carried a HandshakeRequest.
type HandshakeResponse struct {
	Match Match
	// ServerProtocol and ServerHash are sent with CLIENT and NONE, so the client learns them.
	ServerProtocol    string
	HasServerProtocol bool
	ServerHash        Hash
	HasServerHash     bool
	Meta              map[string][]byte // nil encodes null
}

// maxMetaEntries bounds the entries of a handshake or call meta map; Flume sends none.
const maxMetaEntries = 256

// maxProtocolText bounds a client's protocol text (Flume's is about 1.3 KB).
const maxProtocolText = 64 << 10

func appendBytesMap(dst []byte, m map[string][]byte) []byte {
	if len(m) > 0 {
		dst = AppendLong(dst, int64(len(m)))
		for k, v := range m {
			dst = AppendString(dst, k)
			dst = AppendBytes(dst, v)
		}
	}
	return append(dst, 0)
}

// appendOptionalBytesMap appends union[null, map<bytes>].
func appendOptionalBytesMap(dst []byte, m map[string][]byte) []byte {
	if m == nil {
		return append(dst, 0)
	}
	return appendBytesMap(append(dst, 2), m)
}

// AppendHandshakeRequest appends h in Avro binary.
func AppendHandshakeRequest(dst []byte, h *HandshakeRequest) []byte {
	dst = append(dst, h.ClientHash[:]...)
	if h.HasClientProtocol {
		dst = AppendString(append(dst, 2), h.ClientProtocol)
	} else {
		dst = append(dst, 0)
	}
	dst = append(dst, h.ServerHash[:]...)
	return appendOptionalBytesMap(dst, h.Meta)
}

// AppendHandshakeResponse appends h in Avro binary.
func AppendHandshakeResponse(dst []byte, h *HandshakeResponse) []byte {
	dst = AppendLong(dst, int64(h.Match))
	if h.HasServerProtocol {
		dst = AppendString(append(dst, 2), h.ServerProtocol)
	} else {
		dst = append(dst, 0)
	}
	if h.HasServerHash {
		dst = append(append(dst, 2), h.ServerHash[:]...)
	} else {
		dst = append(dst, 0)
	}
	return appendOptionalBytesMap(dst, h.Meta)
}

// readBytesMap reads a map<bytes>; the keys and values share the message.
func readBytesMap(d *Decoder) (map[string][]byte, error) {
	m := map[string][]byte{}
	for {
		n, err := d.BlockCount(2)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return m, nil
		}
		if len(m)+n > maxMetaEntries {
			return nil, malformed("meta map of more than %d entries", maxMetaEntries)
		}
		for range n {
			k, err := d.String()
			if err != nil {
				return nil, err
			}
			v, err := d.Bytes()
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
	}
}

func readOptionalBytesMap(d *Decoder) (map[string][]byte, error) {
	b, err := d.Union(2)
	if err != nil || b == 0 {
		return nil, err
	}
	return readBytesMap(d)
}

func readHash(d *Decoder, h *Hash) error {
	b, err := d.Fixed(len(h))
	if err == nil {
		copy(h[:], b)
	}
	return err
}

// ReadHandshakeRequest reads a HandshakeRequest.
func ReadHandshakeRequest(d *Decoder) (*HandshakeRequest, error) {
	h := &HandshakeRequest{}
	if err := readHash(d, &h.ClientHash); err != nil {
		return nil, err
	}
	b, err := d.Union(2)
	if err != nil {
		return nil, err
	}
	if b == 1 {
		if h.ClientProtocol, err = d.String(); err != nil {
			return nil, err
		}
		if len(h.ClientProtocol) > maxProtocolText {
			return nil, malformed("client protocol text of %d bytes", len(h.ClientProtocol))
		}
		h.HasClientProtocol = true
	}
	if err := readHash(d, &h.ServerHash); err != nil {
		return nil, err
	}
	if h.Meta, err = readOptionalBytesMap(d); err != nil {
		return nil, err
	}
	return h, nil
}

// ReadHandshakeResponse reads a HandshakeResponse.
func ReadHandshakeResponse(d *Decoder) (*HandshakeResponse, error) {
	h := &HandshakeResponse{}
	m, err := d.Enum(3)
	if err != nil {
		return nil, err
	}
	h.Match = Match(m)
	b, err := d.Union(2)
	if err != nil {
		return nil, err
	}
	if b == 1 {
		if h.ServerProtocol, err = d.String(); err != nil {
			return nil, err
		}
		h.HasServerProtocol = true
	}
	if b, err = d.Union(2); err != nil {
		return nil, err
	}
	if b == 1 {
		if err := readHash(d, &h.ServerHash); err != nil {
			return nil, err
		}
		h.HasServerHash = true
	}
	if h.Meta, err = readOptionalBytesMap(d); err != nil {
		return nil, err
	}
	return h, nil
}

// ClientHandshake is the handshake flumego's client opens each connection with: its protocol's
// text and hash, so that any Avro server answers BOTH or CLIENT and never NONE. serverHash is
// the client's guess of the server's protocol (its own, as Avro's client guesses).
func ClientHandshake(local Protocol, serverHash Hash) *HandshakeRequest {
	return &HandshakeRequest{ClientHash: local.Hash, ClientProtocol: local.Text, HasClientProtocol: true,
		ServerHash: serverHash, Meta: map[string][]byte{}}
}

// ErrIncompatibleProtocol is returned by Responder.Handshake for a client whose protocol text
// does not describe AvroSourceProtocol's messages: no call of it can be understood.
var ErrIncompatibleProtocol = errors.New("client protocol is not Flume's AvroSourceProtocol")

// maxLearned bounds the client protocols a Responder remembers by hash.
const maxLearned = 64

// Responder is the server's side of the handshake, shared by every connection of a server (as
// Avro's Responder is): it knows its own protocol, accepts the hashes of equivalent texts as
// its own, and learns the hash of any other client text that describes the same messages, so
// that client's later connections need not send the text again.
type Responder struct {
	local Protocol
	known map[Hash]bool // fixed at construction

	mu      sync.Mutex
	learned map[Hash]bool
}

// NewResponder returns a Responder presenting local, that also accepts the protocols hashed as
// alsoKnown without their text.
func NewResponder(local Protocol, alsoKnown ...Hash) *Responder {
	r := &Responder{local: local, known: map[Hash]bool{local.Hash: true}, learned: map[Hash]bool{}}
	for _, h := range alsoKnown {
		r.known[h] = true
	}
	return r
}

// NewFlumeResponder returns the Responder of flumego's avro source: it presents FlumeProtocol
// and accepts both Flume protocol hashes.
func NewFlumeResponder() *Responder {
	return NewResponder(FlumeProtocol(), FlumeProtocolAvro1111().Hash)
}

// Local is the protocol the responder presents.
func (r *Responder) Local() Protocol { return r.local }

// Handshake answers a handshake as Avro's Responder does: NONE when the client's protocol is
// unknown and its text was not sent (the call must not be executed; the client resends with
// its text), otherwise BOTH when the client's guess of the server's hash is one the server
// accepts as its own and CLIENT (with the server's protocol and hash) when it is not. A client text that is not equivalent to
// AvroSourceProtocol returns ErrIncompatibleProtocol.
func (r *Responder) Handshake(req *HandshakeRequest) (*HandshakeResponse, error) {
	known := r.knows(req.ClientHash)
	if !known && req.HasClientProtocol {
		if err := sameMessages(req.ClientProtocol, r.local.Text); err != nil {
			return nil, fmt.Errorf("%w (client hash %s): %v", ErrIncompatibleProtocol, req.ClientHash, err)
		}
		r.learn(req.ClientHash)
		known = true
	}
	resp := &HandshakeResponse{}
	switch {
	case !known:
		resp.Match = MatchNone
	case r.known[req.ServerHash]:
		// The client's guess of the server's protocol is one of the texts this server
		// accepts as its own: they describe the same messages, so nothing is to be learned.
		resp.Match = MatchBoth
	default:
		resp.Match = MatchClient
	}
	if resp.Match != MatchBoth {
		resp.ServerProtocol, resp.HasServerProtocol = r.local.Text, true
		resp.ServerHash, resp.HasServerHash = r.local.Hash, true
	}
	return resp, nil
}

func (r *Responder) knows(h Hash) bool {
	if r.known[h] {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.learned[h]
}

func (r *Responder) learn(h Hash) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.learned) >= maxLearned {
		clear(r.learned)
	}
	r.learned[h] = true
}

// sameMessages reports whether two protocol texts declare the same types and messages, their
// doc comments aside: then their calls have the same binary encoding.
func sameMessages(text, local string) error {
	var a, b map[string]any
	if err := json.Unmarshal([]byte(text), &a); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	if err := json.Unmarshal([]byte(local), &b); err != nil {
		return fmt.Errorf("parse local protocol: %w", err)
	}
	for _, k := range []string{"types", "messages"} {
		if !reflect.DeepEqual(stripDoc(a[k]), stripDoc(b[k])) {
			return fmt.Errorf("its %s differ", k)
		}
	}
	return nil
}

func stripDoc(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			if k != "doc" {
				out[k] = stripDoc(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = stripDoc(x)
		}
		return out
	}
	return v
}
