// Package avro is the "avro" source: the receiving end of an agent-to-agent hop, speaking Apache
// Flume's Avro RPC (AvroSourceProtocol over Avro IPC with Netty framing, internal/avrorpc), so
// both flumego's avro sink and Flume's avro sink or RPC client can send to it.
//
// Each call (append or appendBatch) is decoded completely, then handed to the channel
// processor in one attempt (Process). The answer is OK only after every required channel
// committed the events; when a put fails (a full channel) the answer is FAILED, and the sender
// rolls its take back and sends the events again later. Nothing of a call that could not be
// decoded is put.
//
// Both texts of AvroSourceProtocol in circulation (Flume with Avro 1.7.4-1.11.0, and with
// 1.11.1) are accepted by hash; a client that presents another hash without its text is
// answered NONE, as Avro does, and its resend with the text is accepted when the text declares
// the same messages.
//
// Bad input — a frame whose count or length is absurd or above max_frame_bytes, a batch above
// max_batch_events, bytes that are not Avro, a connection that ends or stalls (read_timeout)
// in the middle of a frame — closes that connection and counts EventReadFail; the listener goes
// on serving everyone else. Connections refused by ip_filter_rules are closed at once and
// counted as ConnectionRejectedCount.
//
// Memory: a call's frame is reserved from the in-flight budget (the agent's max_inflight_bytes
// and the source's own) as its buffer grows, before it is allocated, and released once the call
// is answered. Without room the connection stops reading, so TCP slows its sender down, until
// there is room or the frame's read_timeout passes; then the connection is closed and the
// sender sends the call again (counted as InflightWaitCount). Calls already being read are
// served before new ones, and a call alone in flight always gets through however large it is,
// so the budget cannot deadlock. Outside the budget a connection holds its 16KiB read buffer.
//
// A call that can never fit a channel (more events than its transaction_capacity, more body
// bytes than its byte_capacity) is answered FAILED like a full channel: Flume's protocol has no
// permanent refusal, and a Flume or flumego avro sink rolls its take back and sends FAILED calls
// again for ever. So `agent validate` refuses a max_batch_events above a channel's
// transaction_capacity, and a sender's batch_size must not exceed it either.
//
// With compression_type "deflate" every connection is one zlib stream per direction; with ssl
// it is TLS (server-authenticated). With both, TLS runs inside the zlib stream, as Flume 1.10
// and later do.
package avro

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/avrorpc"
	"github.com/flumego/flumego/internal/tcpserve"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

// Compression types.
const (
	CompressionNone    = "none"
	CompressionDeflate = "deflate"
)

// Config is the avro source's configuration.
type Config struct {
	// Bind is the address to listen on ("0.0.0.0" for every interface).
	Bind string `hcl:"bind"`
	// Port is the TCP port; 0 picks a free one (see Source.Addr).
	Port int `hcl:"port"`
	// Threads bounds the connections served at once; 0 means unlimited. Beyond it new
	// connections wait in the accept backlog.
	Threads int `hcl:"threads,optional"`
	// CompressionType is "none" or "deflate"; the sender must use the same.
	CompressionType string `hcl:"compression_type,optional"`
	// SSL turns on TLS with the certificate chain and key in CertFile and KeyFile (PEM).
	SSL      bool   `hcl:"ssl,optional"`
	CertFile string `hcl:"cert_file,optional"`
	KeyFile  string `hcl:"key_file,optional"`
	// IPFilter turns on IPFilterRules: "allow:CIDR" / "deny:CIDR" (or Flume's
	// "allow:ip:PATTERN"), the first match deciding, unmatched addresses allowed.
	IPFilter      bool     `hcl:"ip_filter,optional"`
	IPFilterRules []string `hcl:"ip_filter_rules,optional"`
	// MaxBatchEvents bounds the events of one appendBatch.
	MaxBatchEvents int `hcl:"max_batch_events,optional"`
	// MaxFrameBytes bounds one call's frame.
	MaxFrameBytes schema.Size `hcl:"max_frame_bytes,optional"`
	// ReadTimeout bounds how long a frame may take to arrive once it began (and the TLS
	// handshake, and writing an answer); idle connections between frames are kept.
	ReadTimeout time.Duration `hcl:"read_timeout,optional"`
	// MaxInflightBytes bounds the bytes of the calls this source holds at once, within the
	// agent's max_inflight_bytes; 0 means only the agent's bound applies.
	MaxInflightBytes schema.Size `hcl:"max_inflight_bytes,optional"`
}

// Defaults returns the defaults: unlimited threads, no compression, no TLS, no IP filter,
// batches of up to 100000 events in frames of up to 64 MiB, and 30s for a frame to arrive.
func Defaults() *Config {
	return &Config{CompressionType: CompressionNone, MaxBatchEvents: 100000, MaxFrameBytes: 64 << 20,
		ReadTimeout: 30 * time.Second}
}

// BatchLimit is the most events of one call (max_batch_events). A call is answered OK or
// FAILED for all its events, so the config stage refuses a channel whose transaction_capacity
// is below it: its sender would be answered FAILED, and retry, for ever.
func (c *Config) BatchLimit() source.BatchLimit {
	return source.BatchLimit{Events: c.MaxBatchEvents, Attr: "max_batch_events", Whole: true}
}

// readBufferSize is a connection's read buffer, the one memory a connection holds outside the
// in-flight budget: small, since a frame's large buffers are read straight into its payload.
const readBufferSize = 16 << 10

// maxFrameLimit bounds max_frame_bytes: Avro's frame lengths are int32.
const maxFrameLimit = 1 << 30

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	errs := tcpserve.ValidateAddr("bind", c.Bind, c.Port)
	if c.Threads < 0 {
		errs = append(errs, schema.Errorf("threads", "must be 0 (unlimited) or more, got %d", c.Threads))
	}
	if c.CompressionType != CompressionNone && c.CompressionType != CompressionDeflate {
		errs = append(errs, schema.Errorf("compression_type", `must be "none" or "deflate", got %q`, c.CompressionType))
	}
	if c.SSL {
		if c.CertFile == "" {
			errs = append(errs, schema.Errorf("cert_file", "is required with ssl = true"))
		}
		if c.KeyFile == "" {
			errs = append(errs, schema.Errorf("key_file", "is required with ssl = true"))
		}
	}
	if _, err := parseIPRules(c.IPFilterRules); err != nil {
		errs = append(errs, schema.Errorf("ip_filter_rules", "%v", err))
	}
	if c.MaxBatchEvents < 1 {
		errs = append(errs, schema.Errorf("max_batch_events", "must be at least 1, got %d", c.MaxBatchEvents))
	}
	if c.MaxFrameBytes < 1024 || c.MaxFrameBytes > maxFrameLimit {
		errs = append(errs, schema.Errorf("max_frame_bytes", "must be 1KiB-1GiB, got %v", c.MaxFrameBytes))
	}
	if c.ReadTimeout <= 0 {
		errs = append(errs, schema.Errorf("read_timeout", "must be positive, got %v", c.ReadTimeout))
	}
	if c.MaxInflightBytes < 0 {
		errs = append(errs, schema.Errorf("max_inflight_bytes", "must be 0 (only the agent's bound) or more, got %v", c.MaxInflightBytes))
	}
	return errors.Join(errs...)
}

// Warnings reports settings that are likely mistakes.
func (c *Config) Warnings() []error {
	var w []error
	if !c.SSL && (c.CertFile != "" || c.KeyFile != "") {
		w = append(w, schema.Errorf("ssl", "cert_file and key_file are ignored unless ssl = true"))
	}
	if !c.IPFilter && len(c.IPFilterRules) > 0 {
		w = append(w, schema.Errorf("ip_filter", "ip_filter_rules are ignored unless ip_filter = true"))
	}
	return w
}

// NewFactory returns the factory of the avro source.
func NewFactory() source.Factory { return source.NewFactory("avro", Defaults, New, flumeAvro) }

// Source is a running avro source.
type Source struct {
	cfg       Config
	name      string
	log       *slog.Logger
	m         *metrics.Source
	rejected  *metrics.Counter
	proc      source.Processor
	srv       *tcpserve.Server
	tls       *tls.Config
	rules     []ipRule
	responder *avrorpc.Responder
	limits    avrorpc.Limits
	budget    *source.Budget
}

// New loads the TLS key pair and opens the listener, so a bad certificate or a port in use
// fails at start-up; Run serves it. Call Close to release the listener of a source whose Run
// is never called.
func New(cfg *Config, set source.Settings) (source.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("avro: %w", err)
	}
	if set.Processor == nil {
		return nil, errors.New("avro: no processor")
	}
	s := &Source{cfg: *cfg, name: set.Name, log: set.Logger, m: set.Metrics, proc: set.Processor,
		responder: avrorpc.NewFlumeResponder(),
		limits:    avrorpc.Limits{MaxEvents: cfg.MaxBatchEvents, MaxHeaders: avrorpc.DefaultMaxHeaders},
		budget:    set.Budget(int64(cfg.MaxInflightBytes))}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.m == nil {
		s.m = metrics.NewRegistry("").Source(set.Name, "avro")
	}
	s.rejected = s.m.Component.Counter("ConnectionRejectedCount")
	if cfg.IPFilter {
		s.rules, _ = parseIPRules(cfg.IPFilterRules) // checked by Validate
	}
	if cfg.SSL {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("avro: load cert_file and key_file: %w", err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	opts := tcpserve.Options{MaxConns: cfg.Threads, Metrics: s.m, Log: s.log}
	if s.rules != nil {
		opts.Admit = s.admit
	}
	srv, err := tcpserve.Listen(cfg.Bind, cfg.Port, opts)
	if err != nil {
		return nil, fmt.Errorf("avro: %w", err)
	}
	s.srv = srv
	return s, nil
}

// Addr is the address the source listens on, with the port chosen when port was 0.
func (s *Source) Addr() net.Addr { return s.srv.Addr() }

// Close releases the listener of a source whose Run was never called. While Run serves, cancel
// its context instead. Close is safe twice.
func (s *Source) Close(context.Context) error {
	if err := s.srv.Close(); err != nil {
		return fmt.Errorf("avro: close listener: %w", err)
	}
	return nil
}

// Run accepts connections and serves each in its own goroutine until ctx ends; then it closes
// the listener and every idle connection, waits for their goroutines and returns nil. A
// connection putting a call at that moment answers it first, so that what was committed is
// acknowledged; a put that the stop cuts short is not answered, so its sender sends it again.
// Run is called once.
func (s *Source) Run(ctx context.Context) error {
	s.log.Info("listening", "addr", s.srv.Addr().String(), "compression", s.cfg.CompressionType, "ssl", s.cfg.SSL)
	s.srv.Serve(ctx, s.serve)
	return nil
}

// admit applies ip_filter_rules to a new connection.
func (s *Source) admit(nc net.Conn) bool {
	ap, err := netip.ParseAddrPort(nc.RemoteAddr().String())
	if err == nil && allowed(s.rules, ap.Addr()) {
		return true
	}
	s.rejected.Inc()
	s.log.Debug("connection refused by ip_filter_rules", "remote", nc.RemoteAddr().String())
	return false
}

var (
	// errBadInput marks the reasons a connection is closed for what its client sent.
	errBadInput = errors.New("bad input")
	// errOverBudget marks a call cut because it found no room in the in-flight budget.
	errOverBudget = errors.New("over budget")
)

// serve answers the calls of one connection, one at a time, in order. It closes the
// connection's outermost layer (flushing deflate, ending TLS); the server then closes nc.
func (s *Source) serve(ctx context.Context, nc net.Conn) {
	remote := nc.RemoteAddr().String()
	var conn net.Conn = nc
	defer func() {
		conn.Close()
		s.log.Debug("connection closed", "remote", remote)
	}()
	s.log.Debug("connection opened", "remote", remote)

	err := s.converse(ctx, nc, &conn)
	switch {
	case err == nil, errors.Is(err, io.EOF), ctx.Err() != nil:
		// The client closed between calls, or the source is stopping.
	case errors.Is(err, errOverBudget):
		// Counted as InflightWaitCount; the sender sends the call again.
		s.log.Debug("closing connection: the call waited read_timeout for memory", "remote", remote, "err", err)
	case errors.Is(err, errBadInput), errors.Is(err, avrorpc.ErrMalformed), errors.Is(err, avrorpc.ErrFrameTooLarge),
		errors.Is(err, io.ErrUnexpectedEOF), isTimeout(err):
		s.m.EventReadFail.Inc()
		s.log.Warn("closing connection after bad input", "remote", remote, "err", err)
	default:
		s.m.EventReadFail.Inc()
		s.log.Warn("closing connection after a read or write error", "remote", remote, "err", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// converse sets up the connection's layers and answers its calls until it ends. *conn is the
// outermost layer, which the caller closes.
func (s *Source) converse(ctx context.Context, nc net.Conn, conn *net.Conn) error {
	if s.cfg.CompressionType == CompressionDeflate {
		dc, err := avrorpc.NewDeflateConn(nc, avrorpc.DefaultDeflateLevel)
		if err != nil {
			return err
		}
		*conn = dc
	}
	if s.tls != nil {
		tc := tls.Server(*conn, s.tls)
		*conn = tc
		_ = nc.SetDeadline(time.Now().Add(s.cfg.ReadTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("%w: tls handshake: %w", errBadInput, err)
		}
	}
	c := *conn
	br := bufio.NewReaderSize(c, readBufferSize)
	var fb avrorpc.FrameBuilder
	handshaken := false // the connection's handshake was answered BOTH or CLIENT
	maxFrame := int(s.cfg.MaxFrameBytes)
	// Each call's frame is reserved from the in-flight budget as its buffer grows, and released
	// once the call is answered. Without room, the read waits — the client is slowed down by
	// TCP — at most until the frame's read deadline.
	res := s.budget.Reserve()
	defer res.Release()
	var deadline time.Time
	reserve := func(n int) error {
		if err := res.Grow(ctx, int64(n), deadline); err != nil {
			return fmt.Errorf("%w: no room in max_inflight_bytes within read_timeout: %w", errOverBudget, err)
		}
		return nil
	}
	for {
		res.Release()
		// Wait for the next call as long as the client likes; once it began, it must arrive
		// within read_timeout.
		_ = nc.SetDeadline(time.Time{})
		if _, err := br.Peek(1); err != nil {
			return err
		}
		deadline = time.Now().Add(s.cfg.ReadTimeout)
		_ = nc.SetDeadline(deadline)
		serial, payload, err := avrorpc.ReadFrameReserving(br, nil, maxFrame, reserve)
		if err != nil {
			return fmt.Errorf("read frame: %w", err)
		}
		d := avrorpc.NewDecoder(payload)
		head, err := avrorpc.ReadRequestHead(d, !handshaken)
		if err != nil {
			return fmt.Errorf("%w: call %d: %w", errBadInput, serial, err)
		}
		var hs *avrorpc.HandshakeResponse
		if head.Handshake != nil {
			if hs, err = s.responder.Handshake(head.Handshake); err != nil {
				return fmt.Errorf("%w: call %d: %w", errBadInput, serial, err)
			}
			if hs.Match == avrorpc.MatchNone {
				// Not executed: the client resends with its protocol text.
				avrorpc.BuildHandshakeOnly(&fb, serial, hs)
				if _, err := c.Write(fb.Bytes()); err != nil {
					return fmt.Errorf("answer call %d: %w", serial, err)
				}
				continue
			}
			handshaken = true
		}
		events, err := avrorpc.ReadEvents(d, head.Message, s.limits, nil)
		if err != nil {
			// Tell a client what it did wrong (an Avro error answer), then hang up.
			avrorpc.BuildErrorResponse(&fb, serial, hs, "flumego avro source: "+err.Error())
			_, _ = c.Write(fb.Bytes())
			return fmt.Errorf("%w: call %d: %w", errBadInput, serial, err)
		}
		// The whole call is decoded; only now may it be put. No deadline while the processor
		// works: a full channel makes Process wait out its keep-alive, not the client. A stop
		// meanwhile lets the call be answered, so that what was committed is acknowledged.
		if !s.srv.SetBusy(nc, true) {
			return nil
		}
		_ = nc.SetDeadline(time.Time{})
		status := avrorpc.StatusOK
		single := head.Message == avrorpc.MessageAppend
		if single {
			s.m.AppendReceivedCount.Inc()
		}
		if err := s.proc.Process(ctx, events); err != nil {
			if ctx.Err() != nil {
				return nil // stopping: not committed, so not answered
			}
			status = avrorpc.StatusFailed
		} else if single {
			s.m.AppendAcceptedCount.Inc()
		}
		avrorpc.BuildResponse(&fb, serial, hs, status)
		_ = nc.SetDeadline(time.Now().Add(s.cfg.ReadTimeout))
		_, err = c.Write(fb.Bytes())
		if !s.srv.SetBusy(nc, false) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("answer call %d: %w", serial, err)
		}
	}
}
