package agent

import (
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

type inner struct {
	Path    string
	Headers map[string]string
}

type settings struct {
	Port     int
	Timeout  time.Duration
	Names    []string
	Groups   []inner
	Opt      *int
	Priority map[string]int
	Where    hcl.Range
	hook     func() int
	ranges   map[string]hcl.Range
}

func TestSameSettings(t *testing.T) {
	one, two := 1, 2
	base := func() *settings {
		return &settings{Port: 80, Timeout: time.Second, Names: []string{"a", "b"},
			Groups: []inner{{Path: "/x", Headers: map[string]string{"k": "v"}}}, Opt: &one,
			Priority: map[string]int{"k1": 10}, Where: hcl.Range{Filename: "a.hcl", Start: hcl.Pos{Line: 3}},
			hook: func() int { return 1 }, ranges: map[string]hcl.Range{"port": {}}}
	}
	tests := []struct {
		name   string
		change func(*settings)
		same   bool
	}{
		{"identical", func(*settings) {}, true},
		{"moved to another line", func(s *settings) { s.Where.Start.Line = 30 }, true},
		{"another hook and unexported ranges", func(s *settings) { s.hook = nil; s.ranges = nil }, true},
		{"pointer to an equal value", func(s *settings) { v := 1; s.Opt = &v }, true},
		{"port", func(s *settings) { s.Port = 81 }, false},
		{"duration", func(s *settings) { s.Timeout = 2 * time.Second }, false},
		{"list order", func(s *settings) { s.Names = []string{"b", "a"} }, false},
		{"list length", func(s *settings) { s.Names = s.Names[:1] }, false},
		{"nested map value", func(s *settings) { s.Groups[0].Headers["k"] = "w" }, false},
		{"map key", func(s *settings) { s.Priority = map[string]int{"k2": 10} }, false},
		{"pointer value", func(s *settings) { s.Opt = &two }, false},
		{"pointer to nil", func(s *settings) { s.Opt = nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base()
			tt.change(b)
			if got := sameSettings(base(), b); got != tt.same {
				t.Errorf("sameSettings = %v, want %v", got, tt.same)
			}
		})
	}
	t.Run("nil and empty lists", func(t *testing.T) {
		if !sameSettings(&settings{Names: nil}, &settings{Names: []string{}}) {
			t.Error("a nil list differs from an empty one")
		}
	})
	t.Run("different types", func(t *testing.T) {
		if sameSettings(&settings{}, &inner{}) {
			t.Error("configs of different types are the same")
		}
	})
}
