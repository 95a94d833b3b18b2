// Package fsync makes local writes durable: the data of a file, and the names created in a
// directory; and checks that a file written is still at its name. The file_roll and hdfs
// (file://) sinks share it, so both mean the same thing by "on disk".
package fsync

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Dir fsyncs a directory, making the names created, renamed or removed in it durable.
func Dir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// InPlace reports an error unless f is still the file named path. A sink checks it after
// syncing, so that a write never reports success for data that went into a file unlinked with
// its directory (removed, or moved away).
func InPlace(path string, f *os.File) error {
	here, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("file is gone (directory removed or moved?): %w", err)
	}
	open, err := f.Stat()
	if err != nil {
		return err
	}
	if !os.SameFile(here, open) {
		return errors.New("file was replaced (directory moved?)")
	}
	return nil
}

// WriteFile replaces the file at path with data atomically and durably: written to a
// temporary file beside it, synced, renamed over path, and the directory synced. A crash
// leaves either the old file or the new one, never a part of either.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = tmp.Write(data)
	err = errors.Join(err, tmp.Chmod(perm))
	if err == nil {
		err = Data(tmp)
	}
	if err = errors.Join(err, tmp.Close()); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return Dir(dir)
}
