// Package native is the hdfs:// file system of the hdfs sink: HDFS's own RPC protocol through
// github.com/colinmarc/hdfs/v2, a pure-Go client (no JVM, no libhdfs) of the namenode and
// datanode protocols.
//
// Durability: that client's Flush sends buffered packets without waiting for the datanodes'
// acknowledgements, so it is not an hflush. Sync therefore closes the file, which waits for
// every datanode of the pipeline to acknowledge every packet and completes the file at the
// namenode; the next Write reopens it with APPEND. Each batch thus costs a complete and an
// append: use batch sizes in the thousands. Kerberos is not configured here (the client supports
// it; wiring keytabs is left for later).
package native

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"sync"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/flumego/flumego/internal/backoff"
	"github.com/flumego/flumego/sink/hdfs/store"
)

// Options configure the client.
type Options struct {
	Addresses []string // namenodes, host:port (HA: all of them)
	User      string
	Timeout   time.Duration
}

// FS is an HDFS client that connects on first use and again after a failed connection.
type FS struct {
	opts Options
	mu   sync.Mutex
	c    *hdfs.Client
}

// New returns the file system; nothing is dialled yet, so an unreachable namenode fails the
// first operation, not the agent's start.
func New(o Options) *FS {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	return &FS{opts: o}
}

// client returns the connected client, dialling the namenode when needed.
func (f *FS) client() (*hdfs.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.c != nil {
		return f.c, nil
	}
	dial := (&net.Dialer{Timeout: f.opts.Timeout, KeepAlive: 30 * time.Second}).DialContext
	c, err := hdfs.NewClient(hdfs.ClientOptions{
		Addresses:        f.opts.Addresses,
		User:             f.opts.User,
		NamenodeDialFunc: dial,
		DatanodeDialFunc: dial,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to namenode %v: %w", f.opts.Addresses, err)
	}
	f.c = c
	return c, nil
}

// drop forgets a client whose connection failed, so the next call dials again.
func (f *FS) drop(c *hdfs.Client, err error) {
	var ne net.Error
	if !errors.As(err, &ne) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return
	}
	f.mu.Lock()
	if f.c == c {
		f.c = nil
		go c.Close()
	}
	f.mu.Unlock()
}

// call runs op with the client, returning early (and leaving op to finish) when ctx ends: the
// client's namenode calls take no context.
func call[T any](ctx context.Context, f *FS, op func(*hdfs.Client) (T, error)) (T, error) {
	var zero T
	c, err := f.client()
	if err != nil {
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := op(c)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			f.drop(c, r.err)
		}
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// Create implements store.FS.
func (f *FS) Create(ctx context.Context, name string) (store.File, error) {
	w, err := call(ctx, f, func(c *hdfs.Client) (*hdfs.FileWriter, error) {
		if err := c.MkdirAll(path.Dir(name), 0o755); err != nil {
			return nil, err
		}
		return c.Create(name)
	})
	if err != nil {
		return nil, err
	}
	return &file{fs: f, name: name, w: w}, nil
}

type file struct {
	fs   *FS
	name string
	w    *hdfs.FileWriter // nil after a Sync, until the next Write reopens the file
	done bool
}

func (w *file) Write(p []byte) (int, error) {
	if w.done {
		return 0, fs.ErrClosed
	}
	if w.w == nil {
		ctx, cancel := context.WithTimeout(context.Background(), w.fs.opts.Timeout)
		defer cancel()
		fw, err := call(ctx, w.fs, func(c *hdfs.Client) (*hdfs.FileWriter, error) {
			return c.Append(w.name)
		})
		if err != nil {
			return 0, err
		}
		w.w = fw
	}
	return w.w.Write(p)
}

// Sync closes the file: the close returns once the datanodes acknowledged every packet and
// the namenode completed the file. A namenode still waiting for replicas (ErrReplicating) has
// the data already; the close is retried until it completes, so the next APPEND finds the lease
// free.
func (w *file) Sync(ctx context.Context) error {
	if w.w == nil {
		return nil
	}
	fw := w.w
	_, err := call(ctx, w.fs, func(*hdfs.Client) (struct{}, error) {
		if dl, ok := ctx.Deadline(); ok {
			fw.SetDeadline(dl)
		}
		bo := backoff.New(50*time.Millisecond, time.Second)
		for {
			err := fw.Close()
			if err == nil || !hdfs.IsErrReplicating(err) || ctx.Err() != nil {
				return struct{}{}, err
			}
			if werr := bo.Wait(ctx, nil); werr != nil {
				return struct{}{}, err
			}
		}
	})
	if err != nil {
		return err
	}
	w.w = nil
	return nil
}

func (w *file) Close(ctx context.Context) error {
	if w.done {
		return nil
	}
	if err := w.Sync(ctx); err != nil {
		return err
	}
	w.done = true
	return nil
}

// Rename implements store.FS; the client would replace an existing destination, so it is
// checked first.
func (f *FS) Rename(ctx context.Context, from, to string) error {
	_, err := call(ctx, f, func(c *hdfs.Client) (struct{}, error) {
		if _, err := c.Stat(to); err == nil {
			return struct{}{}, &os.LinkError{Op: "rename", Old: from, New: to, Err: fs.ErrExist}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return struct{}{}, err
		}
		return struct{}{}, c.Rename(from, to)
	})
	return err
}

// ReadDir implements store.FS.
func (f *FS) ReadDir(ctx context.Context, dir string) ([]store.Entry, error) {
	return call(ctx, f, func(c *hdfs.Client) ([]store.Entry, error) {
		fis, err := c.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		out := make([]store.Entry, 0, len(fis))
		for _, fi := range fis {
			out = append(out, store.Entry{Name: fi.Name(), Dir: fi.IsDir(), Size: fi.Size()})
		}
		return out, nil
	})
}

// Open implements store.FS.
func (f *FS) Open(ctx context.Context, name string, offset int64) (io.ReadCloser, error) {
	return call(ctx, f, func(c *hdfs.Client) (io.ReadCloser, error) {
		r, err := c.Open(name)
		if err != nil {
			return nil, err
		}
		if offset > 0 {
			if _, err := r.Seek(offset, io.SeekStart); err != nil {
				r.Close()
				return nil, err
			}
		}
		return r, nil
	})
}

// Truncate implements store.FS. HDFS may finish in the background (false); the file is
// renamed all the same.
func (f *FS) Truncate(ctx context.Context, name string, size int64) error {
	_, err := call(ctx, f, func(c *hdfs.Client) (bool, error) { return c.Truncate(name, size) })
	return err
}

// Remove implements store.FS.
func (f *FS) Remove(ctx context.Context, name string) error {
	_, err := call(ctx, f, func(c *hdfs.Client) (struct{}, error) { return struct{}{}, c.Remove(name) })
	return err
}

// InUse implements store.FS: the client cannot tell who holds a lease.
func (f *FS) InUse(string) bool { return false }

// Close implements store.FS.
func (f *FS) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.c == nil {
		return nil
	}
	err := f.c.Close()
	f.c = nil
	return err
}

var _ store.FS = (*FS)(nil)
