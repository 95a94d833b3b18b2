package taildir

import "golang.org/x/sys/unix"

// birthTime is a file's birth time in nanoseconds since the epoch, or 0 where the file system
// does not record it.
func birthTime(path string) int64 {
	var st unix.Statx_t
	if unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_BTIME, &st) != nil || st.Mask&unix.STATX_BTIME == 0 {
		return 0
	}
	return st.Btime.Sec*1e9 + int64(st.Btime.Nsec)
}
