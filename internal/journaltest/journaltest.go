// Package journaltest writes real systemd journal files for tests: entries are serialized in
// the journal export format and handed to systemd-journal-remote, which appends them to a
// journal file that journalctl --directory reads (and follows) like the system's own. It is
// imported only by tests.
package journaltest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// remoteCandidates are where Debian's systemd-journal-remote package puts the program.
var remoteCandidates = []string{"/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"}

// Tools returns the paths of systemd-journal-remote and journalctl, or skips the test with a
// message saying what to install.
func Tools(t testing.TB) (remote, journalctl string) {
	t.Helper()
	for _, c := range remoteCandidates {
		if _, err := os.Stat(c); err == nil {
			remote = c
			break
		}
	}
	if remote == "" {
		t.Skip("systemd-journal-remote is not installed (Debian package systemd-journal-remote): real journal files cannot be written")
	}
	jc, err := exec.LookPath("journalctl")
	if err != nil {
		t.Skip("journalctl is not installed (Debian package systemd)")
	}
	return remote, jc
}

// BootID is the boot every entry written here belongs to.
const BootID = "0123456789abcdef0123456789abcdef"

// Entry is one journal entry: its fields besides the timestamps and boot ID, which the
// Journal sets. A value with a newline or bytes that are not text is written in the export
// format's binary form.
type Entry map[string]string

// Journal is a directory holding one journal file that grows with every Append.
type Journal struct {
	Dir    string
	remote string
	mu     sync.Mutex
	seq    int64
}

// New makes a journal in a new temporary directory.
func New(t testing.TB) *Journal {
	t.Helper()
	remote, _ := Tools(t)
	return &Journal{Dir: t.TempDir(), remote: remote}
}

// Append writes entries at the end of the journal; journalctl --follow sees them.
func (j *Journal) Append(t testing.TB, entries ...Entry) {
	t.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	var b bytes.Buffer
	for _, e := range entries {
		j.seq++
		fmt.Fprintf(&b, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n", 1764626400000000+j.seq*1000, j.seq*1000, BootID)
		writeFields(&b, e)
	}
	cmd := exec.Command(j.remote, "--output="+filepath.Join(j.Dir, "test.journal"), "-")
	cmd.Stdin = &b
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("systemd-journal-remote: %v\n%s", err, out)
	}
}

// writeFields writes e's fields in name order and the blank line that ends an entry.
func writeFields(b *bytes.Buffer, e Entry) {
	for _, k := range slices.Sorted(maps.Keys(e)) {
		writeField(b, k, e[k])
	}
	b.WriteByte('\n')
}

// writeField writes one field in the export format.
func writeField(b *bytes.Buffer, name, value string) {
	if text(value) {
		fmt.Fprintf(b, "%s=%s\n", name, value)
		return
	}
	b.WriteString(name)
	b.WriteByte('\n')
	_ = binary.Write(b, binary.LittleEndian, uint64(len(value)))
	b.WriteString(value)
	b.WriteByte('\n')
}

// text reports whether the export format writes v as text: no newline, no control bytes.
func text(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// Export is entries serialized as journalctl --output=export writes them, with cursors
// "c1", "c2", ... — input for a stand-in journalctl.
func Export(entries ...Entry) []byte {
	var b bytes.Buffer
	for i, e := range entries {
		fmt.Fprintf(&b, "__CURSOR=c%d\n__REALTIME_TIMESTAMP=%d\n", i+1, 1764626400000000+int64(i+1)*1000)
		writeFields(&b, e)
	}
	return b.Bytes()
}
