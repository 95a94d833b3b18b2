package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flumego/flumego/channel"
)

// The crash test runs this test binary again as a child (crashChild) that puts and takes on a
// channel in a dir, and kills it with SIGKILL at random moments. The child writes down what it
// may claim: "acked.log" gets a line "lo hi" after each put commit of ids lo..hi-1 returned,
// and "delivered.log" gets the ids of each take before it commits, as a sink delivers before
// committing. After the last kill the parent drains the channel and checks that every acked id
// was delivered at least once. Duplicates are ids delivered before a kill whose take did not
// commit; they are counted and bounded, never an error.
const (
	crashChildEnv = "FLUMEGO_FILE_CHANNEL_CRASH_CHILD" // the dir; set only in the child
	crashRunEnv   = "FLUMEGO_FILE_CHANNEL_CRASH_RUN"   // the run number, for unique ids
	crashFsyncEnv = "FLUMEGO_FILE_CHANNEL_CRASH_FSYNC"
	crashPutters  = 3
	crashBatch    = 200
)

func TestCrashNothingAcknowledgedIsLost(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes for several seconds")
	}
	for _, fsync := range []Fsync{FsyncCommit, FsyncInterval} {
		t.Run("fsync="+string(fsync), func(t *testing.T) {
			dir := t.TempDir()
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
			const kills = 8
			for run := range kills {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, crashRunEnv+"="+strconv.Itoa(run),
					crashFsyncEnv+"="+string(fsync))
				var stderr strings.Builder
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
				_ = cmd.Process.Signal(syscall.SIGKILL)
				err := cmd.Wait()
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("run %d: the child ended by itself (%v) before the kill:\n%s", run, err, stderr.String())
				}
			}

			acked := readAcked(t, filepath.Join(dir, "acked.log"))
			delivered := readDelivered(t, filepath.Join(dir, "delivered.log"))
			cfg := crashConfig(dir, fsync)
			ch := open(t, cfg)
			for {
				tx := ch.BeginTake()
				got, err := tx.Take(1000)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range got {
					id, err := strconv.Atoi(string(e.Body[:strings.IndexByte(string(e.Body), ' ')]))
					if err != nil {
						t.Fatalf("event %q: %v", e.Body, err)
					}
					delivered[id]++
				}
				if err := tx.Commit(context.Background()); err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 {
					break
				}
			}
			var lost []int
			dups := 0
			for id := range acked {
				switch n := delivered[id]; {
				case n == 0:
					lost = append(lost, id)
				case n > 1:
					dups += n - 1
				}
			}
			t.Logf("%d kills: %d events acknowledged, %d distinct delivered, %d duplicates (taken, not committed at a kill)",
				kills, len(acked), len(delivered), dups)
			if len(acked) == 0 {
				t.Fatal("no put was acknowledged: the child did not get going before the kills")
			}
			if len(lost) > 0 {
				t.Fatalf("%d acknowledged events lost, such as %v", len(lost), lost[:min(10, len(lost))])
			}
			// One take in flight per kill can come twice; each holds at most a batch.
			if dups > kills*crashBatch {
				t.Errorf("%d duplicates after %d kills, more than one batch of %d per kill", dups, kills, crashBatch)
			}
		})
	}
}

func crashConfig(dir string, fsync Fsync) *Config {
	cfg := testConfig(dir)
	cfg.Capacity, cfg.TxCapacity, cfg.KeepAlive = 20_000, crashBatch, 50*time.Millisecond
	cfg.Fsync, cfg.FsyncInterval = fsync, 20*time.Millisecond
	cfg.tune.cacheBytes = 256 << 10
	return cfg
}

func readAcked(t *testing.T, path string) map[int]bool {
	t.Helper()
	out := map[int]bool{}
	eachLine(t, path, func(f []string) {
		lo, err1 := strconv.Atoi(f[0])
		hi, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			t.Fatalf("acked.log: bad line %q", f)
		}
		for id := lo; id < hi; id++ {
			out[id] = true
		}
	})
	return out
}

func readDelivered(t *testing.T, path string) map[int]int {
	t.Helper()
	out := map[int]int{}
	eachLine(t, path, func(f []string) {
		for _, s := range f {
			id, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("delivered.log: bad id %q", s)
			}
			out[id]++
		}
	})
	return out
}

// eachLine calls fn with the fields of each complete line; a line a kill cut short is skipped.
func eachLine(t *testing.T, path string, fn func([]string)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	s := string(b)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	} else {
		s = ""
	}
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 0 {
			fn(f)
		}
	}
}

// crashChild is the child's main: it puts and takes until it is killed, writing down what it
// may claim. It returns an exit code only on failure or after a safety timeout.
func crashChild() int {
	dir := os.Getenv(crashChildEnv)
	run, _ := strconv.Atoi(os.Getenv(crashRunEnv))
	ch, err := New(crashConfig(dir, Fsync(os.Getenv(crashFsyncEnv))), channel.Settings{Name: "crash"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	flags := os.O_CREATE | os.O_APPEND | os.O_WRONLY
	acked, err1 := os.OpenFile(filepath.Join(dir, "acked.log"), flags, 0o600)
	delivered, err2 := os.OpenFile(filepath.Join(dir, "delivered.log"), flags, 0o600)
	if err := errors.Join(err1, err2); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	fail := make(chan error, crashPutters+1)
	var ackMu sync.Mutex
	for p := range crashPutters {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(run), uint64(p)))
			next := run*100_000_000 + p*10_000_000
			for {
				n := 1 + rng.IntN(crashBatch)
				batch := make([]channel.Event, n)
				for i := range batch {
					batch[i] = channel.Event{Body: fmt.Appendf(nil, "%d %s", next+i, strings.Repeat("x", rng.IntN(400)))}
				}
				for {
					err := channel.PutBatch(ctx, ch, batch)
					if err == nil {
						break
					}
					if !errors.Is(err, channel.ErrFull) {
						fail <- err
						return
					}
				}
				ackMu.Lock()
				_, err := fmt.Fprintf(acked, "%d %d\n", next, next+n)
				ackMu.Unlock()
				if err != nil {
					fail <- err
					return
				}
				next += n
			}
		}()
	}
	go func() {
		rng := rand.New(rand.NewPCG(uint64(run), 99))
		var line []byte
		for {
			tx := ch.BeginTake()
			got, err := tx.Take(1 + rng.IntN(crashBatch))
			if err != nil {
				fail <- err
				return
			}
			if len(got) == 0 || rng.IntN(10) == 0 {
				tx.Rollback()
				time.Sleep(time.Millisecond)
				continue
			}
			line = line[:0]
			for _, e := range got {
				line = append(line, e.Body[:strings.IndexByte(string(e.Body), ' ')+1]...)
			}
			line = append(line, '\n')
			if _, err := delivered.Write(line); err != nil {
				fail <- err
				return
			}
			if err := tx.Commit(ctx); err != nil {
				fail <- err
				return
			}
			time.Sleep(time.Duration(rng.IntN(2)) * time.Millisecond) // a sink slower than the putters
		}
	}()
	select {
	case err := <-fail:
		fmt.Fprintln(os.Stderr, err)
		return 1
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "not killed within 30s")
		return 3
	}
}
