package taildir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/exampletest"
	"github.com/flumego/flumego/source/taildir"
)

func TestDoubleStarMatchesAnyDepth(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir, "**/*.log")
	for _, d := range []string{"", "a", "a/b", "a/b/c/d"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
		appendLines(t, filepath.Join(dir, d, "x.log"), []string{"at /" + d})
	}
	appendLines(t, filepath.Join(dir, "a", "x.txt"), []string{"not a log"})
	r := run(t, c)
	waitLines(t, r, 4)
	// A directory created later, several levels deep, is found too.
	os.MkdirAll(filepath.Join(dir, "e", "f", "g"), 0o755)
	appendLines(t, filepath.Join(dir, "e", "f", "g", "y.log"), []string{"at /e/f/g"})
	waitLines(t, r, 5)
	time.Sleep(50 * time.Millisecond)
	r.stop()
	exactlyOnce(t, []string{"at /", "at /a", "at /a/b", "at /a/b/c/d", "at /e/f/g"}, r.rec.Bodies())
}

func TestValidateRejectsWhatTheMatcherCannotDo(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/var/log/a**/*.log", "whole path segment"},
		{"/var/log/**", "last segment"},
		{"/var/log/[.log", "bad pattern"},
	} {
		c := taildir.Defaults()
		c.FileGroups = []taildir.FileGroup{{Name: "g", Path: tc.path}}
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "filegroup.g.path:") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %q", tc.path, err, tc.want)
		}
	}
	c := taildir.Defaults()
	c.FileGroups = []taildir.FileGroup{{Name: "g", Path: "/var/log/*", Exclude: []string{"[", "logs/*.gz"},
		IgnoreOlder: -time.Second, Encoding: "klingon", Format: "journal"}}
	err := c.Validate()
	for _, attr := range []string{"exclude", "ignore_older", "encoding", "format"} {
		if err == nil || !strings.Contains(err.Error(), "filegroup.g."+attr+":") {
			t.Errorf("no error about %s in %v", attr, err)
		}
	}
}

func TestExcludeByNameAndByPath(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir, "**/*.log*")
	c.FileGroups[0].Exclude = []string{"*.gz", filepath.Join(dir, "skip", "**", "*")}
	os.MkdirAll(filepath.Join(dir, "skip", "deep"), 0o755)
	appendLines(t, filepath.Join(dir, "app.log"), []string{"kept"})
	appendLines(t, filepath.Join(dir, "app.log.1.gz"), []string{"compressed"})
	appendLines(t, filepath.Join(dir, "skip", "deep", "other.log"), []string{"excluded by path"})
	r := run(t, c)
	waitLines(t, r, 1)
	time.Sleep(100 * time.Millisecond)
	r.stop()
	sameLines(t, []string{"kept"}, r.rec.Bodies())
}

func TestIgnoreOlder(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir, "*.log")
	c.FileGroups[0].IgnoreOlder = time.Hour
	old, fresh := filepath.Join(dir, "old.log"), filepath.Join(dir, "fresh.log")
	appendLines(t, old, []string{"old 1", "old 2"})
	appendLines(t, fresh, []string{"fresh"})
	yesterday := time.Now().Add(-24 * time.Hour)
	os.Chtimes(old, yesterday, yesterday)
	r := run(t, c)
	waitLines(t, r, 1)
	waitFor(t, "the old file to be counted as ignored", func() bool { return r.counter("FileIgnoredCount") == 1 })
	if n := r.counter("OpenFileCount"); n != 1 {
		t.Errorf("%d files open, want only the fresh one", n)
	}
	// Written again, the old file is read from where it was when ignored.
	appendLines(t, old, []string{"old 3"})
	waitLines(t, r, 2)
	time.Sleep(50 * time.Millisecond)
	r.stop()
	exactlyOnce(t, []string{"fresh", "old 3"}, r.rec.Bodies())
}

func TestSymbolicLinksAreKnownByTheirTarget(t *testing.T) {
	dir := t.TempDir()
	pods := filepath.Join(dir, "pods", "ns_web-1_0a1b", "nginx")
	links := filepath.Join(dir, "containers")
	os.MkdirAll(pods, 0o755)
	os.MkdirAll(links, 0o755)
	target := filepath.Join(pods, "0.log")
	appendLines(t, target, []string{"one"})
	link := filepath.Join(links, "web-1_ns_nginx-"+strings.Repeat("ab", 32)+".log")
	os.Symlink(target, link)
	c := testConfig(dir, "containers/*.log")
	c.FileGroups = append(c.FileGroups, taildir.FileGroup{Name: "pods", Path: filepath.Join(dir, "pods", "*", "*", "*.log")})
	c.FileGroups[0].KubernetesMetadata = true
	c.PollInterval = time.Hour // writes to the target must be noticed through its own directory
	r := run(t, c)
	waitLines(t, r, 1)
	appendLines(t, target, []string{"two"})
	waitLines(t, r, 2)
	time.Sleep(50 * time.Millisecond)
	r.stop()
	sameLines(t, []string{"one", "two"}, r.rec.Bodies())
	h := r.rec.Events()[0].Headers
	want := map[string]string{"k8s.pod.name": "web-1", "k8s.namespace.name": "ns", "k8s.container.name": "nginx",
		"container.id": strings.Repeat("ab", 32), "k8s.pod.uid": "0a1b"}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("header %s = %q, want %q (headers %v)", k, h[k], v, h)
		}
	}
}

func TestValidateNamesTheAttributesPosition(t *testing.T) {
	_, got := exampletest.DecodeSnippet(t, taildir.NewFactory(), `source "taildir" "r1"`, `position_file = "/tmp/p.json"
filegroup "g" {
  path     = "/var/log/**x/*.log"
  exclude  = ["/var/log/**"]
  encoding = "utf-16"
  format   = "journal"
}
`)
	exampletest.MatchDiagnostics(t, got, []string{
		`3: filegroup.g.path: bad glob "/var/log/**x/*.log": "**" must be a whole path segment`,
		`4: filegroup.g.exclude: bad exclude pattern "/var/log/**": "**" cannot be the last segment`,
		`5: filegroup.g.encoding: say the byte order`,
		`6: filegroup.g.format: must be "cri", "docker" or "auto"`,
	})
}

func TestIgnoreOlderKeepsASavedPosition(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir, "*.log")
	c.FileGroups[0].IgnoreOlder = time.Hour
	log := filepath.Join(dir, "app.log")
	appendLines(t, log, []string{"a"})
	r := run(t, c)
	waitLines(t, r, 1)
	r.stop()
	// Written while the agent is down, then left alone for a day.
	appendLines(t, log, []string{"b"})
	yesterday := time.Now().Add(-24 * time.Hour)
	os.Chtimes(log, yesterday, yesterday)
	r2 := run(t, c)
	waitFor(t, "the old file to be looked at", func() bool { return len(readPositionFile(t, c.PositionFile)) == 1 })
	time.Sleep(100 * time.Millisecond)
	if n, open := r2.rec.Count(), r2.counter("OpenFileCount"); n != 0 || open != 0 {
		t.Fatalf("%d events, %d files open for a file older than ignore_older", n, open)
	}
	appendLines(t, log, []string{"c"})
	waitLines(t, r2, 2)
	time.Sleep(50 * time.Millisecond)
	r2.stop()
	// Read from its saved position: nothing after it is skipped.
	sameLines(t, []string{"b", "c"}, r2.rec.Bodies())
}
