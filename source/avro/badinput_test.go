package avro_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/avrorpc"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/source/avro"
)

func frame(serial int32, buffers ...[]byte) []byte {
	var fb avrorpc.FrameBuilder
	fb.Begin(serial)
	for _, b := range buffers {
		fb.Buffer(b)
	}
	return append([]byte(nil), fb.Bytes()...)
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// handshakeHead is the first buffer of a Java client's first call: handshake, meta, name.
func handshakeHead(message string) []byte {
	h := avrorpc.FlumeProtocol().Hash
	b := avrorpc.AppendHandshakeRequest(nil, &avrorpc.HandshakeRequest{ClientHash: h, ServerHash: h, Meta: map[string][]byte{}})
	return avrorpc.AppendString(append(b, 0), message)
}

func batchParams(n int) []byte {
	b := avrorpc.AppendLong(nil, int64(n))
	for range n {
		b = avrorpc.AppendEvent(b, &channel.Event{Body: []byte("x")})
	}
	return append(b, 0)
}

// TestBadInputClosesOnlyThatConnection sends, on one connection, each kind of bad input a
// listener meets; that connection must be closed and counted, nothing put, and a client that
// was connected before (and one that comes after) must still be served.
func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		// stall keeps the connection open after the input (a client stalling mid-frame).
		stall bool
		// explained: a whole call that could not be decoded is answered with an Avro error
		// before the connection is closed; other bad input gets no answer.
		explained bool
	}{
		{"absurd buffer count", append(be32(1), be32(0x7fffffff)...), false, false},
		{"negative buffer count", append(be32(1), be32(0xffffffff)...), false, false},
		{"absurd buffer length", append(append(be32(1), be32(1)...), be32(0x7ffffff0)...), false, false},
		{"frame above max_frame_bytes", append(append(be32(1), be32(1)...), be32(2<<20)...), false, false},
		{"truncated frame then close", frame(1, handshakeHead("appendBatch"), batchParams(3))[:60], false, false},
		{"stall mid-frame", frame(1, handshakeHead("appendBatch"), batchParams(3))[:60], true, false},
		{"not an Avro client", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, false},
		{"batch above max_batch_events", frame(1, handshakeHead("appendBatch"), batchParams(11)), false, true},
		{"unknown message", frame(1, handshakeHead("drop"), batchParams(1)), false, true},
		{"absurd array count", frame(1, handshakeHead("appendBatch"), avrorpc.AppendLong(nil, 1<<40)), false, true},
		{"garbage in a whole frame", frame(1, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), false, false},
		{"bytes after the parameters", frame(1, handshakeHead("appendBatch"), append(batchParams(1), 7)), false, true},
		{"incompatible client protocol", frame(1, avrorpc.AppendString(append(avrorpc.AppendHandshakeRequest(nil,
			&avrorpc.HandshakeRequest{ClientHash: avrorpc.Hash{9}, HasClientProtocol: true, ClientProtocol: `{"protocol":"Other","messages":{}}`}), 0), "append"),
			avrorpc.AppendEvent(nil, &channel.Event{})), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &sourcetest.Processor{}
			r := start(t, testConfig(func(c *avro.Config) {
				c.MaxBatchEvents = 10
				c.MaxFrameBytes = 1 << 20
				c.ReadTimeout = 300 * time.Millisecond
			}), rec)
			before := dialClient(t, r, nil)
			if err := before.AppendBatch(context.Background(), events("before", 2), 10, 1); err != nil {
				t.Fatal(err)
			}

			bad, err := net.Dial("tcp", r.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer bad.Close()
			if _, err := bad.Write(tt.input); err != nil {
				t.Fatal(err)
			}
			if !tt.stall {
				bad.(*net.TCPConn).CloseWrite()
			}
			bad.SetReadDeadline(time.Now().Add(10 * time.Second))
			answer, err := io.ReadAll(bad) // until the source closes the connection
			if err != nil && !isReset(err) {
				t.Fatalf("the source did not close the connection: %v", err)
			}
			if tt.explained {
				_, payload, err := avrorpc.ReadFrame(bufio.NewReader(bytes.NewReader(answer)), nil, 1<<20)
				if err != nil {
					t.Fatalf("answer %x: %v", answer, err)
				}
				if resp, err := avrorpc.ReadResponse(payload, true); err != nil || !resp.IsError {
					t.Fatalf("answer %+v, %v: want an error answer", resp, err)
				}
			} else if len(answer) > 0 {
				t.Fatalf("answered %x to bad input", answer)
			}
			waitFor(t, "the bad input to be counted", func() bool { return r.m.EventReadFail.Load() == 1 })

			if err := before.AppendBatch(context.Background(), events("still", 2), 10, 1); err != nil {
				t.Fatalf("the connection opened before stopped being served: %v", err)
			}
			after := dialClient(t, r, nil)
			if err := after.AppendBatch(context.Background(), events("after", 2), 10, 1); err != nil {
				t.Fatalf("a new connection is not served: %v", err)
			}
			if n := len(rec.Events()); n != 6 {
				t.Fatalf("%d events put, want the 6 good ones only", n)
			}
		})
	}
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne)
}

// TestAnErrorAnswerExplainsARefusedBatch: the Java client that sent a batch above the limit
// gets an Avro error saying why, not just a closed connection.
func TestAnErrorAnswerExplainsARefusedBatch(t *testing.T) {
	r := start(t, testConfig(func(c *avro.Config) { c.MaxBatchEvents = 5 }), &sourcetest.Processor{})
	c := dialClient(t, r, nil)
	var re *avrorpc.RemoteError
	err := c.AppendBatch(context.Background(), events("big", 6), 6, 1)
	if !errors.As(err, &re) || !strings.Contains(re.Message, "max_batch_events") {
		t.Fatalf("AppendBatch of 6 events with max_batch_events 5: %v", err)
	}
}

func TestIPFilter(t *testing.T) {
	tests := []struct {
		name   string
		rules  []string
		served bool
	}{
		{"deny loopback", []string{"deny:127.0.0.0/8"}, false},
		{"allow loopback first", []string{"allow:127.0.0.1/32", "deny:0.0.0.0/0"}, true},
		{"flume pattern deny", []string{"allow:ip:10.*", "deny:ip:*"}, false},
		{"flume pattern allow", []string{"allow:ip:127.0.*", "deny:ip:*"}, true},
		{"no rule matches", []string{"deny:10.0.0.0/8"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &sourcetest.Processor{}
			r := start(t, testConfig(func(c *avro.Config) { c.IPFilter, c.IPFilterRules = true, tt.rules }), rec)
			c, err := avrorpc.Dial(context.Background(), avrorpc.ClientConfig{Addr: r.addr, RequestTimeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = c.AppendBatch(context.Background(), events("ip", 1), 1, 1)
			if tt.served != (err == nil) {
				t.Fatalf("AppendBatch: %v, want served %v", err, tt.served)
			}
			rejected := r.m.Component.Counter("ConnectionRejectedCount").Load()
			if tt.served != (rejected == 0) {
				t.Fatalf("ConnectionRejectedCount = %d", rejected)
			}
		})
	}
}

// TestThreadsBoundsConnectionsServed: with threads = 1 a second client waits until the first
// leaves, then is served.
func TestThreadsBoundsConnectionsServed(t *testing.T) {
	rec := &sourcetest.Processor{}
	r := start(t, testConfig(func(c *avro.Config) { c.Threads = 1 }), rec)
	first := dialClient(t, r, nil)
	if err := first.AppendBatch(context.Background(), events("first", 1), 1, 1); err != nil {
		t.Fatal(err)
	}
	second := dialClient(t, r, func(c *avrorpc.ClientConfig) { c.RequestTimeout = 300 * time.Millisecond })
	if err := second.AppendBatch(context.Background(), events("second", 1), 1, 1); err == nil {
		t.Fatal("a second connection was served while threads = 1 was taken")
	}
	// The second client gave up (its call timed out) and leaves; a third waits for the first
	// to leave.
	second.Close()
	third := dialClient(t, r, nil)
	done := make(chan error, 1)
	go func() { done <- third.AppendBatch(context.Background(), events("third", 1), 1, 1) }()
	first.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the waiting client: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting client was not served after the first left")
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*avro.Config)
		attrs []string
	}{
		{"defaults", func(*avro.Config) {}, nil},
		{"everything wrong", func(c *avro.Config) {
			c.Bind, c.Port, c.Threads, c.CompressionType = "", 70000, -1, "zstd"
			c.SSL, c.IPFilterRules, c.MaxBatchEvents, c.MaxFrameBytes, c.ReadTimeout = true, []string{"maybe:1.2.3.4"}, 0, 10, 0
		}, []string{"bind", "port", "threads", "compression_type", "cert_file", "key_file", "ip_filter_rules", "max_batch_events", "max_frame_bytes", "read_timeout"}},
		{"host name rules", func(c *avro.Config) { c.IPFilterRules = []string{"allow:name:localhost"} }, []string{"ip_filter_rules"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(tt.mod)
			err := cfg.Validate()
			for _, a := range tt.attrs {
				if err == nil || !strings.Contains(err.Error(), a+":") {
					t.Errorf("no error about %s in %v", a, err)
				}
			}
			if len(tt.attrs) == 0 && err != nil {
				t.Errorf("unexpected error %v", err)
			}
		})
	}
}
