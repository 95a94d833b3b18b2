// Package tcpserve is the accept loop shared by the sources that listen on TCP (netcat, syslog
// over TCP, avro). A Server accepts connections and serves each in its own goroutine until its
// context ends; it retries a failed accept (out of file descriptors and the like) with capped
// back-off, as net/http does, bounds the connections served at once, keeps the source's
// OpenConnectionCount gauge, and on shutdown closes the listener and every connection and waits
// for their goroutines. What a connection carries is left to the source's handler.
package tcpserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/metrics"
)

// Options tune a Server.
type Options struct {
	// MaxConns bounds the connections served at once; 0 means unlimited. Beyond it the server
	// stops accepting, so new clients wait in the kernel's accept backlog (and time out there if
	// the wait is too long) instead of being refused.
	MaxConns int
	// Admit, when set, decides on each accepted connection before it is served; a refused one is
	// closed at once, is not counted as open and does not take one of MaxConns.
	Admit func(net.Conn) bool
	// Metrics receives GenericProcessingFail for each failed accept and OpenConnectionCount for
	// the connections being served; nil counts nowhere.
	Metrics *metrics.Source
	// Log receives accept failures; nil discards them.
	Log *slog.Logger
}

// Server serves the connections of one listener. It is opened by Listen or New (so a port in use
// fails at start-up), served once by Serve, and released by Close when Serve never runs.
type Server struct {
	ln   net.Listener
	opts Options
	sem  chan struct{} // one token per connection being served; nil when unlimited

	mu      sync.Mutex
	conns   map[net.Conn]bool // the connections being served, and whether each is busy
	closing bool
}

// ValidateAddr checks the address a source listens on, for its config's Validate: host (the
// attribute hostAttr, "bind" or "host") must be set and port must be 0-65535 (0 picks a free
// one). It returns one attribute error per problem.
func ValidateAddr(hostAttr, host string, port int) []error {
	var errs []error
	if host == "" {
		errs = append(errs, schema.Errorf(hostAttr, `must not be empty (use "0.0.0.0" to listen on every interface)`))
	}
	if port < 0 || port > 65535 {
		errs = append(errs, schema.Errorf("port", "must be 0-65535, got %d", port))
	}
	return errs
}

// Listen opens a TCP listener on host:port (port 0 picks a free one) and returns its Server.
// The error names the address: "listen on host:port: ...".
func Listen(host string, port int, opts Options) (*Server, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return New(ln, opts), nil
}

// New returns the Server of an open listener, which it then owns.
func New(ln net.Listener, opts Options) *Server {
	if opts.Metrics == nil {
		opts.Metrics = metrics.NewRegistry("").Source("", "tcp")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{ln: ln, opts: opts, conns: map[net.Conn]bool{}}
	if opts.MaxConns > 0 {
		s.sem = make(chan struct{}, opts.MaxConns)
	}
	return s
}

// Addr is the address the server listens on, with the port chosen when port was 0.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close releases the listener of a server whose Serve was never called (the agent failed to
// start); while Serve runs, cancel its context instead. Close is safe twice.
func (s *Server) Close() error {
	if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// Serve accepts connections and calls handle for each in its own goroutine, until ctx ends or
// the listener is closed. Then it closes the listener and every connection that is not busy
// (see SetBusy), cancels the context handed to the handlers, waits for them all and returns.
// When handle returns, the server closes the connection itself. Serve is called once.
func (s *Server) Serve(ctx context.Context, handle func(ctx context.Context, nc net.Conn)) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, s.shutdown)
	defer func() {
		cancel()
		stop()
		s.shutdown()
		wg.Wait()
	}()
	bo := backoff.New(5*time.Millisecond, time.Second)
	for {
		if s.sem != nil {
			select {
			case s.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
		nc, err := s.ln.Accept()
		if err != nil {
			s.release()
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and accept again, like net/http.
			s.opts.Metrics.GenericProcessingFail.Inc()
			s.opts.Log.Warn("accept failed; retrying", "err", err)
			if bo.Wait(ctx, nil) != nil {
				return
			}
			continue
		}
		bo.Reset()
		if s.opts.Admit != nil && !s.opts.Admit(nc) {
			nc.Close()
			s.release()
			continue
		}
		if !s.track(nc) {
			nc.Close()
			s.release()
			return
		}
		wg.Go(func() {
			s.opts.Metrics.OpenConnectionCount.Add(1)
			defer func() {
				nc.Close()
				s.untrack(nc)
				s.opts.Metrics.OpenConnectionCount.Add(-1)
				s.release()
			}()
			handle(ctx, nc)
		})
	}
}

// SetBusy marks a connection as in the middle of work that a shutdown should let finish (the
// avro source putting and answering a call, so that a committed call is also acknowledged):
// shutdown closes every connection except the busy ones, whose handlers close them when they
// are done. It reports whether the server is still serving; once it returns false the handler
// should return.
func (s *Server) SetBusy(nc net.Conn, busy bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[nc]; ok {
		s.conns[nc] = busy
	}
	return !s.closing
}

// release gives back the connection token taken before Accept.
func (s *Server) release() {
	if s.sem != nil {
		<-s.sem
	}
}

// shutdown closes the listener and every connection that is not busy, unblocking their readers
// and writers.
func (s *Server) shutdown() {
	s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	for nc, busy := range s.conns {
		if !busy {
			nc.Close()
		}
	}
}

// track registers an accepted connection; it returns false when the server is shutting down.
func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[nc] = false
	return true
}

func (s *Server) untrack(nc net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, nc)
}
