// Package linefile is a custom sink, "line_file": it appends each event's body as one line to
// a file, and makes each batch durable (fsync) before acknowledging it, so the runner commits
// the take only once the lines are on disk.
//
//	sink "line_file" "k1" {
//	  channel = "c1"
//	  path    = "/var/log/flumego/out.log"
//	}
package linefile

import (
	"bufio"
	"context"
	"fmt"
	"os"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/sink"
)

// Config is the sink's settings.
type Config struct {
	Path string `hcl:"path"`
}

// Validate checks the settings after decoding.
func (c *Config) Validate() error {
	if c.Path == "" {
		return schema.Errorf("path", "must not be empty")
	}
	return nil
}

// NewFactory returns the factory the agent's component list holds.
func NewFactory() sink.Factory {
	return sink.NewFactory("line_file", func() *Config { return &Config{} }, New)
}

// New opens the file for appending.
func New(cfg *Config, set sink.Settings) (sink.Sink, error) {
	f, err := os.OpenFile(cfg.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("line_file: %w", err)
	}
	return &lineFile{f: f, w: bufio.NewWriter(f)}, nil
}

type lineFile struct {
	f *os.File
	w *bufio.Writer
}

// Write appends the batch and syncs it. On error the runner rolls the take back and retries:
// lines written before the failure come again (duplicates, never loss).
func (s *lineFile) Write(_ context.Context, events []channel.Event) error {
	for _, e := range events {
		s.w.Write(e.Body)
		s.w.WriteByte('\n')
	}
	if err := s.w.Flush(); err != nil {
		s.w.Reset(s.f)
		return fmt.Errorf("line_file: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("line_file: %w", err)
	}
	return nil
}

// Close closes the file; no Write runs concurrently (the sink contract), and a second Close
// returns the file's "already closed" error, which the agent only logs.
func (s *lineFile) Close(context.Context) error { return s.f.Close() }
