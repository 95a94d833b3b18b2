package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// index is what GET / answers: the endpoints, for an operator poking at the port.
const index = `flumego metrics
/metrics       Prometheus text format
/metrics.json  Flume's JSON reporting format
/healthz       200 "ok" when the agent is healthy, 503 and the reason (degraded components) otherwise
/livez         200 "ok" while every component runs, 503 when one stopped for good
/status        every component at a glance: fill, rates, failures, where events pile up
/status.json   every component's values now, for agent status
`

// Probes are the checks behind /healthz and /livez. A nil check always passes.
type Probes struct {
	// Health returns nil while the agent does its job; otherwise its error names the
	// components that are degraded (failing for longer than unhealthy_after) or stopped.
	Health func() error
	// Alive returns nil unless a component stopped for good, which only a restart heals. A
	// degraded destination is not such a failure: restarting would not bring it back.
	Alive func() error
}

// Handler serves /metrics (Prometheus), /metrics.json (Flume's JSON), /healthz (200 "ok"
// when probes.Health returns nil, 503 with the error text otherwise), /livez (the same for
// probes.Alive: for a liveness probe or a watchdog, which restart the agent), /status (an HTML
// page of every component's fill, rates, failures and health, marking where events pile up)
// and /status.json (a Snapshot, which `agent status` samples). GET / lists the endpoints. Each
// Handler has its own Prometheus registry.
func Handler(reg *Registry, probes Probes) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(NewPrometheusRegistry(reg), promhttp.HandlerOpts{
		// A failing collector should not hide the others from the scrape.
		ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.HandleFunc("GET /metrics.json", func(w http.ResponseWriter, _ *http.Request) {
		body, err := json.Marshal(FlumeJSON(reg))
		if err != nil {
			http.Error(w, "metrics: encode json: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	mux.HandleFunc("GET /healthz", probe(probes.Health))
	mux.HandleFunc("GET /livez", probe(probes.Alive))
	status := &statusPage{reg: reg, health: probes.Health}
	mux.HandleFunc("GET /status", status.serveHTML)
	mux.HandleFunc("GET /status.json", status.serveJSON)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, index)
	})
	return mux
}

// probe answers 200 "ok" while check returns nil (or is nil), 503 with its error otherwise.
func probe(check func() error) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if check != nil {
			if err := check(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, err.Error()+"\n")
				return
			}
		}
		_, _ = io.WriteString(w, "ok\n")
	}
}

// Server is a running metrics HTTP listener.
type Server struct {
	ln     net.Listener
	srv    *http.Server
	logger *slog.Logger
	done   chan struct{} // closed when Serve has returned

	closeOnce sync.Once
	closeErr  error
}

// Listen binds addr now, so a port in use fails at start-up with a clear error, and serves h
// in the background until Close. A nil logger discards.
func Listen(addr string, h http.Handler, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &Server{
		ln: ln,
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			// A scrape with many components and the runtime metrics is still small; a slow
			// reader must not hold a goroutine forever.
			WriteTimeout:   30 * time.Second,
			IdleTimeout:    90 * time.Second,
			MaxHeaderBytes: 64 << 10,
			ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		},
		logger: logger,
		done:   make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	logger.Info("metrics listening", "addr", ln.Addr().String())
	return s, nil
}

// Addr is the address the server is bound to (the real port when addr asked for port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops accepting, waits for requests in flight until ctx is done, then drops what is
// left. It returns once the serving goroutine has exited. It is safe to call twice; later
// calls return the first call's result.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		if err := s.srv.Shutdown(ctx); err != nil {
			// The deadline passed with requests still running: cut them off.
			_ = s.srv.Close()
			s.closeErr = fmt.Errorf("metrics: shut down %s: %w", s.ln.Addr(), err)
		}
		<-s.done
	})
	return s.closeErr
}
