package ganglia

import (
	"context"
	"log/slog"
	"reflect"
	"sync"

	"github.com/flumego/flumego/metrics"
)

// Service keeps at most one Reporter running and follows configuration changes, so an agent
// that reloads its config needs no bookkeeping of its own: it calls Apply with the
// `monitoring "ganglia"` settings at start and after every reload (nil when the block is
// gone), and Stop when it stops.
type Service struct {
	reg *metrics.Registry
	log *slog.Logger

	mu      sync.Mutex
	cfg     *Config // what the running reporter uses; nil when none runs
	cancel  context.CancelFunc
	done    chan struct{}
	started int // reporters started, for tests
}

// NewService returns a service that reports reg's components. Nothing runs until Apply.
func NewService(reg *metrics.Registry, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{reg: reg, log: logger}
}

// Apply makes the running reporter match cfg: it starts one, restarts it when cfg differs from
// the running settings, leaves it alone when they are equal, and stops it when cfg is nil. An
// invalid cfg returns an error and leaves the running reporter as it was.
func (s *Service) Apply(cfg *Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cfg != nil && s.cfg != nil && reflect.DeepEqual(*cfg, *s.cfg) {
		return nil
	}
	if cfg == nil {
		s.stopLocked()
		return nil
	}
	r, err := NewReporter(*cfg, s.reg, s.log)
	if err != nil {
		return err
	}
	s.stopLocked()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx) // Run logs its own failures and returns nil
	}()
	c := *cfg
	c.Hosts = append([]string(nil), cfg.Hosts...)
	s.cfg, s.cancel, s.done = &c, cancel, done
	s.started++
	return nil
}

// Stop stops the reporter, if one runs, and waits for it. It is safe to call twice.
func (s *Service) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Service) stopLocked() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.cfg, s.cancel, s.done = nil, nil, nil
}
