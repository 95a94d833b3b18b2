package channel

import "sync"

// Signal wakes every waiter when something happened (events were committed, room was freed).
// Waiters call Wait to get a channel that is closed on the next Notify. It allocates only when a
// waiter exists, so notifying on every commit is cheap. The zero value is ready to use.
type Signal struct {
	mu      sync.Mutex
	ch      chan struct{}
	waiting bool
}

// Wait returns a channel closed by the next Notify.
func (s *Signal) Wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	s.waiting = true
	return s.ch
}

// Notify wakes every current waiter.
func (s *Signal) Notify() {
	s.mu.Lock()
	if s.waiting {
		close(s.ch)
		s.ch = nil
		s.waiting = false
	}
	s.mu.Unlock()
}
