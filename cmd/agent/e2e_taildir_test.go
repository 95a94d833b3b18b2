package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/flumego/flumego/internal/kafkatest"
)

// The taildir source's file selection, metadata and container formats end to end.

const daemonSetManifest = "kubernetes/daemonset.yaml"

func TestTaildirECSHeaders(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)
	log := filepath.Join(logs, "app.log")
	os.WriteFile(log, []byte("started\nboom\n  at a.b(C.java:1)\n"), 0o644)
	before := time.Now().UnixMilli()
	p := startAgent(t, example("taildir-ecs-logger.hcl"), map[string]string{
		"FLUMEGO_TAIL_PATH":     filepath.Join(logs, "*.log"),
		"FLUMEGO_POSITION_FILE": filepath.Join(dir, "taildir.json"),
	})
	// The logger prints headers sorted by key; the stack trace is one event, delivered after
	// the multiline timeout.
	want := []*regexp.Regexp{
		regexp.MustCompile(`headers:\{log\.file\.path=` + regexp.QuoteMeta(log) + `, log\.offset=0, timestamp=(\d+)\}`),
		regexp.MustCompile(`headers:\{log\.file\.path=` + regexp.QuoteMeta(log) + `, log\.flags=multiline, log\.offset=8, timestamp=(\d+)\}`),
	}
	waitFor(t, 20*time.Second, "both events with their headers", func() bool {
		for _, re := range want {
			if !re.MatchString(p.out.String()) {
				return false
			}
		}
		return true
	})
	after := time.Now().UnixMilli()
	for _, re := range want {
		ts, _ := strconv.ParseInt(re.FindStringSubmatch(p.out.String())[1], 10, 64)
		if ts < before || ts > after {
			t.Errorf("timestamp %d is not the read time (between %d and %d)", ts, before, after)
		}
	}
	if n := strings.Count(p.out.String(), "headers:{"); n != 2 {
		t.Errorf("%d events printed, want 2", n)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// container is one container of the node the container-log test fakes: kubelet's link in
// containers/, the file it leads to, and the names the agent should find.
type container struct {
	pod, namespace, name, id, uid string
	link                          string // containers/<pod>_<namespace>_<name>-<id>.log
	file                          string // the runtime's file
}

// newContainer lays out a container's log as kubelet does: /var/log/pods/<ns>_<pod>_<uid>/<name>/0.log,
// and a link to it in /var/log/containers. With docker, 0.log is itself a link to Docker's
// /var/lib/docker/containers/<id>/<id>-json.log.
func newContainer(t *testing.T, root, pod, namespace, name, uid string, docker bool) *container {
	t.Helper()
	c := &container{pod: pod, namespace: namespace, name: name, uid: uid,
		id: fmt.Sprintf("%064x", len(pod)*7919+len(name))}
	podLog := filepath.Join(root, "pods", namespace+"_"+pod+"_"+uid, name, "0.log")
	c.link = filepath.Join(root, "containers", pod+"_"+namespace+"_"+name+"-"+c.id+".log")
	for _, d := range []string{filepath.Dir(podLog), filepath.Dir(c.link)} {
		os.MkdirAll(d, 0o755)
	}
	c.file = podLog
	if docker {
		c.file = filepath.Join(root, "docker", c.id, c.id+"-json.log")
		os.MkdirAll(filepath.Dir(c.file), 0o755)
		os.WriteFile(c.file, nil, 0o644)
		if err := os.Symlink(c.file, podLog); err != nil {
			t.Fatal(err)
		}
	} else {
		os.WriteFile(c.file, nil, 0o644)
	}
	if err := os.Symlink(podLog, c.link); err != nil {
		t.Fatal(err)
	}
	return c
}

// streamOf is the stream line i goes to: even lines stdout, odd ones stderr.
func streamOf(i int) string { return [2]string{"stdout", "stderr"}[i%2] }

// criRecords writes a line as CRI records of at most chunk bytes each: P records, then F.
func criRecords(chunk int) func(b []byte, i int, line []byte) ([]byte, int) {
	return func(b []byte, i int, line []byte) ([]byte, int) {
		last := 0
		for len(line) > 0 {
			part := line[:min(chunk, len(line))]
			line = line[len(part):]
			tag := " P "
			if len(line) == 0 {
				tag = " F "
			}
			last = len(b)
			b = append(b, time.Now().UTC().Format(time.RFC3339Nano)...)
			b = append(b, ' ')
			b = append(b, streamOf(i)...)
			b = append(append(append(b, tag...), part...), '\n')
		}
		return b, last
	}
}

// dockerRecords writes a line as json-file records of at most chunk bytes of log each; only
// the last one's log ends with "\n".
func dockerRecords(chunk int) func(b []byte, i int, line []byte) ([]byte, int) {
	return func(b []byte, i int, line []byte) ([]byte, int) {
		last := 0
		for len(line) > 0 {
			part := string(line[:min(chunk, len(line))])
			line = line[len(part):]
			if len(line) == 0 {
				part += "\n"
			}
			last = len(b)
			b = fmt.Appendf(b, `{"log":%q,"stream":%q,"time":%q}`+"\n", part, streamOf(i), time.Now().UTC().Format(time.RFC3339Nano))
		}
		return b, last
	}
}

// TestTaildirContainerLogsOnANode runs the DaemonSet's own config on a fake node: a CRI and a
// Docker container log every line in 4-byte parts, both streams, each write ending inside a
// line; the CRI log is rotated by kubelet (rename and create), the Docker one by copytruncate,
// and the agent is killed (-9) while lines are half read. Every line arrives in Kafka whole,
// with its container's names and stream; a kill may repeat the batch in flight, nothing more.
func TestTaildirContainerLogsOnANode(t *testing.T) {
	b, err := os.ReadFile(example(daemonSetManifest))
	if err != nil {
		t.Fatal(err)
	}
	cfg := validateHCL(t, configMapFile(t, string(b), "flume.hcl"))
	cluster := kafkatest.Start(t, 1, kfake.SeedTopics(1, "k8s-logs"))
	dir := t.TempDir()
	root := filepath.Join(dir, "node")
	web := newContainer(t, root, "web-7d9f", "shop", "web", "1111-aaaa", false)
	api := newContainer(t, root, "api-5c", "shop", "api", "2222-bbbb", true)
	env := map[string]string{
		"FLUMEGO_CONTAINER_LOGS": filepath.Join(root, "containers", "*.log"),
		"FLUMEGO_POSITION_FILE":  filepath.Join(dir, "state", "taildir.json"),
		"FLUMEGO_CHANNEL_DIR":    filepath.Join(dir, "state", "channel"),
		"FLUMEGO_MIN_SPACE":      "0",
		"KAFKA_BROKERS":          cluster.ListenAddrs()[0],
		"NODE_NAME":              "node-1",
	}
	cw, dw := newLogWriter(t, web.file, "web-"), newLogWriter(t, api.file, "api-")
	cw.encode, dw.encode = criRecords(4), dockerRecords(4)
	cw.holdLast, dw.holdLast = true, true
	both := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
			cw.write(5)
			dw.write(5)
			time.Sleep(time.Millisecond)
		}
	}
	p := startAgent(t, cfg, env)
	both(300 * time.Millisecond)

	// kubelet rotates the CRI log: rename, create; the runtime goes on in the new file, with
	// the end of the line it was writing.
	os.Rename(web.file, web.file+".20261201-100000")
	cw.reopen()
	// The Docker log is copied and truncated once the agent has read it: a truncation destroys
	// what was not read yet, as for any tailer.
	waitFor(t, 30*time.Second, "the agent to catch up", func() bool {
		return kafkatest.Count(t, cluster, "k8s-logs") >= int64(cw.next+dw.next-2) // each writer holds its last line
	})
	data, _ := os.ReadFile(api.file)
	os.WriteFile(api.file+".1", data, 0o644)
	os.Truncate(api.file, 0)
	both(300 * time.Millisecond)

	// kill -9 while lines are half read, then a restart.
	for k := 0; k < 3; k++ {
		go both(100 * time.Millisecond)
		time.Sleep(time.Duration(50+rand.IntN(100)) * time.Millisecond)
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		p = startAgent(t, cfg, env)
	}
	both(200 * time.Millisecond)
	cw.finish()
	dw.finish()

	want := append(cw.lines(), dw.lines()...)
	recs := readAll(t, cluster.ListenAddrs(), "k8s-logs", want, 90*time.Second)
	p.stop(t, syscall.SIGTERM)
	got := recordValues(recs)
	dups := duplicates(t, want, got) // fails on a missing or a half line
	if bound := 3 * (500 + 1000); dups > bound {
		t.Errorf("%d duplicates after 3 kills, more than the in-flight bound %d", dups, bound)
	}
	for _, r := range recs {
		h := map[string]string{}
		for _, kv := range r.Headers {
			h[kv.Key] = string(kv.Value)
		}
		c := web
		if strings.HasPrefix(string(r.Value), "api-") {
			c = api
		}
		i, _ := strconv.Atoi(string(r.Value[len(c.name)+1:]))
		wantH := map[string]string{"k8s.pod.name": c.pod, "k8s.namespace.name": c.namespace, "k8s.container.name": c.name,
			"container.id": c.id, "k8s.pod.uid": c.uid, "stream": streamOf(i), "log.file.path": c.link, "node": "node-1"}
		for k, v := range wantH {
			if h[k] != v {
				t.Fatalf("record %q: header %s = %q, want %q (headers %v)", r.Value, k, h[k], v, h)
			}
		}
		if ts, err := strconv.ParseInt(h["timestamp"], 10, 64); err != nil || time.Since(time.UnixMilli(ts)) > time.Minute {
			t.Fatalf("record %q: timestamp %q is not the runtime's", r.Value, h["timestamp"])
		}
	}
	t.Logf("%d lines in %d-byte parts through a rename, a copytruncate and 3 kills: all whole, %d duplicates", len(want), 4, dups)
}

// TestTaildirFileSelectionAndEncoding: "**" at several depths, exclude by name, ignore_older
// and a UTF-16LE file, through examples/taildir-selection.hcl.
func TestTaildirFileSelectionAndEncoding(t *testing.T) {
	dir := t.TempDir()
	apps, legacy, out := filepath.Join(dir, "apps"), filepath.Join(dir, "legacy"), filepath.Join(dir, "out")
	write := func(path string, lines ...string) {
		os.MkdirAll(filepath.Dir(path), 0o755)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString(strings.Join(lines, "\n") + "\n")
	}
	write(filepath.Join(apps, "top.log"), "top 1")
	write(filepath.Join(apps, "a", "b", "c", "deep.log"), "deep 1")
	write(filepath.Join(apps, "a", "deep.log.1"), "rotated, excluded")
	write(filepath.Join(apps, "a", "deep.log.2.gz"), "compressed, excluded")
	old := filepath.Join(apps, "a", "old.log")
	write(old, "old, ignored")
	twoDays := time.Now().Add(-48 * time.Hour)
	os.Chtimes(old, twoDays, twoDays)
	// UTF-16LE with a byte order mark; "é" and "€", and U+0A0A whose halves are both 0x0A.
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range "caf\u00e9 \u20ac\r\n\u0a0a ok\n" {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	os.MkdirAll(legacy, 0o755)
	os.WriteFile(filepath.Join(legacy, "app.log"), utf16, 0o644)

	p := startAgent(t, example("taildir-selection.hcl"), map[string]string{
		"FLUMEGO_TAIL_PATH":     filepath.Join(apps, "**", "*.log*"),
		"FLUMEGO_LEGACY_PATH":   filepath.Join(legacy, "*.log"),
		"FLUMEGO_POSITION_FILE": filepath.Join(dir, "taildir.json"),
		"FLUMEGO_OUT":           out,
	})
	want := []string{"top 1", "deep 1", "caf\u00e9 \u20ac", "\u0a0a ok"}
	waitFor(t, 20*time.Second, "the first lines", func() bool { return countLines(t, out) >= len(want) })
	// New directories at any depth, and the ignored file written again (read from where it was
	// when ignored).
	write(filepath.Join(apps, "x", "y", "z", "w", "new.log"), "new deep")
	write(old, "old, written again")
	want = append(want, "new deep", "old, written again")
	waitFor(t, 20*time.Second, "the later lines", func() bool { return countLines(t, out) >= len(want) })
	time.Sleep(200 * time.Millisecond) // an excluded or duplicated line would show up now
	p.stop(t, syscall.SIGTERM)
	assertExactlyOnce(t, want, dirLines(t, out))
}

// TestTaildirReplacedFileWithTheSameBanner: while the agent is down a file is deleted and
// another takes its inode, starting with the same banner (its first KiB identical). The new
// file is read from its start.
func TestTaildirReplacedFileWithTheSameBanner(t *testing.T) {
	dir := t.TempDir()
	env := taildirEnv(dir, nil)
	out := filepath.Join(dir, "out")
	log := filepath.Join(dir, "logs", "app.log")
	banner := strings.Repeat("# checkout service log, format 3, fields: time level msg\n", 24) // 1,368 bytes
	os.WriteFile(log, []byte(banner), 0o644)
	w := newLogWriter(t, log, "old")
	w.write(5000)
	bannerLines := strings.Split(strings.TrimSuffix(banner, "\n"), "\n")
	p := startAgent(t, example("taildir-file.hcl"), env)
	waitFor(t, 30*time.Second, "the old file delivered", func() bool { return countLines(t, out) >= 5000+len(bannerLines) })
	p.stop(t, syscall.SIGTERM)
	w.close()

	ino := inodeOf(t, log)
	os.Remove(log)
	reused := createWithInode(t, log, ino)
	os.WriteFile(log, []byte(banner), 0o644)
	nw := newLogWriter(t, log, "new")
	nw.write(5000)
	nw.close()
	p = startAgent(t, example("taildir-file.hcl"), env)
	total := 2 * (5000 + len(bannerLines))
	waitFor(t, 30*time.Second, "the new file delivered", func() bool { return countLines(t, out) >= total })
	time.Sleep(200 * time.Millisecond)
	p.stop(t, syscall.SIGTERM)
	got := dirLines(t, out)
	assertExactlyOnce(t, append(w.lines(), nw.lines()...), slices.DeleteFunc(got, func(l string) bool { return strings.HasPrefix(l, "#") }))
	if !reused {
		t.Log("the file system did not recycle the inode; the case ran as a plain new file")
	}
}

// TestDaemonSetManifest checks what can be checked without a cluster: the config is valid and
// every path it uses is mounted, the logs read-only, the state on a hostPath; no API access;
// every node; resources bounded.
func TestDaemonSetManifest(t *testing.T) {
	b, err := os.ReadFile(example(daemonSetManifest))
	if err != nil {
		t.Fatal(err)
	}
	manifest := string(b)
	hcl := configMapFile(t, manifest, "flume.hcl")
	validateHCL(t, hcl)
	assertPathsMounted(t, manifest, hcl)
	for _, mount := range []string{"/var/log/containers", "/var/log/pods", "/var/lib/docker/containers"} {
		if !regexp.MustCompile(`mountPath: ` + regexp.QuoteMeta(mount) + `\s+readOnly: true`).MatchString(manifest) {
			t.Errorf("%s is not mounted read-only at its own path (kubelet's links must resolve)", mount)
		}
		if !strings.Contains(manifest, "path: "+mount+"\n") {
			t.Errorf("%s is not a hostPath", mount)
		}
	}
	for _, want := range []string{"kind: DaemonSet", "automountServiceAccountToken: false", "tolerations:\n        - operator: Exists",
		"path: /var/lib/flumego\n", "requests:", "limits:", `format              = "auto"`, "kubernetes_metadata = true"} {
		if !strings.Contains(manifest, want) {
			t.Errorf("the manifest lacks %q", want)
		}
	}
	if strings.Contains(manifest, "serviceAccountName") {
		t.Error("the node agent needs no ServiceAccount")
	}
}
