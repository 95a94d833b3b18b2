package store

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestLocal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := NewLocal()
	name := filepath.Join(dir, "a", "b", "f.tmp")
	f, err := l.Create(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Create(ctx, name); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second Create = %v, want fs.ErrExist", err)
	}
	if !l.InUse(name) {
		t.Error("InUse = false for a file open for writing")
	}
	f.Write([]byte("hello "))
	if b, _ := os.ReadFile(name); len(b) != 0 {
		t.Errorf("unsynced write visible: %q", b)
	}
	if err := f.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("world"))
	if err := f.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(ctx); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if l.InUse(name) {
		t.Error("InUse = true after Close")
	}
	if err := l.Truncate(ctx, name, 5); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "a", "b", "g")
	os.WriteFile(other, nil, 0o644)
	if err := l.Rename(ctx, name, other); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Rename onto an existing file = %v, want fs.ErrExist", err)
	}
	final := filepath.Join(dir, "a", "b", "f")
	if err := l.Rename(ctx, name, final); err != nil {
		t.Fatal(err)
	}
	r, err := l.Open(ctx, final, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "ello" {
		t.Errorf("Open at 1 read %q, want %q", b, "ello")
	}
	entries, err := l.ReadDir(ctx, filepath.Join(dir, "a", "b"))
	if err != nil || len(entries) != 2 || entries[0] != (Entry{Name: "f", Size: 5}) {
		t.Errorf("ReadDir = %+v, %v", entries, err)
	}
	if err := l.Remove(ctx, final); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReadDir(ctx, filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDir of a missing directory = %v", err)
	}
}

// TestLocalSyncFailsWhenTheDirectoryMoved: data written to a file whose directory was moved
// away is not where the sink will look for it, so Sync must fail rather than report success.
func TestLocalSyncFailsWhenTheDirectoryMoved(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f, err := NewLocal().Create(ctx, filepath.Join(dir, "d", "f.tmp"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(ctx)
	if err := os.Rename(filepath.Join(dir, "d"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("x"))
	if err := f.Sync(ctx); err == nil {
		t.Error("Sync succeeded into a file no longer at its path")
	}
}
