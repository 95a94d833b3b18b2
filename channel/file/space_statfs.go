//go:build linux || darwin || freebsd

package file

import "golang.org/x/sys/unix"

// statfsFree is the space on dir's file system available to the agent (not to root).
func statfsFree(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil // Bsize is int64 or uint32 by OS
}
