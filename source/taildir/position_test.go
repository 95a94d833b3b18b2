package taildir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPositionFileIsFlumesFormatWithOptionalAdditions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pos.json")
	ps := []position{
		{Inode: 12, Pos: 34, File: "/var/log/a \"quoted\".log", Dev: 2049, FP: "00000000000000ff", FPLen: 1024},
		{Inode: 56, Pos: 0, File: "/var/log/b.log"},
	}
	if err := writePositions(path, ps); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := `[{"inode":12,"pos":34,"file":"/var/log/a \"quoted\".log","dev":2049,"fp":"00000000000000ff","fplen":1024},{"inode":56,"pos":0,"file":"/var/log/b.log"}]` + "\n"
	if string(b) != want {
		t.Fatalf("position file:\n%s\nwant:\n%s", b, want)
	}
	got, err := readPositions(path)
	if err != nil || !reflect.DeepEqual(got, ps) {
		t.Fatalf("read back %+v, %v", got, err)
	}
	// No temporary file is left behind.
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %d files", len(entries))
	}
}

func TestReadPositionsAcceptsFlumeFilesAndExtraFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pos.json")
	os.WriteFile(path, []byte(`[{"inode":2496272,"pos":12,"file":"/var/log/test1/example.log","extra":true}]`), 0o644)
	got, err := readPositions(path)
	if err != nil || len(got) != 1 || got[0].Inode != 2496272 || got[0].Pos != 12 || got[0].File != "/var/log/test1/example.log" {
		t.Fatalf("got %+v, %v", got, err)
	}
	os.WriteFile(path, []byte(`[{"inode":`), 0o644)
	if _, err := readPositions(path); err == nil {
		t.Error("a broken position file was accepted")
	}
	if got, err := readPositions(filepath.Join(t.TempDir(), "missing.json")); got != nil || err != nil {
		t.Errorf("missing file: %v, %v", got, err)
	}
}

func TestJournalReplayAppliesRecordsInOrder(t *testing.T) {
	dir := t.TempDir()
	jpath := filepath.Join(dir, "pos.json.journal")
	j, err := openJournal(jpath)
	if err != nil {
		t.Fatal(err)
	}
	base := []position{
		{Inode: 1, Pos: 10, File: "/a", Dev: 7},
		{Inode: 2, Pos: 20, File: "/b"}, // from a Flume file: no dev
		{Inode: 3, Pos: 30, File: "/c", Dev: 7},
	}
	for _, p := range []position{
		{Inode: 1, Pos: 15, File: "/a", Dev: 7},
		{Inode: 2, Pos: 25, File: "/b", Dev: 7},
		{Inode: 1, Pos: 19, File: "/a", Dev: 7},
		{Inode: 3, Pos: -1, File: "/c", Dev: 7}, // released
		{Inode: 4, Pos: 5, File: "/d", Dev: 7, FP: "0000000000000001", FPLen: 3},
	} {
		if err := j.record(p); err != nil {
			t.Fatal(err)
		}
	}
	j.close()
	// The agent died while appending its last record.
	f, _ := os.OpenFile(jpath, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"inode":1,"pos":99`)
	f.Close()

	got, err := replayJournal(jpath, base)
	if err != nil {
		t.Fatal(err)
	}
	want := []position{
		{Inode: 1, Pos: 19, File: "/a", Dev: 7},
		{Inode: 2, Pos: 25, File: "/b", Dev: 7},
		{Inode: 4, Pos: 5, File: "/d", Dev: 7, FP: "0000000000000001", FPLen: 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("replayed:\n%+v\nwant:\n%+v", got, want)
	}
}

func FuzzReplayJournal(f *testing.F) {
	f.Add([]byte(`{"inode":1,"pos":2,"file":"/a","dev":3}` + "\n" + `{"inode":1,"pos":-1}`))
	f.Add([]byte("\x00\xff{{\n]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "j")
		os.WriteFile(path, data, 0o644)
		got, err := replayJournal(path, []position{{Inode: 1, Pos: 1, File: "/a"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range got {
			if p.Pos < 0 {
				t.Fatalf("a released entry survived: %+v", p)
			}
		}
		b, _ := json.Marshal(got)
		if strings.Contains(string(b), `"pos":-`) {
			t.Fatal("negative position")
		}
	})
}
