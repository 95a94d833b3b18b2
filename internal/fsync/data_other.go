//go:build !linux

package fsync

import "os"

// Data makes f's data durable.
func Data(f *os.File) error { return f.Sync() }
