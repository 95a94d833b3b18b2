package fileroll

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/avrofile"
	"github.com/flumego/flumego/serializer/serializertest"
	"github.com/flumego/flumego/sink"
)

func TestAvroEventFilesAreWholeContainers(t *testing.T) {
	dir := t.TempDir()
	s, _ := newSink(t, dir, `serializer "avro_event" { compression_codec = "deflate" }`)
	ctx := context.Background()
	for _, b := range [][]channel.Event{events(0, 3), events(3, 2)} {
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		// After every Write the file is a whole container of what was written.
		raw, _ := os.ReadFile(filepath.Join(dir, files(t, dir)[0]))
		if _, err := avrofile.ReadAll(bytes.NewReader(raw)); err != nil {
			t.Fatalf("after a Write: %v", err)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, files(t, dir)[0]))
	evs, err := avrofile.ReadAll(bytes.NewReader(raw))
	if err != nil || len(evs) != 5 || string(evs[4].Body) != "event 4" {
		t.Errorf("container holds %d events (%v)", len(evs), err)
	}
}

func TestAnEventTheSerializerCannotEncodeIsLeftOutAndPermanent(t *testing.T) {
	dir := t.TempDir()
	cfg, diags := decode(t, `directory = "`+dir+`"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg.Serializer = serializertest.Failing("poison")
	s, err := New(cfg, sink.Settings{Name: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	err = s.Write(context.Background(), []channel.Event{{Body: []byte("a")}, {Body: []byte("poison")}, {Body: []byte("c")}})
	pe, ok := sink.AsPermanent(err)
	if !ok || len(pe.Events) != 1 || pe.Events[0] != 1 || !errors.Is(err, serializertest.ErrPoison) {
		t.Fatalf("Write = %v, want a permanent failure of event 1", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, files(t, dir)[0])); string(got) != "a\nc\n" {
		t.Errorf("file holds %q, want the two others", got)
	}
}
