// Package netcat is Flume's NetcatSource (type "netcat"): it listens on a TCP port and turns
// every line a client sends into one event, the way `nc host port` or telnet users expect.
//
// A line ends at "\n"; one "\r" before it is stripped (telnet sends "\r\n"). An empty line is an
// event with an empty body, like Flume. A final line without "\n" is delivered when the client
// closes its side cleanly; after any other read error it is not, since it may be cut short. A
// line longer than max_line_length bytes is truncated to that length, the rest of it is
// discarded and the truncation counted (EventTruncatedCount); it is never dropped and never
// breaks the connection. Bodies are bytes, not text: NULs and invalid UTF-8 go through as sent.
//
// Lines already buffered from one connection are delivered together, up to batch_size, through
// the processor's Deliver, which waits while a channel is full: a slow channel slows that client
// down through TCP back-pressure, and nothing is dropped. With ack_every_event (the default)
// the source answers "OK\n" for every event, written only after the batch holding it committed,
// so a client that counts its OKs knows what is durable. When a batch cannot be delivered for
// any reason other than shutdown, a client that asked for acknowledgements reads one
// "FAILED: reason\n" per event of that batch instead, and the connection is closed.
//
// A connection's read buffer is reserved from the in-flight budget (the agent's
// max_inflight_bytes and the source's own) before it is taken, and given back when the
// connection goes quiet; without room the connection stops reading, so TCP slows its client
// down, until there is.
//
// max_connections (0 = unlimited) bounds the connections served at once; beyond it the source
// stops accepting, so new clients wait in the kernel's accept backlog (and time out there if the
// wait is too long) instead of being refused. A client that connects and sends nothing costs one
// goroutine: read buffers are taken from a pool only while a connection has data, and returned
// when it goes quiet. A client that never reads its OKs stalls only its own connection.
//
// The listener is opened by New, so a port already in use fails at start-up with a clear error;
// Run serves it and closes it (and every connection) when its context ends.
package netcat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/tcpserve"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

const (
	// readBufferSize is the size of a connection's read buffer while it has data: large enough
	// that a fast client costs one read system call per many lines.
	readBufferSize = 64 << 10
	// idleReadSize is what a quiet connection reads into while it holds no pooled buffer.
	idleReadSize = 256
	// maxLineLengthLimit bounds max_line_length: a connection's read buffer must hold a whole
	// line, so a larger value would let each client pin that much memory.
	maxLineLengthLimit = 64 << 20
	// maxAckChunk is the most acknowledgements written in one call.
	maxAckChunk = 1024
)

// Config is the netcat source's configuration.
type Config struct {
	// Bind is the address to listen on ("0.0.0.0" for every interface).
	Bind string `hcl:"bind"`
	// Port is the TCP port; 0 picks a free one (see Source.Addr).
	Port int `hcl:"port"`
	// MaxLineLength is the most bytes of one event body; longer lines are truncated.
	MaxLineLength int `hcl:"max_line_length,optional"`
	// AckEveryEvent answers "OK\n" for every event once it is committed.
	AckEveryEvent bool `hcl:"ack_every_event,optional"`
	// Batch is the most lines of one connection delivered in one batch (batch_size).
	Batch int `hcl:"batch_size,optional"`
	// MaxConnections bounds the connections served at once; 0 means unlimited.
	MaxConnections int `hcl:"max_connections,optional"`
	// MaxInflightBytes bounds the read buffers this source holds at once, within the agent's
	// max_inflight_bytes; 0 means only the agent's bound applies.
	MaxInflightBytes schema.Size `hcl:"max_inflight_bytes,optional"`
}

// Defaults returns Flume's defaults: max_line_length 512, ack_every_event true, and batches of
// up to 100 lines.
func Defaults() *Config {
	return &Config{MaxLineLength: 512, AckEveryEvent: true, Batch: 100}
}

// BatchLimit is the most events one put holds, checked against the channels' transaction
// capacity by the config stage; a larger put is split into transactions that fit.
func (c *Config) BatchLimit() source.BatchLimit {
	return source.BatchLimit{Events: c.Batch, Attr: "batch_size"}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	errs := tcpserve.ValidateAddr("bind", c.Bind, c.Port)
	if c.MaxLineLength < 1 || c.MaxLineLength > maxLineLengthLimit {
		errs = append(errs, schema.Errorf("max_line_length", "must be 1-%d bytes, got %d", maxLineLengthLimit, c.MaxLineLength))
	}
	if c.Batch < 1 {
		errs = append(errs, schema.Errorf("batch_size", "must be at least 1, got %d", c.Batch))
	}
	if c.MaxConnections < 0 {
		errs = append(errs, schema.Errorf("max_connections", "must be 0 (unlimited) or more, got %d", c.MaxConnections))
	}
	if c.MaxInflightBytes < 0 {
		errs = append(errs, schema.Errorf("max_inflight_bytes", "must be 0 (only the agent's bound) or more, got %v", c.MaxInflightBytes))
	}
	return errors.Join(errs...)
}

// NewFactory returns the factory of the netcat source.
func NewFactory() source.Factory { return source.NewFactory("netcat", Defaults, New, flumeNetcat) }

// Source is a running netcat source.
type Source struct {
	cfg       Config
	name      string
	log       *slog.Logger
	m         *metrics.Source
	truncated *metrics.Counter
	proc      source.Processor
	srv       *tcpserve.Server
	oks       []byte    // "OK\n" repeated, shared read-only by every connection
	pool      sync.Pool // *workspace
	bufSize   int       // of a workspace's read buffer
	budget    *source.Budget
}

// New opens the listener, so that a bad address or a port in use fails at start-up; Run
// serves it. Call Close to release the listener of a source whose Run is never called.
func New(cfg *Config, set source.Settings) (source.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("netcat: %w", err)
	}
	if set.Processor == nil {
		return nil, errors.New("netcat: no processor")
	}
	s := &Source{cfg: *cfg, name: set.Name, log: set.Logger, m: set.Metrics, proc: set.Processor,
		budget: set.Budget(int64(cfg.MaxInflightBytes))}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.m == nil {
		s.m = metrics.NewRegistry("").Source(set.Name, "netcat")
	}
	s.truncated = s.m.Component.Counter("EventTruncatedCount")
	if cfg.AckEveryEvent {
		s.oks = bytes.Repeat([]byte("OK\n"), min(cfg.Batch, maxAckChunk))
	}
	// The buffer must hold a whole line of max_line_length plus "\r\n", so a line that does
	// not fit is known to be too long.
	s.bufSize = max(readBufferSize, cfg.MaxLineLength+2)
	s.pool.New = func() any {
		return &workspace{buf: make([]byte, s.bufSize), spans: make([]span, 0, min(cfg.Batch, 1024))}
	}
	srv, err := tcpserve.Listen(cfg.Bind, cfg.Port, tcpserve.Options{MaxConns: cfg.MaxConnections, Metrics: s.m, Log: s.log})
	if err != nil {
		return nil, fmt.Errorf("netcat: %w", err)
	}
	s.srv = srv
	return s, nil
}

// Addr is the address the source listens on, with the port chosen when port was 0.
func (s *Source) Addr() net.Addr { return s.srv.Addr() }

// Close releases the listener of a source whose Run was never called (the agent failed to
// start). While Run serves, cancel its context instead. Close is safe twice.
func (s *Source) Close(context.Context) error {
	if err := s.srv.Close(); err != nil {
		return fmt.Errorf("netcat: close listener: %w", err)
	}
	return nil
}

// Run accepts connections and serves each in its own goroutine until ctx ends; then it closes
// the listener and every connection, waits for their goroutines and returns nil. A batch being
// delivered at that moment is abandoned by Deliver and not acknowledged. Run is called once.
func (s *Source) Run(ctx context.Context) error {
	s.log.Info("listening", "addr", s.srv.Addr().String())
	s.srv.Serve(ctx, s.serve)
	return nil
}

// span is one line of the batch being built: buf[off:off+n] of the connection's read buffer.
type span struct{ off, n int }

// workspace is what a connection needs only while it has data: its read buffer and the lines of
// the batch being built. Quiet connections give it back to the pool.
type workspace struct {
	buf   []byte
	spans []span
}

// conn is one client connection. Its goroutine alone uses it, so it needs no lock.
type conn struct {
	s  *Source
	nc net.Conn
	ws *workspace // nil while the connection is quiet
	// buf[r:w] is read but not yet made into events; buf[r:r+seen] is known to hold no '\n'.
	r, w, seen int
	// discarding is set after a truncated line, until its '\n' has been skipped.
	discarding bool
	idle       [idleReadSize]byte
	res        source.Reservation // the workspace's buffer, while the connection holds one
}

// serve reads one connection's lines and delivers them; the server closes the connection when
// it returns.
func (s *Source) serve(ctx context.Context, nc net.Conn) {
	remote := nc.RemoteAddr().String()
	s.log.Debug("connection opened", "remote", remote)
	c := &conn{s: s, nc: nc, res: s.budget.Reserve()}
	defer func() {
		c.release()
		s.log.Debug("connection closed", "remote", remote)
	}()

	var readErr error
	for {
		c.scan()
		if c.ws != nil && len(c.ws.spans) > 0 {
			// Deliver what is buffered now; never wait for more data to fill a batch.
			if !c.deliver(ctx, remote) {
				return
			}
			continue
		}
		if readErr != nil {
			break
		}
		readErr = c.fill(ctx)
	}
	switch {
	case errors.Is(readErr, io.EOF):
		// A clean end: the last line may lack its "\n".
		if c.final() {
			c.deliver(ctx, remote)
		}
	case errors.Is(readErr, net.ErrClosed) || ctx.Err() != nil:
		// Shutdown closed the connection.
	default:
		s.m.EventReadFail.Inc()
		s.log.Warn("read failed; closing connection", "remote", remote, "err", readErr)
	}
}

// scan turns the complete lines in buf[r:w] into spans, up to batch_size.
func (c *conn) scan() {
	if c.ws == nil {
		return
	}
	s, buf := c.s, c.ws.buf
	for len(c.ws.spans) < s.cfg.Batch && c.r < c.w {
		i := bytes.IndexByte(buf[c.r+c.seen:c.w], '\n')
		if c.discarding {
			if i < 0 {
				c.r, c.seen = c.w, 0
				return
			}
			c.r += c.seen + i + 1
			c.seen, c.discarding = 0, false
			continue
		}
		if i < 0 {
			c.seen = c.w - c.r
			if c.seen >= s.cfg.MaxLineLength+2 {
				// Too long even without a "\r\n": emit its head, skip the rest of the line.
				c.add(c.r, c.seen)
				c.r, c.seen, c.discarding = c.w, 0, true
			}
			return
		}
		end := c.r + c.seen + i
		c.add(c.r, end-c.r)
		c.r, c.seen = end+1, 0
	}
}

// add records the line buf[off:off+n] (without its "\n"), stripping one trailing "\r" and
// truncating it to max_line_length.
func (c *conn) add(off, n int) {
	if n > 0 && c.ws.buf[off+n-1] == '\r' {
		n--
	}
	if n > c.s.cfg.MaxLineLength {
		n = c.s.cfg.MaxLineLength
		c.s.truncated.Inc()
	}
	c.ws.spans = append(c.ws.spans, span{off, n})
}

// final records the unterminated last line at a clean end of stream; it reports whether there
// was one.
func (c *conn) final() bool {
	if c.ws == nil || c.discarding || c.r == c.w {
		return false
	}
	c.add(c.r, c.w-c.r)
	c.r, c.seen = c.w, 0
	return true
}

// fill reads more data. A connection with nothing pending gives its workspace back and waits
// in a small read, so a quiet client holds no read buffer. A workspace's buffer is reserved from
// the in-flight budget before it is taken; without room the connection stops reading (its client
// is slowed down by TCP) until there is.
func (c *conn) fill(ctx context.Context) error {
	if c.r == c.w {
		c.release()
		n, err := c.nc.Read(c.idle[:])
		if n > 0 {
			if gerr := c.res.Grow(ctx, int64(c.s.bufSize), time.Time{}); gerr != nil {
				return gerr // stopping
			}
			c.ws = c.s.pool.Get().(*workspace)
			c.r, c.w = 0, copy(c.ws.buf, c.idle[:n])
		}
		return err
	}
	if c.w == len(c.ws.buf) {
		// The pending line is at the end of a full buffer: move it to the front.
		c.w = copy(c.ws.buf, c.ws.buf[c.r:c.w])
		c.r = 0
	}
	n, err := c.nc.Read(c.ws.buf[c.w:])
	c.w += n
	return err
}

// release returns the workspace to the pool, and its reservation; nothing may be pending in it.
func (c *conn) release() {
	if c.ws != nil {
		c.ws.spans = c.ws.spans[:0]
		c.s.pool.Put(c.ws)
		c.ws = nil
		c.res.Release()
	}
	c.r, c.w, c.seen = 0, 0, 0
}

// deliver copies the batch's lines out of the read buffer into one slab (the channel owns the
// events once delivered, and the buffer is about to be reused), delivers them and then
// acknowledges them. It reports whether the connection should go on.
func (c *conn) deliver(ctx context.Context, remote string) bool {
	spans, buf := c.ws.spans, c.ws.buf
	total := 0
	for _, sp := range spans {
		total += sp.n
	}
	slab := make([]byte, total)
	events := make([]channel.Event, len(spans))
	o := 0
	for i, sp := range spans {
		copy(slab[o:], buf[sp.off:sp.off+sp.n])
		// Capped, so that an interceptor appending to one body cannot write into the next.
		events[i].Body = slab[o : o+sp.n : o+sp.n]
		o += sp.n
	}
	n := len(spans)
	c.ws.spans = spans[:0]

	if err := c.s.proc.Deliver(ctx, events); err != nil {
		if ctx.Err() != nil {
			return false // shutting down: not committed, so not acknowledged
		}
		c.s.m.GenericProcessingFail.Inc()
		c.s.log.Warn("cannot deliver batch; closing connection", "remote", remote, "events", n, "err", err)
		if c.s.cfg.AckEveryEvent {
			msg := []byte("FAILED: " + strings.ReplaceAll(err.Error(), "\n", " ") + "\n")
			for range n {
				if _, werr := c.nc.Write(msg); werr != nil {
					break
				}
			}
		}
		return false
	}
	if c.s.cfg.AckEveryEvent {
		for n > 0 {
			k := min(n, maxAckChunk)
			if _, err := c.nc.Write(c.s.oks[:3*k]); err != nil {
				if ctx.Err() == nil {
					c.s.log.Debug("client left before reading its acknowledgements", "remote", remote, "err", err)
				}
				return false
			}
			n -= k
		}
	}
	return true
}
