package cli

import (
	"context"
	"github.com/flumego/flumego/internal/testkit"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// watchReported reports whether watchConfig reported a change since the last call.
func watchReported(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestWatchConfigSeesEveryWayAFileIsReplaced(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string) string // returns the config path
		change func(t *testing.T, dir, path string)
	}{
		{
			name:  "written in place",
			setup: plainConfigFile,
			change: func(t *testing.T, _, path string) {
				fsWrite(t, path, "v2")
			},
		},
		{
			name:  "renamed over by an editor",
			setup: plainConfigFile,
			change: func(t *testing.T, dir, path string) {
				fsWrite(t, filepath.Join(dir, ".agent.hcl.swp"), "v2")
				fsRename(t, filepath.Join(dir, ".agent.hcl.swp"), path)
			},
		},
		{
			name:  "deleted and created again",
			setup: plainConfigFile,
			change: func(t *testing.T, _, path string) {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				fsWrite(t, path, "v2")
			},
		},
		{
			// Kubernetes mounts a ConfigMap as agent.hcl → ..data/agent.hcl, ..data → ..v1, and
			// updates it by pointing ..data at a new directory with one rename.
			name: "a ConfigMap update swapping the ..data symlink",
			setup: func(t *testing.T, dir string) string {
				fsMkdir(t, filepath.Join(dir, "..v1"))
				fsWrite(t, filepath.Join(dir, "..v1", "agent.hcl"), "v1")
				fsSymlink(t, "..v1", filepath.Join(dir, "..data"))
				fsSymlink(t, filepath.Join("..data", "agent.hcl"), filepath.Join(dir, "agent.hcl"))
				return filepath.Join(dir, "agent.hcl")
			},
			change: func(t *testing.T, dir, _ string) {
				fsMkdir(t, filepath.Join(dir, "..v2"))
				fsWrite(t, filepath.Join(dir, "..v2", "agent.hcl"), "v2")
				fsSymlink(t, "..v2", filepath.Join(dir, "..data_tmp"))
				fsRename(t, filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data"))
			},
		},
		{
			name: "a symlink to a file in another directory, replaced there",
			setup: func(t *testing.T, dir string) string {
				fsMkdir(t, filepath.Join(dir, "real"))
				fsMkdir(t, filepath.Join(dir, "etc"))
				fsWrite(t, filepath.Join(dir, "real", "agent.hcl"), "v1")
				fsSymlink(t, filepath.Join(dir, "real", "agent.hcl"), filepath.Join(dir, "etc", "agent.hcl"))
				return filepath.Join(dir, "etc", "agent.hcl")
			},
			change: func(t *testing.T, dir, _ string) {
				fsWrite(t, filepath.Join(dir, "real", "new"), "v2")
				fsRename(t, filepath.Join(dir, "real", "new"), filepath.Join(dir, "real", "agent.hcl"))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			changed := watchConfig(ctx, path, 0, slog.New(slog.DiscardHandler))
			tt.change(t, dir, path)
			testkit.WaitFor(t, 5*time.Second, "the change to be reported", func() bool { return watchReported(changed) })
			if b, err := os.ReadFile(path); err != nil || string(b) != "v2" {
				t.Fatalf("after the change the file reads %q, %v", b, err)
			}
		})
	}
}

func TestWatchConfigPollsWhereNotificationsCannotWatch(t *testing.T) {
	// The directory does not exist yet, so it cannot be watched: only the poll reports.
	path := filepath.Join(t.TempDir(), "not-yet", "agent.hcl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := watchConfig(ctx, path, 20*time.Millisecond, slog.New(slog.DiscardHandler))
	for range 3 {
		testkit.WaitFor(t, 5*time.Second, "a poll", func() bool { return watchReported(changed) })
	}
}

func plainConfigFile(t *testing.T, dir string) string {
	path := filepath.Join(dir, "agent.hcl")
	fsWrite(t, path, "v1")
	return path
}

func fsWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fsRename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

func fsSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func fsMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}
