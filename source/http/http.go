// Package http is the "http" source (Flume's HTTPSource): clients POST events and the answer
// tells them whether the whole request is durable. The handler setting says what a request is:
//
//   - "flume" (the default; Flume's JSONHandler): a JSON array of events, each
//     {"headers": {"k": "v"}, "body": "text"}. Bodies are the UTF-8 bytes of the "body" string;
//     header values must be strings.
//   - "ndjson": newline-delimited JSON, one object per line and per event (blank lines skipped).
//   - "json": one JSON object, one event.
//
// For ndjson and json, an object's fields become headers as the json interceptor makes them
// (internal/jsonfields: nested objects flattened with dots, max_depth), and its message_key
// field (default "message") becomes the body; an object without it is the body whole.
//
// Answers:
//   - 200: every event of the request was committed to the channels (one put, one attempt).
//   - 400: the request is not in the handler's format (or not UTF-8); for ndjson the message
//     names the first bad line. Nothing was put: a request is all or nothing, as in Flume.
//   - 413: the request is larger than max_request_bytes (a declared Content-Length above it is
//     answered at once, before the body is read), holds more than max_batch_events, or can
//     never fit a channel (more events than its transaction_capacity, more bytes than its
//     byte_capacity). Sending it again cannot succeed.
//   - 503 with Retry-After: a channel refused the put (full), or the agent holds
//     max_inflight_bytes of requests already; nothing is acknowledged and the client retries.
//   - 405: a method other than POST.
//
// The request is read and decoded completely before anything is put, so a slow or broken
// client never leaves half a request in a channel.
package http

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/jsonfields"
	"github.com/flumego/flumego/internal/tcpserve"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
)

// Config is the http source's configuration.
type Config struct {
	// Bind is the address to listen on ("0.0.0.0" for every interface).
	Bind string `hcl:"bind"`
	// Port is the TCP port; 0 picks a free one (see Source.Addr).
	Port int `hcl:"port"`
	// Handler is the request format: HandlerFlume, HandlerNDJSON or HandlerJSON.
	Handler string `hcl:"handler,optional"`
	// MessageKey is the field that becomes the body (ndjson and json handlers).
	MessageKey string `hcl:"message_key,optional"`
	// MaxDepth is the most segments of a header name (ndjson and json handlers).
	MaxDepth int `hcl:"max_depth,optional"`
	// SSL serves HTTPS with the certificate chain and key in CertFile and KeyFile (PEM).
	SSL      bool   `hcl:"ssl,optional"`
	CertFile string `hcl:"cert_file,optional"`
	KeyFile  string `hcl:"key_file,optional"`
	// MaxRequestBytes bounds a request's body.
	MaxRequestBytes schema.Size `hcl:"max_request_bytes,optional"`
	// MaxBatchEvents bounds the events of one request.
	MaxBatchEvents int `hcl:"max_batch_events,optional"`
	// ReadTimeout bounds reading a whole request.
	ReadTimeout time.Duration `hcl:"read_timeout,optional"`
	// MaxInflightBytes bounds the bytes of the requests this source holds at once, within the
	// agent's max_inflight_bytes; 0 means only the agent's bound applies.
	MaxInflightBytes schema.Size `hcl:"max_inflight_bytes,optional"`
}

// Defaults returns the defaults: Flume's handler, no TLS, requests of up to 16 MiB and 100000
// events, read within 30s.
func Defaults() *Config {
	return &Config{Handler: HandlerFlume, MessageKey: "message", MaxDepth: jsonfields.DefaultMaxDepth,
		MaxRequestBytes: 16 << 20, MaxBatchEvents: 100000, ReadTimeout: 30 * time.Second}
}

// BatchLimit is the most events of one request (max_batch_events). A request is answered for
// all its events, so the config stage refuses a channel whose transaction_capacity is below it.
func (c *Config) BatchLimit() source.BatchLimit {
	return source.BatchLimit{Events: c.MaxBatchEvents, Attr: "max_batch_events", Whole: true}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	errs := tcpserve.ValidateAddr("bind", c.Bind, c.Port)
	errs = append(errs, c.validateHandler()...)
	if c.SSL && c.CertFile == "" {
		errs = append(errs, schema.Errorf("cert_file", "is required with ssl = true"))
	}
	if c.SSL && c.KeyFile == "" {
		errs = append(errs, schema.Errorf("key_file", "is required with ssl = true"))
	}
	if c.MaxRequestBytes < 1024 || c.MaxRequestBytes > 1<<30 {
		errs = append(errs, schema.Errorf("max_request_bytes", "must be 1KiB-1GiB, got %v", c.MaxRequestBytes))
	}
	if c.MaxBatchEvents < 1 {
		errs = append(errs, schema.Errorf("max_batch_events", "must be at least 1, got %d", c.MaxBatchEvents))
	}
	if c.ReadTimeout <= 0 {
		errs = append(errs, schema.Errorf("read_timeout", "must be positive, got %v", c.ReadTimeout))
	}
	if c.MaxInflightBytes < 0 {
		errs = append(errs, schema.Errorf("max_inflight_bytes", "must be 0 (only the agent's bound) or more, got %v", c.MaxInflightBytes))
	}
	return errors.Join(errs...)
}

// NewFactory returns the factory of the http source.
func NewFactory() source.Factory { return source.NewFactory("http", Defaults, New, flumeHTTP) }

// Source is a running http source.
type Source struct {
	cfg    Config
	name   string
	log    *slog.Logger
	m      *metrics.Source
	proc   source.Processor
	dec    decodeFunc // the handler's
	budget *source.Budget
	ln     net.Listener
	srv    *http.Server
	ctx    context.Context // Run's, for the puts of requests
}

// New opens the listener (and loads the key pair), so a port in use or a bad certificate fails
// at start-up; Run serves it.
func New(cfg *Config, set source.Settings) (source.Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	if set.Processor == nil {
		return nil, errors.New("http: no processor")
	}
	s := &Source{cfg: *cfg, name: set.Name, log: set.Logger, m: set.Metrics, proc: set.Processor,
		budget: set.Budget(int64(cfg.MaxInflightBytes))}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.m == nil {
		s.m = metrics.NewRegistry("").Source(set.Name, "http")
	}
	s.dec = newDecoder(&s.cfg, s.m)
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: min(cfg.ReadTimeout, 10*time.Second),
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.ReadTimeout + time.Minute, // the put may wait out a channel's keep-alive
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				s.m.OpenConnectionCount.Add(1)
			case http.StateClosed, http.StateHijacked:
				s.m.OpenConnectionCount.Add(-1)
			}
		},
	}
	if cfg.SSL {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("http: load cert_file and key_file: %w", err)
		}
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	addr := net.JoinHostPort(cfg.Bind, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http: listen on %s: %w", addr, err)
	}
	s.ln = ln
	return s, nil
}

// Addr is the address the source listens on.
func (s *Source) Addr() net.Addr { return s.ln.Addr() }

// Close releases the listener of a source whose Run was never called. Close is safe twice.
func (s *Source) Close(context.Context) error {
	if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("http: close listener: %w", err)
	}
	return nil
}

// Run serves requests until ctx ends, then stops accepting, lets requests being put finish
// (within 5s) and returns nil.
func (s *Source) Run(ctx context.Context) error {
	s.ctx = ctx
	s.log.Info("listening", "addr", s.ln.Addr().String(), "ssl", s.cfg.SSL)
	errc := make(chan error, 1)
	go func() {
		if s.cfg.SSL {
			errc <- s.srv.ServeTLS(s.ln, "", "")
		} else {
			errc <- s.srv.Serve(s.ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("http: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		s.srv.Close()
	}
	<-errc
	return nil
}

// ServeHTTP handles one request: decode it all, put it in one attempt, answer.
func (s *Source) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "only POST is supported", http.StatusMethodNotAllowed)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if _, params, err := mime.ParseMediaType(ct); err == nil {
			if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
				s.bad(w, r, http.StatusBadRequest, fmt.Errorf("unsupported charset %q: send UTF-8", cs))
				return
			}
		}
	}
	res := s.budget.Reserve()
	defer res.Release()
	events, status, err := s.decode(w, r, &res)
	if status == http.StatusServiceUnavailable {
		s.retryLater(w, r, err)
		return
	}
	if err != nil {
		s.bad(w, r, status, err)
		return
	}
	ctx := s.ctx
	if ctx == nil {
		ctx = r.Context()
	}
	if err := s.proc.Process(ctx, events); err != nil {
		if source.TooLarge(err) {
			s.bad(w, r, http.StatusRequestEntityTooLarge, fmt.Errorf("the request can never fit: %w", err))
			return
		}
		s.retryLater(w, r, fmt.Errorf("channel refused the events: %w", err))
		return
	}
	w.WriteHeader(http.StatusOK)
}

// decode reads the whole request into events.
func (s *Source) decode(w http.ResponseWriter, r *http.Request, res *source.Reservation) ([]channel.Event, int, error) {
	data, status, err := s.readBody(w, r, res)
	if err != nil {
		return nil, status, err
	}
	return s.dec(data)
}

// retryLater answers 503 with Retry-After: the request may succeed later.
func (s *Source) retryLater(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Debug("answering 503", "remote", r.RemoteAddr, "err", err)
	w.Header().Set("Retry-After", retryAfter)
	http.Error(w, err.Error(), http.StatusServiceUnavailable)
}

// bad answers a request that could not be decoded and counts it.
func (s *Source) bad(w http.ResponseWriter, r *http.Request, status int, err error) {
	s.m.EventReadFail.Inc()
	s.log.Debug("bad request", "remote", r.RemoteAddr, "status", status, "err", err)
	http.Error(w, err.Error(), status)
}
