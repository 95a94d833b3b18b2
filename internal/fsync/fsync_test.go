package fsync

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDataAndDir(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("x"); err != nil {
		t.Fatal(err)
	}
	if err := Data(f); err != nil {
		t.Errorf("Data = %v", err)
	}
	if err := Dir(dir); err != nil {
		t.Errorf("Dir = %v", err)
	}
	if err := Dir(filepath.Join(dir, "missing")); err == nil {
		t.Error("Dir of a missing directory succeeded")
	}
	f.Close()
	if err := Data(f); err == nil {
		t.Error("Data of a closed file succeeded")
	}
}

func TestInPlace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := InPlace(path, f); err != nil {
		t.Fatalf("InPlace of the file at its own name = %v", err)
	}
	if err := os.Rename(path, path+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := InPlace(path, f); err == nil {
		t.Error("InPlace succeeded after the file was moved away")
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := InPlace(path, f); err == nil {
		t.Error("InPlace succeeded with another file at the name")
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != content {
			t.Fatalf("read back %q, %v; want %q", b, err, content)
		}
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", st.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the dir, want only the one written (no temporary left)", len(entries))
	}
	if err := WriteFile(filepath.Join(dir, "missing", "b"), nil, 0o600); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}
