package ganglia

import (
	"testing"
	"time"
)

// TestServiceFollowsTheConfig applies configurations as an agent does at start and on
// reloads: a new one starts a reporter, an equal one leaves it running, a changed one
// restarts it with the new settings, a bad one is refused, and nil stops it.
func TestServiceFollowsTheConfig(t *testing.T) {
	reg := testRegistry()
	a, b := listenUDP(t), listenUDP(t)
	per := 2 * len(collect(reg)) // datagrams of one 3.1 report
	s := NewService(reg, nil)
	defer s.Stop()

	if err := s.Apply(&Config{Hosts: []string{a.addr()}, PollFrequency: time.Hour}); err != nil {
		t.Fatal(err)
	}
	a.read(t, per) // reports at once

	if err := s.Apply(&Config{Hosts: []string{a.addr()}, PollFrequency: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if s.started != 1 {
		t.Errorf("an equal config started %d reporters, want the first one kept", s.started)
	}

	if err := s.Apply(&Config{Hosts: []string{b.addr()}, PollFrequency: time.Hour}); err != nil {
		t.Fatal(err)
	}
	b.read(t, per) // the new reporter reports at once to the new host
	if s.started != 2 {
		t.Errorf("a changed config: %d reporters started, want 2", s.started)
	}

	if err := s.Apply(&Config{PollFrequency: time.Hour}); err == nil {
		t.Error("a config without hosts was applied")
	}
	if s.cfg == nil || s.cfg.Hosts[0] != b.addr() {
		t.Errorf("a refused config changed the running one: %+v", s.cfg)
	}

	if err := s.Apply(nil); err != nil {
		t.Fatal(err)
	}
	if s.cfg != nil || s.cancel != nil {
		t.Error("Apply(nil) left a reporter running")
	}
	s.Stop()
	s.Stop()
}
