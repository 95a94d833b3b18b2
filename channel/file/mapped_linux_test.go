package file

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBacklogReadLeavesNoMappedPages reads a backlog of about 16MiB back from disk (the cache
// off) and checks the pages of the database that stay resident in the process are few: the
// reads and the committer dropped them, and so did open after bbolt's walk of every page.
func TestBacklogReadLeavesNoMappedPages(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Capacity = 100_000
	cfg.tune.cacheBytes = -1
	ch := open(t, cfg)
	fillBench(t, ch, 80_000) // 200-byte events
	ch = reopen(t, ch)
	path := filepath.Join(cfg.Dir, DBFile)
	if rss := mappedRSS(t, path); rss > 4<<20 {
		t.Errorf("after open, %d KiB of %s resident; want it dropped", rss>>10, path)
	}
	if n := drainBench(t, ch); n != 80_000 {
		t.Fatalf("drained %d events, want 80000", n)
	}
	// Reads drop their pages at once, the committer within dropEvery.
	eventually(t, 5*time.Second, "the pages read back dropped", func() bool { return mappedRSS(t, path) < 4<<20 })
}

// mappedRSS is the resident size of the process's mappings of path, from /proc/self/smaps.
func mappedRSS(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	var rss int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-"):
			in = len(fields) >= 6 && fields[len(fields)-1] == path
		case in && len(fields) == 3 && fields[0] == "Rss:":
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			rss += kb << 10
		}
	}
	return rss
}
