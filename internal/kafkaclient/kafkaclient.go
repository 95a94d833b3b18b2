// Package kafkaclient holds what the Kafka sink, source and channel share: the connection
// settings every Kafka component writes the same way (brokers, a tls block, a sasl block), their
// validation, and their translation into franz-go client options, so the three components
// connect, authenticate and log alike.
package kafkaclient

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
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/metrics"
)

// TLS is the `tls { ... }` block. Writing the block turns TLS on; every attribute is optional.
type TLS struct {
	// CAFile is a PEM bundle of the certificate authorities to trust; empty trusts the system's.
	CAFile string `hcl:"ca_file,optional"`
	// CertFile and KeyFile are the client's PEM certificate and key, for brokers that
	// authenticate clients by certificate (ssl.client.auth=required).
	CertFile string `hcl:"cert_file,optional"`
	KeyFile  string `hcl:"key_file,optional"`
	// ServerName overrides the name checked against the brokers' certificates.
	ServerName string `hcl:"server_name,optional"`
	// InsecureSkipVerify accepts any broker certificate: for tests only.
	InsecureSkipVerify bool `hcl:"insecure_skip_verify,optional"`
}

// SASL is the `sasl { ... }` block.
type SASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string `hcl:"mechanism"`
	Username  string `hcl:"username"`
	Password  string `hcl:"password"`
}

// Mechanisms are the SASL mechanisms supported.
var Mechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// Validate checks the broker list and the tls and sasl blocks, returning every problem with the
// attribute it is about.
func Validate(brokers []string, t *TLS, s *SASL) []error {
	var errs []error
	if len(brokers) == 0 {
		errs = append(errs, schema.Errorf("brokers", `must list at least one broker, such as ["kafka1:9092"]`))
	}
	for _, b := range brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			errs = append(errs, schema.Errorf("brokers", "%q is not host:port", b))
		}
	}
	if t != nil {
		if (t.CertFile == "") != (t.KeyFile == "") {
			errs = append(errs, schema.Errorf("tls.cert_file", "cert_file and key_file go together: set both or neither"))
		}
	}
	if s != nil {
		if !slices.Contains(Mechanisms, strings.ToUpper(s.Mechanism)) {
			errs = append(errs, schema.Errorf("sasl.mechanism", "unknown mechanism %q: want one of %s", s.Mechanism, strings.Join(Mechanisms, ", ")))
		}
		if s.Username == "" {
			errs = append(errs, schema.Errorf("sasl.username", "must not be empty"))
		}
	}
	return errs
}

// Retry back-off of every Kafka client: franz-go's own bounds, with the agent's jitter.
const (
	retryMinBackoff = 250 * time.Millisecond
	retryMaxBackoff = 2500 * time.Millisecond
)

// Options returns the franz-go options for the brokers, TLS and SASL, a logger that passes
// the client's errors (not its warnings, which repeat on every retry while a broker is down) to
// log, and the agent's retry back-off (internal/backoff), so clients that lost a broker together
// do not come back in step. Reading the certificate files happens here, so a missing file fails
// at start-up.
func Options(brokers []string, t *TLS, s *SASL, log *slog.Logger) ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.WithLogger(logger{log}),
		kgo.DialTimeout(10 * time.Second),
		kgo.RetryBackoffFn(backoff.Func(retryMinBackoff, retryMaxBackoff)),
	}
	if t != nil {
		cfg, err := t.config()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	if s != nil {
		switch strings.ToUpper(s.Mechanism) {
		case "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism()))
		default:
			return nil, fmt.Errorf("sasl: unknown mechanism %q", s.Mechanism)
		}
	}
	return opts, nil
}

func (t *TLS) config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // documented test-only switch
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: read ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: ca_file %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: load cert_file and key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// logger passes franz-go's error-level messages to slog.
type logger struct{ l *slog.Logger }

func (logger) Level() kgo.LogLevel { return kgo.LogLevelError }

func (g logger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	if g.l != nil && level <= kgo.LogLevelError {
		g.l.Log(context.Background(), slog.LevelError, "kafka client: "+msg, keyvals...)
	}
}

// Conns watches a client's broker connections: it counts them (on a sink's standard
// counters, when given), remembers the last connection error so a failed produce or commit can
// say why, and reports errors that retrying will not cure (authentication, certificates) to
// whoever waits on the client, so a wrong password fails a batch at once instead of when
// delivery.timeout.ms runs out.
type Conns struct {
	m *metrics.Sink // nil: count nowhere

	mu    sync.Mutex
	last  error
	abort func(error)
}

// NewConns returns a connection watcher counting on m (which may be nil).
func NewConns(m *metrics.Sink) *Conns { return &Conns{m: m} }

// Hook is the client option that installs the watcher.
func (c *Conns) Hook() kgo.Opt { return kgo.WithHooks(connHooks{c}) }

// LastError is the last connection error, nil once a connection succeeded after it.
func (c *Conns) LastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// Watch wraps ctx so that a permanent connection error cancels it, with that error as the
// cause, until the returned stop is called.
func (c *Conns) Watch(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	c.mu.Lock()
	c.abort = cancel // not cancelled for an earlier error: a fresh attempt may succeed
	c.mu.Unlock()
	return ctx, func() {
		c.mu.Lock()
		c.abort = nil
		c.mu.Unlock()
		cancel(nil)
	}
}

// Explain adds the last connection error to err, when there is one and err does not already
// say it.
func (c *Conns) Explain(err error) error {
	last := c.LastError()
	if err == nil || last == nil || errors.Is(err, last) {
		return err
	}
	return fmt.Errorf("%w (last broker connection error: %v)", err, last)
}

// Permanent reports whether a connection error will not go away by retrying: the brokers
// refused our credentials or we refuse their certificate.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	var (
		unknownCA x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
		verify    *tls.CertificateVerificationError
	)
	return errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, kerr.UnsupportedSaslMechanism) ||
		errors.Is(err, kerr.IllegalSaslState) || errors.As(err, &unknownCA) || errors.As(err, &invalid) ||
		errors.As(err, &hostname) || errors.As(err, &verify)
}

type connHooks struct{ c *Conns }

func (h connHooks) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	c := h.c
	if c.m != nil {
		if err != nil {
			c.m.ConnectionFailedCount.Inc()
		} else {
			c.m.ConnectionCreatedCount.Inc()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = err
	if Permanent(err) && c.abort != nil {
		c.abort(err)
	}
}

func (h connHooks) OnBrokerDisconnect(kgo.BrokerMetadata, net.Conn) {
	if h.c.m != nil {
		h.c.m.ConnectionClosedCount.Inc()
	}
}

// Compressions are the codecs a producer may use.
var Compressions = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// Codec returns the franz-go codec of a compression name.
func Codec(name string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(name) {
	case "none", "":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.NoCompression(), errors.New("unknown compression " + name)
}
