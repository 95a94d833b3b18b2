package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// tarWriter writes a tar stream whose bytes depend only on what is added: every entry has the
// release's time, numeric owners and no user or group names, and parent directories are added
// before their first entry.
type tarWriter struct {
	tw    *tar.Writer
	mtime time.Time
	dirs  map[string]bool
}

// owner is a numeric user and group.
type owner struct{ uid, gid int }

var root = owner{0, 0}

func newTarWriter(w io.Writer, mtime time.Time) *tarWriter {
	return &tarWriter{tw: tar.NewWriter(w), mtime: mtime, dirs: map[string]bool{}}
}

// dir adds a directory (and its parents, owned by root).
func (t *tarWriter) dir(name string, mode fs.FileMode, o owner) error {
	name = strings.Trim(path.Clean(name), "/")
	if name == "." || name == "" || t.dirs[name] {
		return nil
	}
	if err := t.dir(path.Dir(name), 0o755, root); err != nil {
		return err
	}
	t.dirs[name] = true
	return t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: int64(mode.Perm()),
		Uid: o.uid, Gid: o.gid, ModTime: t.mtime, Format: tar.FormatPAX})
}

// file adds a regular file with data.
func (t *tarWriter) file(name string, data []byte, mode fs.FileMode, o owner) error {
	name = strings.Trim(path.Clean(name), "/")
	if err := t.dir(path.Dir(name), 0o755, root); err != nil {
		return err
	}
	if err := t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)),
		Mode: int64(mode.Perm()), Uid: o.uid, Gid: o.gid, ModTime: t.mtime, Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := t.tw.Write(data)
	return err
}

// copyFile adds the file at src as name, keeping its permission bits.
func (t *tarWriter) copyFile(name, src string, o owner) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return t.file(name, data, normalMode(st.Mode()), o)
}

// copyTree adds the files under src below name, in lexical order (filepath.WalkDir's).
func (t *tarWriter) copyTree(name, src string, o owner) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		dst := path.Join(name, filepath.ToSlash(r))
		switch {
		case d.IsDir():
			return t.dir(dst, 0o755, o)
		case d.Type().IsRegular():
			return t.copyFile(dst, p, o)
		default:
			return fmt.Errorf("%s: only regular files and directories can be released", p)
		}
	})
}

func (t *tarWriter) close() error { return t.tw.Close() }

// normalMode is what a checkout's mode means, whatever the umask it was made with: executable
// or not.
func normalMode(m fs.FileMode) fs.FileMode {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// writeTarGz writes a gzip-compressed tar to path; fill adds its entries. The gzip header has
// no name and no time, so the bytes depend on the entries alone.
func writeTarGz(path string, mtime time.Time, fill func(*tarWriter) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := newTarWriter(zw, mtime)
	if err := fill(tw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tw.close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}
