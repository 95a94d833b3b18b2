package script_test

import (
	"os"
	"testing"

	"github.com/flumego/flumego/components"
	"github.com/flumego/flumego/config"
)

// TestExample loads example.hcl as an agent with the built-in components: every script
// compiles and every test block passes.
func TestExample(t *testing.T) {
	src, err := os.ReadFile("example.hcl")
	if err != nil {
		t.Fatal(err)
	}
	agent := append([]byte("agent \"a1\" {\n"), append(src, []byte("\n}\n")...)...)
	cfg, _, diags := config.Load("example.hcl", agent, "", components.Builtin())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	scripts := 0
	for _, s := range cfg.Sources {
		for _, ic := range s.Interceptors {
			if ic.Type == "script" {
				scripts++
			}
		}
	}
	if scripts != 3 {
		t.Errorf("%d script interceptors decoded, want 3", scripts)
	}
}
