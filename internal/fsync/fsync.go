// Package fsync makes local writes durable: the data of a file, and the names created in a
// directory; and checks that a file written is still at its name. The file_roll and hdfs
// (file://) sinks share it, so both mean the same thing by "on disk".
package fsync

import (
	"errors"
	"fmt"
	"os"
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
