//go:build !unix

package taildir

import "io/fs"

// fileID is a file's identity in the file system. Outside Unix there is no inode to read:
// no file can be identified, so none is tailed (flumego targets Linux).
type fileID struct{ dev, ino uint64 }

func idOf(fs.FileInfo) (fileID, uint64, bool) { return fileID{}, 0, false }
