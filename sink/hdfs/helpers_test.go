package hdfs

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/klauspost/compress/zstd"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/avrofile"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/sink/hdfs/store"
)

// decode decodes an hdfs sink body.
func decode(t testing.TB, src string) (*Config, hcl.Diagnostics) {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(src), "flume.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg, diags := NewFactory().Decode(file.Body, nil, `sink "hdfs" "k1"`, hcl.Range{Filename: "flume.hcl"})
	return cfg.(*Config), diags
}

// newTestSink builds a sink writing under dir (path = "file://<dir>/<sub>") from the HCL
// attributes in src, through fsys when not nil.
func newTestSink(t testing.TB, dir, sub, src string, fsys store.FS) (*Sink, *metrics.Sink) {
	t.Helper()
	// In HCL a literal %{ is written %%{; tests write Flume's spelling.
	hclEsc := func(s string) string { return strings.ReplaceAll(s, "%{", "%%{") }
	cfg, diags := decode(t, fmt.Sprintf("path = %q\n%s", hclEsc("file://"+dir+"/"+sub), hclEsc(src)))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	m := metrics.NewRegistry("a1").Sink("k1", "hdfs")
	if fsys == nil {
		fsys = store.NewLocal()
	}
	tgt, err := parseTarget(cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSink(cfg, sink.Settings{Name: "k1", Type: "hdfs", Metrics: m, BatchSize: 100}, tgt, fsys)
	if err != nil {
		t.Fatal(err)
	}
	return s, m
}

// ev is an event with a body and, when ts is not 0, a timestamp header.
func ev(body string, ts int64, kv ...string) channel.Event {
	e := channel.Event{Body: []byte(body)}
	if ts != 0 || len(kv) > 0 {
		e.Headers = map[string]string{}
	}
	if ts != 0 {
		e.Headers["timestamp"] = strconv.FormatInt(ts, 10)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Headers[kv[i]] = kv[i+1]
	}
	return e
}

func numbered(from, n int) []channel.Event {
	out := make([]channel.Event, n)
	for i := range out {
		out[i] = channel.Event{Body: []byte("event " + strconv.Itoa(from+i))}
	}
	return out
}

func lines(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "event " + strconv.Itoa(from+i)
	}
	return out
}

// tree lists the regular files under dir, relative, sorted (names sort by counter).
func tree(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// decodeFile returns the events of a file written by the sink, decoded per its extension and
// serializer.
func decodeFile(t testing.TB, path string, avro bool) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimSuffix(path, ".tmp")
	var data []byte
	switch {
	case strings.HasSuffix(name, ".gz"):
		z, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if data, err = io.ReadAll(z); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	case strings.HasSuffix(name, ".zst"):
		d, _ := zstd.NewReader(nil)
		defer d.Close()
		if data, err = d.DecodeAll(raw, nil); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	case strings.HasSuffix(name, ".snappy"):
		if data, err = DecodeHadoopBlocks(Snappy, bytes.NewReader(raw)); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	case strings.HasSuffix(name, ".lz4"):
		if data, err = DecodeHadoopBlocks(LZ4, bytes.NewReader(raw)); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	default:
		data = raw
	}
	if avro {
		evs, err := avrofile.ReadAll(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out := make([]string, len(evs))
		for i, e := range evs {
			out[i] = string(e.Body)
		}
		return out
	}
	if len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// allLines decodes every file under dir, in name order.
func allLines(t testing.TB, dir string, avro bool) []string {
	t.Helper()
	var out []string
	for _, f := range tree(t, dir) {
		out = append(out, decodeFile(t, filepath.Join(dir, f), avro)...)
	}
	return out
}

func noTmp(t testing.TB, dir string) {
	t.Helper()
	for _, f := range tree(t, dir) {
		if strings.HasSuffix(f, ".tmp") {
			t.Errorf("in-use file left: %s (files %v)", f, tree(t, dir))
		}
	}
}

func sameLines(t testing.TB, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		n := min(len(got), 5)
		t.Fatalf("got %d lines %q..., want %d lines %q...", len(got), got[:n], len(want), want[:min(len(want), 5)])
	}
}

// faultFS wraps a file system and fails operations on demand.
type faultFS struct {
	store.FS
	mu         sync.Mutex
	failCreate error
	failSync   func(name string) error
	failRename error
	renames    int
}

func (f *faultFS) set(fn func(f *faultFS)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *faultFS) Create(ctx context.Context, name string) (store.File, error) {
	f.mu.Lock()
	err := f.failCreate
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	file, err := f.FS.Create(ctx, name)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f, name: name}, nil
}

func (f *faultFS) Rename(ctx context.Context, from, to string) error {
	f.mu.Lock()
	f.renames++
	err := f.failRename
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.FS.Rename(ctx, from, to)
}

type faultFile struct {
	store.File
	fs   *faultFS
	name string
}

func (f *faultFile) Sync(ctx context.Context) error {
	f.fs.mu.Lock()
	fail := f.fs.failSync
	f.fs.mu.Unlock()
	if fail != nil {
		if err := fail(f.name); err != nil {
			return err
		}
	}
	return f.File.Sync(ctx)
}

// localFS is store.Local under a name the fault wrapper can embed.
type localFS = store.Local
