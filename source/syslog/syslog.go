// Package syslog is the "syslog" source: Flume's syslogtcp and syslogudp sources in one type,
// selected by protocol. It receives RFC 3164 and RFC 5424 messages and makes each an event with
// Flume's headers: Facility, Severity, priority, version, timestamp (epoch milliseconds), host,
// and flume.syslog.status ("Invalid" for a message without "<PRI>", "Incomplete" for one cut
// at event_size). The body is the message after its host name, unless keep_fields keeps some or
// all of the parsed fields in it; a message of neither shape keeps its whole text.
//
// Over TCP a connection may frame its messages by newlines (one "\r" before the "\n" is
// stripped, empty lines are skipped) or by octet counting (RFC 6587: "LEN SP MSG"), detected
// per message by its first byte: a digit means octet counting, as a syslog message starts with
// "<". Each UDP datagram is one message (a trailing newline is stripped). A message longer than
// event_size is one event of its first event_size bytes, marked Incomplete and counted
// (EventTruncatedCount); the rest of it is discarded up to its end — its newline, its declared
// octet count, the end of its datagram. (Flume makes the rest of a newline-framed line into
// further events, so one 1 MiB line became hundreds of Invalid ones.)
//
// Over TCP, room for a message of event_size is reserved from the in-flight budget (the agent's
// max_inflight_bytes and the source's own) as it begins to arrive, trimmed to the event once it
// is one, and released when its batch is delivered; without room a connection delivers what it
// holds and stops reading until there is.
//
// Messages already received are delivered together, up to batch_size, through the processor's
// Deliver, which waits while a channel is full: a TCP client is slowed down by back-pressure,
// while UDP datagrams the socket cannot buffer meanwhile are lost (it is UDP). client_ip_header
// names a header that receives the sender's address.
package syslog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/tcpserve"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

// Protocols.
const (
	ProtocolTCP = "tcp"
	ProtocolUDP = "udp"
)

// minEventSize is Flume's smallest event_size.
const minEventSize = 10

// maxEventSize bounds event_size: a TCP connection buffers one message of that size.
const maxEventSize = 64 << 20

// maxUDPSize is the largest UDP datagram.
const maxUDPSize = 65535

// Config is the syslog source's configuration.
type Config struct {
	// Host is the address to listen on (Flume's host).
	Host string `hcl:"host"`
	// Port is the TCP or UDP port; 0 picks a free one (see Source.Addr).
	Port int `hcl:"port"`
	// Protocol is "tcp" (Flume's syslogtcp) or "udp" (syslogudp).
	Protocol string `hcl:"protocol,optional"`
	// EventSize is the most bytes of one message; longer ones are cut (Incomplete).
	EventSize int `hcl:"event_size,optional"`
	// KeepFields is "none", "all", or any of "priority version timestamp hostname": the parsed
	// fields kept in the body.
	KeepFields string `hcl:"keep_fields,optional"`
	// ClientIPHeader, when set, is the header that receives the sender's IP address.
	ClientIPHeader string `hcl:"client_ip_header,optional"`
	// Batch is the most messages delivered in one put (batch_size).
	Batch int `hcl:"batch_size,optional"`
	// MaxConnections bounds the TCP connections served at once; 0 means unlimited.
	MaxConnections int `hcl:"max_connections,optional"`
	// MaxInflightBytes bounds the bytes of messages this source holds at once over TCP,
	// within the agent's max_inflight_bytes; 0 means only the agent's bound applies.
	MaxInflightBytes schema.Size `hcl:"max_inflight_bytes,optional"`
}

// Defaults returns Flume's defaults: TCP, event_size 2500, keep_fields none, and batches of up
// to 100 messages.
func Defaults() *Config {
	return &Config{Protocol: ProtocolTCP, EventSize: 2500, KeepFields: "none", Batch: 100}
}

// BatchLimit is the most events one put holds, checked against the channels' transaction
// capacity by the config stage; a larger put is split into transactions that fit.
func (c *Config) BatchLimit() source.BatchLimit {
	return source.BatchLimit{Events: c.Batch, Attr: "batch_size"}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	errs := tcpserve.ValidateAddr("host", c.Host, c.Port)
	if c.Protocol != ProtocolTCP && c.Protocol != ProtocolUDP {
		errs = append(errs, schema.Errorf("protocol", `must be "tcp" or "udp", got %q`, c.Protocol))
	}
	if c.EventSize < minEventSize || c.EventSize > maxEventSize {
		errs = append(errs, schema.Errorf("event_size", "must be %d-%d bytes, got %d", minEventSize, maxEventSize, c.EventSize))
	}
	if _, ok := parseKeep(c.KeepFields); !ok {
		errs = append(errs, schema.Errorf("keep_fields", `must be "none", "all", or words among priority, version, timestamp and hostname; got %q`, c.KeepFields))
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

// NewFactory returns the factory of the syslog source.
func NewFactory() source.Factory {
	return source.NewFactory("syslog", Defaults, New, flumeSyslogTCP, flumeSyslogUDP, flumeMultiport)
}

// Source is a running syslog source.
type Source struct {
	cfg       Config
	name      string
	log       *slog.Logger
	m         *metrics.Source
	truncated *metrics.Counter
	proc      source.Processor
	budget    *source.Budget
	parse     *parser
	tcp       *tcpserve.Server // tcp
	pc        net.PacketConn   // udp
}

// New opens the listener or the UDP socket, so a port in use fails at start-up; Run serves it.
// Call Close to release it when Run is never called.
func New(cfg *Config, set source.Settings) (source.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("syslog: %w", err)
	}
	if set.Processor == nil {
		return nil, errors.New("syslog: no processor")
	}
	k, _ := parseKeep(cfg.KeepFields)
	s := &Source{cfg: *cfg, name: set.Name, log: set.Logger, m: set.Metrics, proc: set.Processor,
		parse: newParser(k), budget: set.Budget(int64(cfg.MaxInflightBytes))}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.m == nil {
		s.m = metrics.NewRegistry("").Source(set.Name, "syslog")
	}
	s.truncated = s.m.Component.Counter("EventTruncatedCount")
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	var err error
	if cfg.Protocol == ProtocolUDP {
		s.pc, err = net.ListenPacket("udp", addr)
	} else {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			s.tcp = tcpserve.New(ln, tcpserve.Options{MaxConns: cfg.MaxConnections, Metrics: s.m, Log: s.log})
		}
	}
	if err != nil {
		return nil, fmt.Errorf("syslog: listen on %s/%s: %w", addr, cfg.Protocol, err)
	}
	return s, nil
}

// Addr is the address the source listens on, with the port chosen when port was 0.
func (s *Source) Addr() net.Addr {
	if s.pc != nil {
		return s.pc.LocalAddr()
	}
	return s.tcp.Addr()
}

// Close releases the socket of a source whose Run was never called. Close is safe twice.
func (s *Source) Close(context.Context) error {
	var err error
	if s.pc != nil {
		err = s.pc.Close()
	} else {
		err = s.tcp.Close()
	}
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("syslog: close: %w", err)
	}
	return nil
}

// Run serves until ctx ends, then closes the socket (and every TCP connection) and returns nil.
// A batch being delivered at that moment is abandoned by Deliver.
func (s *Source) Run(ctx context.Context) error {
	s.log.Info("listening", "addr", s.Addr().String(), "protocol", s.cfg.Protocol)
	if s.pc != nil {
		return s.runUDP(ctx)
	}
	s.tcp.Serve(ctx, s.serve)
	return nil
}

// clientIP is the host part of addr.
func clientIP(addr net.Addr) string {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return a.IP.String()
	case *net.UDPAddr:
		return a.IP.String()
	}
	h, _, _ := net.SplitHostPort(addr.String())
	return h
}

// serve reads one TCP connection's messages and delivers them; the server closes the connection
// when it returns. Room for the largest message (event_size) is reserved from the in-flight
// budget once a message begins to arrive, and trimmed to its body once it is an event; the batch's bytes
// are released once it is delivered. Without room the connection delivers what it holds and
// then waits, no longer reading, so its client is slowed down by TCP.
func (s *Source) serve(ctx context.Context, nc net.Conn) {
	remote := nc.RemoteAddr().String()
	ip := clientIP(nc.RemoteAddr())
	br := bufio.NewReaderSize(nc, 64<<10)
	fr := &framer{br: br, max: s.cfg.EventSize}
	batch := make([]channel.Event, 0, s.cfg.Batch)
	res := s.budget.Reserve()
	defer res.Release()
	deliver := func() bool {
		err := s.proc.Deliver(ctx, batch)
		if err != nil {
			if ctx.Err() == nil {
				s.m.GenericProcessingFail.Inc()
				s.log.Warn("cannot deliver batch; closing connection", "remote", remote, "events", len(batch), "err", err)
			}
			return false
		}
		batch = make([]channel.Event, 0, s.cfg.Batch)
		res.Release()
		return true
	}
	room := int64(s.cfg.EventSize) + 1 // a line is read to one byte past event_size
	for {
		// A quiet connection holds no reservation: it waits for its next byte first.
		held := res.Held()
		if _, perr := br.Peek(1); perr == nil && !res.TryGrow(room) {
			if len(batch) > 0 && !deliver() {
				return
			}
			held = 0
			if res.Grow(ctx, room, time.Time{}) != nil {
				return
			}
		}
		msg, cut, err := fr.next()
		if msg != nil {
			if cut {
				s.truncated.Inc()
			}
			e := s.build(msg, cut, ip)
			res.ShrinkTo(held + int64(len(e.Body)))
			batch = append(batch, e)
		} else {
			res.ShrinkTo(held)
		}
		// Deliver what has arrived: never wait for more data to fill a batch.
		if len(batch) > 0 && (err != nil || len(batch) == s.cfg.Batch || br.Buffered() == 0) && !deliver() {
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
				s.m.EventReadFail.Inc()
				s.log.Warn("read failed; closing connection", "remote", remote, "err", err)
			}
			return
		}
	}
}

// build makes the event of one message.
func (s *Source) build(msg []byte, incomplete bool, ip string) channel.Event {
	e := s.parse.event(msg, incomplete)
	if s.cfg.ClientIPHeader != "" {
		e.Headers[s.cfg.ClientIPHeader] = ip
	}
	return e
}

// framer splits a TCP stream into messages: octet-counted or newline-terminated. A message
// longer than max is cut at max and the rest of it skipped — up to its newline, or its declared
// count — so an over-long message is one event, never a stream of fragments parsed as messages.
type framer struct {
	br  *bufio.Reader
	max int
	// skipping is set after a newline-framed message was cut, until its '\n' has been read.
	skipping bool
}

// next returns the next message (nil with an error at the end) and whether it was cut at max.
// A message never costs more than about max bytes however long it is, or however slowly the rest
// of it arrives: the cut message is returned at once and the rest is skipped as it comes.
func (f *framer) next() (msg []byte, cut bool, err error) {
	if f.skipping {
		if err := f.skip(); err != nil {
			return nil, false, err
		}
	}
	for {
		c, err := f.br.Peek(1)
		if err != nil {
			return nil, false, err
		}
		if c[0] == '\n' {
			f.br.Discard(1) // an empty line: Flume skips it
			continue
		}
		if c[0] >= '1' && c[0] <= '9' {
			return f.octets()
		}
		return f.line()
	}
}

// octets reads "LEN SP MSG"; a message above max is cut and the rest of it discarded.
func (f *framer) octets() ([]byte, bool, error) {
	head, err := f.br.ReadSlice(' ')
	if err != nil || len(head) > 10 {
		return nil, false, fmt.Errorf("octet counting: bad length prefix %q", truncate(head, 12))
	}
	n, perr := strconv.Atoi(string(head[:len(head)-1]))
	if perr != nil || n < 1 {
		return nil, false, fmt.Errorf("octet counting: bad length %q", head[:len(head)-1])
	}
	keep := min(n, f.max)
	buf := make([]byte, keep)
	if _, err := io.ReadFull(f.br, buf); err != nil {
		return nil, false, fmt.Errorf("octet counting: message of %d bytes cut short: %w", n, unexpected(err))
	}
	if _, err := f.br.Discard(n - keep); err != nil {
		return nil, false, fmt.Errorf("octet counting: message of %d bytes cut short: %w", n, unexpected(err))
	}
	return buf, n > keep, nil
}

// line reads a newline-terminated message. One more byte than max is read before a line is
// known to be too long, as a "\r" before the "\n" is stripped.
func (f *framer) line() ([]byte, bool, error) {
	var line []byte
	for {
		chunk, err := f.br.ReadSlice('\n')
		end := err == nil
		if end {
			chunk = chunk[:len(chunk)-1]
		}
		if len(line)+len(chunk) > f.max+1 {
			if len(line) < f.max {
				line = append(line, chunk[:f.max-len(line)]...)
			}
			f.skipping = !end
			return line[:f.max], true, nil
		}
		line = append(line, chunk...)
		switch {
		case end:
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			// A last line without "\n" at a clean end.
		default:
			return nil, false, err
		}
		break
	}
	switch {
	case len(line) > f.max: // max+1 bytes and no "\r" to strip
		return line[:f.max], true, nil
	case len(line) == 0: // a line of only "\r"
		return f.next()
	}
	return line, false, nil
}

// skip reads up to and including the next '\n'.
func (f *framer) skip() error {
	for {
		_, err := f.br.ReadSlice('\n')
		if err == nil {
			f.skipping = false
			return nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

func truncate(b []byte, n int) []byte { return b[:min(len(b), n)] }

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// runUDP reads datagrams in one goroutine and delivers them in another, in batches of what has
// arrived, so a slow put does not stop the reading (the socket buffer is small).
func (s *Source) runUDP(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { s.pc.Close() })
	defer stop()
	events := make(chan channel.Event, s.cfg.Batch)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.deliverUDP(ctx, events)
	}()
	buf := make([]byte, maxUDPSize)
	for {
		n, addr, err := s.pc.ReadFrom(buf)
		if n > 0 {
			msg := buf[:n]
			if msg[n-1] == '\n' {
				msg = msg[:n-1]
			}
			cut := len(msg) > s.cfg.EventSize
			if cut {
				msg = msg[:s.cfg.EventSize]
				s.truncated.Inc()
			}
			if len(msg) > 0 {
				select {
				case events <- s.build(msg, cut, clientIP(addr)):
				case <-ctx.Done():
				}
			}
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				break
			}
			s.m.EventReadFail.Inc()
			s.log.Warn("read failed", "err", err)
		}
	}
	cancel()
	wg.Wait()
	return nil
}

func (s *Source) deliverUDP(ctx context.Context, events <-chan channel.Event) {
	for {
		var batch []channel.Event
		select {
		case e := <-events:
			batch = append(make([]channel.Event, 0, s.cfg.Batch), e)
		case <-ctx.Done():
			return
		}
	more:
		for len(batch) < s.cfg.Batch {
			select {
			case e := <-events:
				batch = append(batch, e)
			default:
				break more
			}
		}
		if err := s.proc.Deliver(ctx, batch); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.m.GenericProcessingFail.Inc()
			s.log.Warn("cannot deliver batch; dropped", "events", len(batch), "err", err)
		}
	}
}
