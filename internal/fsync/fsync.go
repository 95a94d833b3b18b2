// Package fsync makes local writes durable: the data of a file, and the names created in a
// directory; and checks that a file written is still at its name. The file_roll and hdfs
// (file://) sinks, taildir's positions, journald's cursor and the file channel's marker share
// it, so all mean the same thing by "on disk".
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

// ReplaceFile writes data to path atomically and durably: into a temporary file beside it,
// fsynced, renamed over path, and the directory fsynced. A crash at any point leaves either the
// old contents or the new, never a mix or an empty file. Positions and cursors are written so.
func ReplaceFile(path string, data []byte, perm os.FileMode) error {
	return replace(path, data, perm, true)
}

// ReplaceFileAtomic writes data to path atomically but without waiting for the disk: a kill of
// the agent keeps the new contents; a power loss may leave the old ones (never a mix). For
// state rewritten with every batch where an older copy only means duplicates.
func ReplaceFileAtomic(path string, data []byte, perm os.FileMode) error {
	return replace(path, data, perm, false)
}

func replace(path string, data []byte, perm os.FileMode, durable bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if durable {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if !durable {
		return nil
	}
	return Dir(dir)
}
