package file

import (
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/metrics"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild())
	}
	goleak.VerifyTestMain(m)
}

// testConfig is the defaults in dir, with the free-space check off: tests that need it set it.
func testConfig(dir string) *Config {
	cfg := defaults()
	cfg.Dir = dir
	cfg.MinimumRequiredSpace = 0
	return cfg
}

// testSettings are settings with fresh counters and a logger that writes to the test log.
func testSettings(t testing.TB) channel.Settings {
	return channel.Settings{
		Name:    "c1",
		Type:    "file",
		Logger:  slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics: metrics.NewRegistry("a1").Channel("c1", "file"),
	}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// eventually polls cond until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %s", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
