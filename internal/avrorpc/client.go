package avrorpc

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/flumego/flumego/channel"
)

// maxResponseBytes bounds an answer's frame: a Status, an error message or a handshake with the
// server's protocol text.
const maxResponseBytes = 1 << 20

// ClientConfig is what a client connection is made from.
type ClientConfig struct {
	Addr string
	// ConnectTimeout bounds the TCP connect and the TLS handshake.
	ConnectTimeout time.Duration
	// RequestTimeout bounds each write of a call and each wait for an answer.
	RequestTimeout time.Duration
	// TLS, when set, wraps the connection in TLS (inside the deflate layer, as Flume 1.10+).
	TLS *tls.Config
	// Deflate turns on Flume's deflate compression at DeflateLevel.
	Deflate      bool
	DeflateLevel int
	// CancelGrace is how long the answers to calls already sent are still awaited once the
	// context of AppendBatch ends (an agent stopping): a call the next hop committed is then
	// acknowledged rather than sent again. Zero gives up at once.
	CancelGrace time.Duration
}

// StatusError is a call answered with a Status other than OK: FAILED means the next hop could
// not commit the events (its channel is full) and they should be sent again later.
type StatusError struct{ Status Status }

func (e *StatusError) Error() string { return "next hop answered " + e.Status.String() }

// RemoteError is a call answered with an Avro error (the server failed to execute it).
type RemoteError struct{ Message string }

func (e *RemoteError) Error() string { return "next hop failed the call: " + e.Message }

// Client is one connection to an Avro server speaking AvroSourceProtocol. It opens the
// connection's first call with a handshake carrying its protocol text, and pipelines calls
// after that, matching answers by serial. It is not safe for concurrent use; after any error
// the connection's state is unknown and it must be closed.
type Client struct {
	cfg        ClientConfig
	local      Protocol
	raw        net.Conn
	conn       net.Conn // raw with the deflate and TLS layers
	br         *bufio.Reader
	fb         FrameBuilder
	rbuf       []byte
	serial     int32
	handshaken bool
	out        []sent // calls awaiting an answer

	mu        sync.Mutex // orders deadline changes with ctx's end
	cancelled bool       // ctx ended: the grace deadline is set and must stay
}

// Dial connects to cfg.Addr within cfg.ConnectTimeout (and ctx), and completes the TLS
// handshake when cfg.TLS is set.
func Dial(ctx context.Context, cfg ClientConfig) (*Client, error) {
	d := net.Dialer{Timeout: cfg.ConnectTimeout}
	raw, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	conn := raw
	if cfg.Deflate {
		if conn, err = NewDeflateConn(conn, cfg.DeflateLevel); err != nil {
			raw.Close()
			return nil, err
		}
	}
	if cfg.TLS != nil {
		tc := tls.Client(conn, cfg.TLS)
		hctx := ctx
		if cfg.ConnectTimeout > 0 {
			var cancel context.CancelFunc
			hctx, cancel = context.WithTimeout(ctx, cfg.ConnectTimeout)
			defer cancel()
		}
		if err := tc.HandshakeContext(hctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		conn = tc
	}
	return &Client{cfg: cfg, local: FlumeProtocol(), raw: raw, conn: conn,
		br: bufio.NewReaderSize(conn, 4<<10)}, nil
}

// LocalAddr is the client's end of the connection.
func (c *Client) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Append sends one append call and waits for its answer.
func (c *Client) Append(ctx context.Context, e channel.Event) error {
	var answer [1]error
	if err := c.pipeline(ctx, MessageAppend, [][]channel.Event{{e}}, 1, answer[:]); err != nil {
		return err
	}
	return answer[0]
}

// AppendBatch sends events as appendBatch calls of at most callSize events, keeping at most
// inFlight calls unanswered at once, and returns nil only when every call was answered OK.
// An error other than a *StatusError or *RemoteError leaves the connection unusable; after
// any error the caller should close it.
func (c *Client) AppendBatch(ctx context.Context, events []channel.Event, callSize, inFlight int) error {
	calls := Split(nil, events, callSize)
	answers := make([]error, len(calls))
	if err := c.AppendBatches(ctx, calls, inFlight, answers); err != nil {
		return err
	}
	return errors.Join(answers...)
}

// Split cuts events into calls of at most callSize events, appending them to calls[:0].
func Split(calls [][]channel.Event, events []channel.Event, callSize int) [][]channel.Event {
	calls = calls[:0]
	callSize = max(callSize, 1)
	for len(events) > 0 {
		n := min(callSize, len(events))
		calls = append(calls, events[:n:n])
		events = events[n:]
	}
	return calls
}

// ErrUnanswered is the answer of a call that was sent, or not even sent, when the connection
// failed or the context ended: whether the next hop committed it is unknown.
var ErrUnanswered = errors.New("no answer")

// AppendBatches sends each of calls as one appendBatch call, keeping at most inFlight calls
// unanswered at once, and sets answers[i] (len(answers) >= len(calls)) to what became of call
// i: nil when it was answered OK (the next hop committed its events), a *StatusError or
// *RemoteError when it was answered otherwise (it did not), ErrUnanswered when the connection
// failed or ctx ended first. A call answered FAILED does not stop the others. The error
// returned is the connection's (it is then unusable and should be closed), or nil when every
// call was answered one way or the other.
func (c *Client) AppendBatches(ctx context.Context, calls [][]channel.Event, inFlight int, answers []error) error {
	return c.pipeline(ctx, MessageAppendBatch, calls, max(inFlight, 1), answers)
}

func (c *Client) pipeline(ctx context.Context, message string, calls [][]channel.Event, inFlight int, answers []error) error {
	for i := range calls {
		answers[i] = ErrUnanswered
	}
	if len(calls) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.cancelled = false
	c.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.cancelled = true
		_ = c.raw.SetDeadline(time.Now().Add(c.cfg.CancelGrace))
	})
	defer stop()
	next := 0 // the first call not yet sent
	send := func() error {
		var hs *HandshakeRequest
		if !c.handshaken {
			hs = ClientHandshake(c.local, c.local.Hash)
		}
		if err := c.deadline(); err != nil {
			return err
		}
		c.serial++
		BuildRequest(&c.fb, c.serial, hs, message, calls[next])
		if _, err := c.conn.Write(c.fb.Bytes()); err != nil {
			return fmt.Errorf("send %s: %w", message, err)
		}
		c.out = append(c.out, sent{c.serial, next})
		next++
		return nil
	}
	cancelled := false // ctx ended: no more calls are sent, the answers to those sent awaited
	for next < len(calls) && !cancelled || len(c.out) > 0 {
		// Until the connection's handshake is answered, one call at a time: it rides on each
		// request until then.
		for !cancelled && next < len(calls) && len(c.out) < inFlight && (c.handshaken || len(c.out) == 0) {
			if err := send(); errors.Is(err, errCancelled) {
				cancelled = true
			} else if err != nil {
				return c.fail(ctx, err)
			}
		}
		if len(c.out) == 0 {
			break
		}
		call, answer, err := c.receive()
		if err != nil {
			return c.fail(ctx, err)
		}
		answers[call] = answer
	}
	if next < len(calls) {
		return fmt.Errorf("%d of %d calls not sent: %w", len(calls)-next, len(calls), ctx.Err())
	}
	return nil
}

// sent is a call awaiting its answer: its serial and its index among the calls.
type sent struct {
	serial int32
	call   int
}

// receive reads one answer and returns the index of the call it answers and the answer: nil
// for OK, a *StatusError or *RemoteError otherwise. err is a failure of the connection.
func (c *Client) receive() (call int, answer, err error) {
	_ = c.deadline()
	serial, payload, err := ReadFrame(c.br, c.rbuf, maxResponseBytes)
	if err != nil {
		return 0, nil, fmt.Errorf("read answer: %w", err)
	}
	c.rbuf = payload[:0]
	i := 0
	for i < len(c.out) && c.out[i].serial != serial {
		i++
	}
	if i == len(c.out) {
		return 0, nil, fmt.Errorf("answer to serial %d, which was not sent or already answered", serial)
	}
	call = c.out[i].call
	c.out = append(c.out[:i], c.out[i+1:]...)
	resp, err := ReadResponse(payload, !c.handshaken)
	if err != nil {
		return 0, nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.Handshake != nil {
		if resp.Handshake.Match == MatchNone {
			return 0, nil, fmt.Errorf("handshake: the next hop does not accept protocol %s", c.local.Hash)
		}
		c.handshaken = true
	}
	switch {
	case resp.IsError:
		return call, &RemoteError{Message: resp.Error}, nil
	case resp.Status != StatusOK:
		return call, &StatusError{Status: resp.Status}, nil
	}
	return call, nil, nil
}

// errCancelled stops sending calls once the context ended.
var errCancelled = errors.New("cancelled")

// deadline sets the time the next write or read must finish by, request_timeout from now;
// once ctx ended it keeps the grace deadline set then and returns errCancelled.
func (c *Client) deadline() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancelled {
		return errCancelled
	}
	var t time.Time
	if c.cfg.RequestTimeout > 0 {
		t = time.Now().Add(c.cfg.RequestTimeout)
	}
	_ = c.raw.SetDeadline(t)
	return nil
}

// fail explains a timeout: the request timeout's, or ctx's end.
func (c *Client) fail(ctx context.Context, err error) error {
	var ne net.Error
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	if errors.As(err, &ne) && ne.Timeout() {
		err = fmt.Errorf("%w (request_timeout %v)", err, c.cfg.RequestTimeout)
	}
	return err
}
