//go:build unix

package taildir

import (
	"io/fs"
	"syscall"
)

// fileID is a file's identity in the file system: device and inode. A recycled inode is told
// apart by the fingerprint (see tailFile.fp).
type fileID struct{ dev, ino uint64 }

// idOf returns the identity and link count of a stat result.
func idOf(fi fs.FileInfo) (id fileID, nlink uint64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, 0, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, uint64(st.Nlink), true
}
