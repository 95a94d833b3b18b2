// Package avro is the "avro" sink: the sending end of an agent-to-agent hop, speaking Apache
// Flume's Avro RPC (internal/avrorpc), so it can send to flumego's avro source or to a Flume
// agent's.
//
// Each Write sends its events as appendBatch calls and returns nil only when every call was
// answered OK; then, and only then, the runner commits the take. FAILED (the next hop's
// channel is full), an error answer, a timeout or a broken connection fail the Write: the take
// rolls back, the connection is closed (as Flume's sink does) and the next Write connects
// again, after the runner's back-off — or, in a failover or load_balance group, another sink
// takes the batch at once. A dead next hop fails fast: a refused connection at once, an
// unreachable host after connect_timeout.
//
// With max_in_flight 1 (the default, as Flume) a Write is one call of up to batch_size events.
// With max_in_flight N > 1 a Write of n events is split into N calls of ceil(n/N) events that
// are all sent before the first answer is awaited, answers matched by serial; the receiver
// decodes and puts one call while the next ones travel. Each call is committed by the next hop
// on its own, so the Write keeps track of them: when some were answered OK and others FAILED
// (or got no answer before the connection broke), it sends again only those others, on a new
// connection, after a back-off (10ms doubling to 5s) and for as long as its context lasts —
// the calls the next hop committed are never sent twice. Each such call is counted in
// CallRetryCount and each failed round reported to the sink's health. Only when no call of the
// Write was committed does the Write fail, as with one call in flight; and when the agent stops
// during the retries, the take rolls back and the committed calls come again (at-least-once).
//
// Nothing this sink meets is refused for good (sink.Permanent): FAILED means the next hop's
// channel is full, an error answer or a broken connection say nothing about the events, and
// all heal by sending again.
//
// When the runner's context ends during a Write (the agent stops), no further call is sent but
// the answers to those sent are awaited for up to a second, so a batch the next hop committed
// is committed here as well, not delivered twice.
//
// reset_connection_interval closes and reopens the connection that often, so that new
// next-hop hosts behind a load balancer get their share. With ssl the next hop's certificate
// chain is verified against truststore (or the system's roots), but not its host name, as
// Flume's client does; trust_all_certs skips the check.
package avro

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/avrorpc"
	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/sink"
)

// cancelGrace is how long a Write whose context ended (the agent is stopping) still waits for
// the answers to calls already sent, so that a batch the next hop committed is committed here
// too instead of being sent again.
const cancelGrace = time.Second

// Compression types.
const (
	CompressionNone    = "none"
	CompressionDeflate = "deflate"
)

// Config is the avro sink's configuration (batch_size is common to every sink).
type Config struct {
	// Hostname and Port are the next hop's address.
	Hostname string `hcl:"hostname"`
	Port     int    `hcl:"port"`
	// ConnectTimeout bounds connecting (and the TLS handshake).
	ConnectTimeout time.Duration `hcl:"connect_timeout,optional"`
	// RequestTimeout bounds each call: sending it and waiting for its answer.
	RequestTimeout time.Duration `hcl:"request_timeout,optional"`
	// ResetConnectionInterval reopens the connection this often; 0 never does.
	ResetConnectionInterval time.Duration `hcl:"reset_connection_interval,optional"`
	// CompressionType is "none" or "deflate" (the next hop must use the same), at
	// CompressionLevel 1-9.
	CompressionType  string `hcl:"compression_type,optional"`
	CompressionLevel int    `hcl:"compression_level,optional"`
	// SSL turns on TLS. The next hop's chain is checked against Truststore (a PEM file of CA
	// certificates; the system's roots when empty) unless TrustAllCerts.
	SSL           bool   `hcl:"ssl,optional"`
	TrustAllCerts bool   `hcl:"trust_all_certs,optional"`
	Truststore    string `hcl:"truststore,optional"`
	// MaxInFlight is the most calls of one Write sent before their answers came.
	MaxInFlight int `hcl:"max_in_flight,optional"`
}

// Defaults returns Flume's defaults: 20s connect and request timeouts, no reset, no
// compression (level 6 when on), no TLS, one call in flight.
func Defaults() *Config {
	return &Config{ConnectTimeout: 20 * time.Second, RequestTimeout: 20 * time.Second,
		CompressionType: CompressionNone, CompressionLevel: avrorpc.DefaultDeflateLevel, MaxInFlight: 1}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Hostname == "" {
		errs = append(errs, schema.Errorf("hostname", "must not be empty"))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, schema.Errorf("port", "must be 1-65535, got %d", c.Port))
	}
	if c.ConnectTimeout <= 0 {
		errs = append(errs, schema.Errorf("connect_timeout", "must be positive, got %v", c.ConnectTimeout))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, schema.Errorf("request_timeout", "must be positive, got %v", c.RequestTimeout))
	}
	if c.ResetConnectionInterval < 0 {
		errs = append(errs, schema.Errorf("reset_connection_interval", "must be 0 (never) or positive, got %v", c.ResetConnectionInterval))
	}
	if c.CompressionType != CompressionNone && c.CompressionType != CompressionDeflate {
		errs = append(errs, schema.Errorf("compression_type", `must be "none" or "deflate", got %q`, c.CompressionType))
	}
	if c.CompressionLevel < 1 || c.CompressionLevel > 9 {
		errs = append(errs, schema.Errorf("compression_level", "must be 1-9, got %d", c.CompressionLevel))
	}
	if c.MaxInFlight < 1 || c.MaxInFlight > 1024 {
		errs = append(errs, schema.Errorf("max_in_flight", "must be 1-1024, got %d", c.MaxInFlight))
	}
	return errors.Join(errs...)
}

// Warnings reports settings that are likely mistakes.
func (c *Config) Warnings() []error {
	var w []error
	if !c.SSL && (c.TrustAllCerts || c.Truststore != "") {
		w = append(w, schema.Errorf("ssl", "trust_all_certs and truststore are ignored unless ssl = true"))
	}
	if c.SSL && c.TrustAllCerts && c.Truststore != "" {
		w = append(w, schema.Errorf("truststore", "is ignored with trust_all_certs = true"))
	}
	return w
}

// NewFactory returns the factory of the avro sink.
func NewFactory() sink.Factory { return sink.NewFactory("avro", Defaults, New, flumeAvro) }

// Sink is an avro sink. Write and Close are never called concurrently (the runner's contract),
// so it needs no lock.
type Sink struct {
	cfg    Config
	name   string
	addr   string
	batch  int
	log    *slog.Logger
	m      *metrics.Sink
	client avrorpc.ClientConfig

	conn      *avrorpc.Client
	connected time.Time
	retries   *metrics.Counter // CallRetryCount

	// reused by every Write
	calls   [][]channel.Event // the Write's calls
	answers []error           // what became of each
	pending [][]channel.Event // the calls still to deliver, and theirs answers
	pendAns []error
}

// New checks the configuration and loads the truststore; it does not connect (the first Write
// does), so a next hop that is down does not stop the agent from starting.
func New(cfg *Config, set sink.Settings) (sink.Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("avro: %w", err)
	}
	s := &Sink{cfg: *cfg, name: set.Name, addr: net.JoinHostPort(cfg.Hostname, strconv.Itoa(cfg.Port)),
		batch: max(set.BatchSize, 1), log: set.Logger, m: set.Metrics}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.m == nil {
		s.m = metrics.NewRegistry("").Sink(set.Name, "avro")
	}
	s.retries = s.m.Counter("CallRetryCount")
	s.client = avrorpc.ClientConfig{Addr: s.addr, ConnectTimeout: cfg.ConnectTimeout, RequestTimeout: cfg.RequestTimeout,
		Deflate: cfg.CompressionType == CompressionDeflate, DeflateLevel: cfg.CompressionLevel,
		CancelGrace: min(cfg.RequestTimeout, cancelGrace)}
	if cfg.SSL {
		tc, err := clientTLS(cfg)
		if err != nil {
			return nil, fmt.Errorf("avro: %w", err)
		}
		s.client.TLS = tc
	}
	return s, nil
}

// clientTLS is Flume's client TLS: the chain is verified (against the truststore, or the
// system's roots), the host name is not; or nothing is, with trust_all_certs.
func clientTLS(cfg *Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}
	if net.ParseIP(cfg.Hostname) == nil {
		tc.ServerName = cfg.Hostname // for SNI
	}
	if cfg.TrustAllCerts {
		return tc, nil
	}
	var roots *x509.CertPool
	if cfg.Truststore != "" {
		pem, err := os.ReadFile(cfg.Truststore)
		if err != nil {
			return nil, fmt.Errorf("read truststore: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("truststore %s: no PEM certificates in it (convert a Java keystore with keytool -exportcert -rfc)", cfg.Truststore)
		}
	}
	tc.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the next hop sent no certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
		return err
	}
	return tc, nil
}

// The back-off between the rounds of a Write that retries the calls the next hop did not
// commit.
const (
	retryMinBackoff = 10 * time.Millisecond
	retryMaxBackoff = 5 * time.Second
)

// Write sends events and returns nil once every call was answered OK: see the package doc for
// how calls answered FAILED are sent again without those already committed.
func (s *Sink) Write(ctx context.Context, events []channel.Event) error {
	if len(events) == 0 {
		return nil
	}
	callSize := s.batch
	if s.cfg.MaxInFlight > 1 {
		callSize = (len(events) + s.cfg.MaxInFlight - 1) / s.cfg.MaxInFlight
	}
	s.calls = avrorpc.Split(s.calls, events, callSize)
	s.pending = append(s.pending[:0], s.calls...)
	committed := 0 // calls the next hop committed
	var bo *backoff.Backoff
	for {
		err := s.round(ctx)
		left := s.pending[:0]
		for i, c := range s.pending {
			if s.pendAns[i] == nil {
				committed++
			} else {
				left = append(left, c)
			}
		}
		s.pending = left
		if len(s.pending) == 0 {
			return nil
		}
		s.disconnect() // as Flume's sink does after a failure; a retry connects afresh
		if err == nil {
			err = errors.Join(s.pendAns...)
		}
		if len(s.calls) > 1 {
			err = fmt.Errorf("%d of %d calls not committed: %w", len(s.pending), len(s.calls), err)
		}
		err = fmt.Errorf("append batch of %d events to %s: %w", len(events), s.addr, err)
		if committed == 0 || ctx.Err() != nil {
			return err
		}
		// Part of the batch is committed downstream: retry the rest here, so the runner does
		// not send the committed part again.
		s.m.Health().Failed(err)
		if bo == nil {
			bo = backoff.New(retryMinBackoff, retryMaxBackoff)
			s.log.Warn("the next hop committed part of a batch; retrying the rest", "err", err)
		}
		if werr := bo.Wait(ctx, nil); werr != nil {
			return fmt.Errorf("%w (stopped retrying: %w)", err, werr)
		}
		s.retries.Add(int64(len(s.pending)))
	}
}

// round sends the pending calls once, on the connection (made first when there is none), and
// leaves each call's answer in s.pendAns. The error is the connection's.
func (s *Sink) round(ctx context.Context) error {
	s.pendAns = slices.Grow(s.pendAns[:0], len(s.pending))[:len(s.pending)]
	for i := range s.pendAns {
		s.pendAns[i] = avrorpc.ErrUnanswered
	}
	if s.conn != nil && s.cfg.ResetConnectionInterval > 0 && time.Since(s.connected) >= s.cfg.ResetConnectionInterval {
		s.log.Debug("resetting the connection", "interval", s.cfg.ResetConnectionInterval)
		s.disconnect()
	}
	if s.conn == nil {
		if err := s.connect(ctx); err != nil {
			return err
		}
	}
	return s.conn.AppendBatches(ctx, s.pending, s.cfg.MaxInFlight, s.pendAns)
}

func (s *Sink) connect(ctx context.Context) error {
	c, err := avrorpc.Dial(ctx, s.client)
	if err != nil {
		s.m.ConnectionFailedCount.Inc()
		return fmt.Errorf("connect to %s: %w", s.addr, err)
	}
	s.m.ConnectionCreatedCount.Inc()
	s.conn, s.connected = c, time.Now()
	s.log.Debug("connected", "addr", s.addr, "local", c.LocalAddr().String())
	return nil
}

func (s *Sink) disconnect() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
		s.m.ConnectionClosedCount.Inc()
	}
}

// Close closes the connection. It is safe twice.
func (s *Sink) Close(context.Context) error {
	s.disconnect()
	return nil
}
