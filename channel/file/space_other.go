//go:build !(linux || darwin || freebsd)

package file

import "errors"

// statfsFree is not implemented here; the channel then logs once and never refuses puts for
// lack of space.
func statfsFree(string) (int64, error) {
	return 0, errors.New("free space check not supported on this system")
}
