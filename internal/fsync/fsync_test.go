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

func TestReplaceFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "cursor")
	for _, want := range []string{"first", "second, longer", "3"} {
		if err := ReplaceFile(path, []byte(want), 0o640); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Fatalf("after ReplaceFile(%q): %q, %v", want, got, err)
		}
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, %v; want 0640", st.Mode(), err)
	}
	left, _ := os.ReadDir(filepath.Dir(path))
	if len(left) != 1 {
		t.Errorf("temporary files left beside it: %v", left)
	}
	if err := ReplaceFile(filepath.Join(path, "under-a-file"), nil, 0o644); err == nil {
		t.Error("ReplaceFile under a regular file succeeded")
	}
}
