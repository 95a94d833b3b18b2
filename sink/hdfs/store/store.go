// Package store is the small file-system interface the hdfs sink writes through, and its
// file:// implementation. The sink's bucketing, rolling, delivery and recovery logic is written
// once against FS; webhdfs:// and hdfs:// implement it in sub-packages of sink/hdfs.
//
// Paths are absolute and slash-separated. Every method takes a context that bounds it (the
// sink's call_timeout); implementations that cannot be interrupted return when it ends and let
// the call finish in the background.
package store

import (
	"context"
	"io"
)

// FS is where an hdfs sink keeps its files.
type FS interface {
	// Create creates name, with its missing parent directories, and opens it for writing. It
	// fails with an error matching fs.ErrExist when name exists: a sink never appends to a
	// file it did not create in this run.
	Create(ctx context.Context, name string) (File, error)
	// Rename renames a closed file. It fails with an error matching fs.ErrExist when to
	// exists (it never replaces a file) and fs.ErrNotExist when from does not.
	Rename(ctx context.Context, from, to string) error
	// ReadDir lists a directory; fs.ErrNotExist when it does not exist.
	ReadDir(ctx context.Context, dir string) ([]Entry, error)
	// Open reads a closed file from offset on.
	Open(ctx context.Context, name string, offset int64) (io.ReadCloser, error)
	// Truncate cuts a closed file to size bytes.
	Truncate(ctx context.Context, name string, size int64) error
	// Remove removes a closed file.
	Remove(ctx context.Context, name string) error
	// InUse reports whether another live writer holds name open, so start-up recovery leaves
	// it alone. Only file:// can tell (through flock); the others report false.
	InUse(name string) bool
	// Close releases the connection. Files still open fail afterwards.
	Close() error
}

// Entry is one name in a directory.
type Entry struct {
	Name string
	Dir  bool
	Size int64
}

// File is a file open for writing.
type File interface {
	// Write buffers p; nothing is durable before Sync.
	Write(p []byte) (int, error)
	// Sync returns once everything written is durable: fsynced on file://, acknowledged by
	// the datanode pipeline on hdfs://, appended on webhdfs://.
	Sync(ctx context.Context) error
	// Close syncs what is left and releases the file. After an error it may be called again
	// to retry; once it returned nil, it returns nil.
	Close(ctx context.Context) error
}
