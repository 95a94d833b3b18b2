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
