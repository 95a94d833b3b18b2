//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

// lock takes an exclusive flock on f, released when f is closed (or the process dies).
func lock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}

// tryLock reports whether someone else holds f's flock; if not, it takes and releases it.
func tryLock(f *os.File) (bool, error) {
	err := lock(f)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
