package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/flumego/flumego/internal/fsync"
)

// Local is the file:// file system: a local disk, or HDFS mounted through its NFS gateway or
// FUSE. Writes are buffered and Sync fsyncs (fdatasync on Linux); every name created, renamed or
// removed is made durable by fsyncing its directory. A file open for writing holds an exclusive
// flock, which InUse tests, so two agents sharing a directory never recover each other's files.
type Local struct{}

// NewLocal returns the file:// file system.
func NewLocal() *Local { return &Local{} }

const localBuf = 256 << 10

type localFile struct {
	f      *os.File
	w      *bufio.Writer
	name   string
	closed bool
}

// Create implements FS.
func (Local) Create(_ context.Context, name string) (File, error) {
	dir := filepath.Dir(name)
	if err := mkdirAll(dir); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lock(f); err != nil {
		f.Close()
		os.Remove(name)
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := fsync.Dir(dir); err != nil {
		f.Close()
		os.Remove(name)
		return nil, err
	}
	return &localFile{f: f, w: bufio.NewWriterSize(f, localBuf), name: name}, nil
}

// mkdirAll creates dir with its parents and fsyncs the parent of every directory it created.
func mkdirAll(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	var created []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		created = append(created, d)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, d := range created {
		if err := fsync.Dir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

func (l *localFile) Write(p []byte) (int, error) { return l.w.Write(p) }

// Sync flushes, fsyncs and checks that the file is still at its name: if its directory was
// removed or moved, the data went to an unlinked file and the sync fails.
func (l *localFile) Sync(context.Context) error {
	if l.closed {
		return fs.ErrClosed
	}
	if err := l.w.Flush(); err != nil {
		return err
	}
	if err := fsync.Data(l.f); err != nil {
		return err
	}
	if err := fsync.InPlace(l.name, l.f); err != nil {
		return fmt.Errorf("%s: %w", l.name, err)
	}
	return nil
}

func (l *localFile) Close(ctx context.Context) error {
	if l.closed {
		return nil
	}
	err := l.Sync(ctx)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	// The descriptor is gone whatever happened: a retry has nothing left to do.
	l.closed = true
	return err
}

// Rename implements FS.
func (Local) Rename(_ context.Context, from, to string) error {
	if _, err := os.Lstat(to); err == nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: fs.ErrExist}
	}
	if err := os.Rename(from, to); err != nil {
		return err
	}
	return fsync.Dir(filepath.Dir(to))
}

// ReadDir implements FS.
func (Local) ReadDir(_ context.Context, dir string) ([]Entry, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(des))
	for _, d := range des {
		e := Entry{Name: d.Name(), Dir: d.IsDir()}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				e.Size = fi.Size()
			}
		} else if !d.IsDir() {
			continue // sockets, links: not ours
		}
		out = append(out, e)
	}
	return out, nil
}

// Open implements FS.
func (Local) Open(_ context.Context, name string, offset int64) (io.ReadCloser, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// Truncate implements FS.
func (Local) Truncate(_ context.Context, name string, size int64) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = fsync.Data(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Remove implements FS.
func (Local) Remove(_ context.Context, name string) error {
	if err := os.Remove(name); err != nil {
		return err
	}
	return fsync.Dir(filepath.Dir(name))
}

// InUse implements FS: a file another process (or another sink of this one) has open for
// writing holds an flock.
func (Local) InUse(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	busy, err := tryLock(f)
	return err == nil && busy
}

// Close implements FS.
func (Local) Close() error { return nil }

var _ FS = Local{}

// errNoLock is returned by lock where flock does not exist.
var errNoLock = errors.New("flock not supported")
