//go:build !unix

package store

import "os"

func lock(*os.File) error { return nil }

func tryLock(*os.File) (bool, error) { return false, errNoLock }
