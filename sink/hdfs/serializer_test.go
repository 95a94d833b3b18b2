package hdfs

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/serializer/serializertest"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/sink/hdfs/store"
)

func TestJSONDocumentsInCompressedFiles(t *testing.T) {
	dir := t.TempDir()
	s, _ := newTestSink(t, dir, "out", "codec = \"gzip\"\nserializer \"json\" { preset = \"flume\" }", nil)
	ctx := context.Background()
	if err := s.Write(ctx, []channel.Event{ev(`say "hi"`, 0, "h", "v"), ev("two", 0)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := allLines(t, filepath.Join(dir, "out"), false)
	want := []string{`{"body":"say \"hi\"","headers":{"h":"v"}}`, `{"body":"two"}`}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] || !json.Valid([]byte(got[0])) {
		t.Errorf("files hold %q, want %q", got, want)
	}
}

func TestAnEventTheSerializerCannotEncodeIsLeftOutAndPermanent(t *testing.T) {
	dir := t.TempDir()
	cfg, diags := decode(t, `path = "file://`+dir+`/out"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg.Serializer = serializertest.Failing("poison")
	tgt, _ := parseTarget(cfg.Path)
	s, err := newSink(cfg, sink.Settings{Name: "k1", Metrics: metrics.NewRegistry("a1").Sink("k1", "hdfs")}, tgt, store.NewLocal())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = s.Write(ctx, []channel.Event{ev("a", 0), ev("poison", 0), ev("c", 0)})
	pe, ok := sink.AsPermanent(err)
	if !ok || len(pe.Events) != 1 || pe.Events[0] != 1 || !errors.Is(err, serializertest.ErrPoison) {
		t.Fatalf("Write = %v, want a permanent failure of event 1", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := allLines(t, filepath.Join(dir, "out"), false); len(got) != 2 || got[0] != "a" || got[1] != "c" {
		t.Errorf("files hold %q, want the two others", got)
	}
}
