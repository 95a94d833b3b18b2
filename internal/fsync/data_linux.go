package fsync

import (
	"os"
	"syscall"
)

// Data makes f's data and size durable. fdatasync skips the timestamps fsync would also
// write, which saves a little on every batch.
func Data(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
