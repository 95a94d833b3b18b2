package webhdfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/sink/hdfs/store"
	"github.com/flumego/flumego/sink/hdfs/webhdfs/webhdfstest"
)

func newFS(t *testing.T) (*FS, *webhdfstest.Server) {
	t.Helper()
	srv := webhdfstest.New()
	t.Cleanup(srv.Close)
	f := New(Options{Address: srv.Addr(), User: "flume", Timeout: 5 * time.Second})
	t.Cleanup(func() { f.Close() })
	return f, srv
}

func TestCreateAppendRenameThroughTheDatanode(t *testing.T) {
	f, srv := newFS(t)
	ctx := context.Background()
	w, err := f.Create(ctx, "/flume/2024/FlumeData.1.tmp")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("one\n"))
	w.Write([]byte("two\n"))
	if got := string(srv.Files()["/flume/2024/FlumeData.1.tmp"]); got != "" {
		t.Fatalf("before Sync the file holds %q; writes must be buffered", got)
	}
	if err := w.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(ctx); err != nil { // nothing new: no APPEND
		t.Fatal(err)
	}
	w.Write([]byte("three\n"))
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.Rename(ctx, "/flume/2024/FlumeData.1.tmp", "/flume/2024/FlumeData.1"); err != nil {
		t.Fatal(err)
	}
	if got := string(srv.Files()["/flume/2024/FlumeData.1"]); got != "one\ntwo\nthree\n" {
		t.Errorf("file holds %q", got)
	}
	if n := srv.Ops("APPEND"); n != 2 {
		t.Errorf("%d APPENDs, want one per Sync with data (2)", n)
	}
	if m := srv.Misuse(); len(m) > 0 {
		t.Errorf("protocol misuse: %v", m)
	}
}

func TestErrorsMapToFsErrors(t *testing.T) {
	f, srv := newFS(t)
	ctx := context.Background()
	srv.Put("/d/a", []byte("a"))
	srv.Put("/d/b", []byte("b"))
	_, err := f.Create(ctx, "/d/a")
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "FileAlreadyExistsException") {
		t.Errorf("Create over an existing file = %v, want FileAlreadyExistsException matching fs.ErrExist", err)
	}
	if err := f.Rename(ctx, "/d/a", "/d/b"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Rename onto an existing file = %v, want fs.ErrExist", err)
	}
	if err := f.Rename(ctx, "/d/missing", "/d/c"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Rename of a missing file = %v, want fs.ErrNotExist", err)
	}
	if _, err := f.Open(ctx, "/d/missing", 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing file = %v, want fs.ErrNotExist", err)
	}
	if _, err := f.ReadDir(ctx, "/nothing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDir of a missing directory = %v, want fs.ErrNotExist", err)
	}
	if err := f.Remove(ctx, "/d/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove of a missing file = %v, want fs.ErrNotExist", err)
	}
	err = f.Truncate(ctx, "/d/a", 10)
	var re *RemoteError
	if !errors.As(err, &re) || re.Exception != "HadoopIllegalArgumentException" || re.Status != 400 {
		t.Errorf("Truncate beyond the end = %v, want the server's HadoopIllegalArgumentException", err)
	}
	w, _ := f.Create(ctx, "/d/c")
	srv.FailNext("APPEND", 1)
	w.Write([]byte("data"))
	if err := w.Sync(ctx); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Errorf("Sync through a failing datanode = %v", err)
	}
}

func TestListOpenTruncateRemove(t *testing.T) {
	f, srv := newFS(t)
	ctx := context.Background()
	srv.Put("/d/x/f1", []byte("0123456789"))
	srv.Put("/d/f2", nil)
	entries, err := f.ReadDir(ctx, "/d")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Entry{{Name: "f2", Size: 0}, {Name: "x", Dir: true}}
	if len(entries) != 2 || entries[0] != want[0] || entries[1] != want[1] {
		t.Errorf("ReadDir = %+v, want %+v", entries, want)
	}
	r, err := f.Open(ctx, "/d/x/f1", 4)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "456789" {
		t.Errorf("Open at 4 read %q", b)
	}
	if err := f.Truncate(ctx, "/d/x/f1", 3); err != nil {
		t.Fatal(err)
	}
	if err := f.Remove(ctx, "/d/f2"); err != nil {
		t.Fatal(err)
	}
	files := srv.Files()
	if string(files["/d/x/f1"]) != "012" || len(files) != 1 {
		t.Errorf("files after truncate and remove: %q", files)
	}
}

func TestUnreachableNamenode(t *testing.T) {
	f := New(Options{Address: "127.0.0.1:1", User: "u", Timeout: time.Second})
	_, err := f.Create(context.Background(), "/x")
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("Create against a closed port = %v, want a connection error", err)
	}
}
