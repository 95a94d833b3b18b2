package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/metrics"
)

// body is event id's body: "<id>" repeated, up to a few KiB, so that puts span several
// records and records end in the middle of takes.
func body(id int) []byte {
	return bytes.Repeat([]byte("<"+strconv.Itoa(id)+">"), 1+(id*7919)%600)
}

// headers are event id's headers: none for even ids.
func headers(id int) map[string]string {
	if id%2 == 0 {
		return nil
	}
	return map[string]string{"id": strconv.Itoa(id), "host": "web-" + strconv.Itoa(id%3)}
}

func event(id int) channel.Event { return channel.Event{Headers: headers(id), Body: body(id)} }

func events(from, to int) []channel.Event {
	out := make([]channel.Event, 0, to-from)
	for id := from; id < to; id++ {
		out = append(out, event(id))
	}
	return out
}

// idOf checks that e is an event made by event and returns its id.
func idOf(t *testing.T, e channel.Event) int {
	t.Helper()
	end := bytes.IndexByte(e.Body, '>')
	if len(e.Body) == 0 || e.Body[0] != '<' || end < 0 {
		t.Fatalf("event with body %.40q was not put by this test", e.Body)
	}
	id, err := strconv.Atoi(string(e.Body[1:end]))
	if err != nil {
		t.Fatalf("event with body %.40q: %v", e.Body, err)
	}
	if !bytes.Equal(e.Body, body(id)) || !maps.Equal(e.Headers, headers(id)) {
		t.Fatalf("event %d came back damaged: headers %v, body %d bytes (want %d)", id, e.Headers, len(e.Body), len(body(id)))
	}
	return id
}

func ids(t *testing.T, evs []channel.Event) []int {
	t.Helper()
	out := make([]int, len(evs))
	for i, e := range evs {
		out[i] = idOf(t, e)
	}
	return out
}

func seq(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func open(t *testing.T, cfg *Config) *fileChannel {
	t.Helper()
	ch, err := New(cfg, testSettings(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = ch.Close(context.Background()) })
	return ch.(*fileChannel)
}

func reopen(t *testing.T, ch *fileChannel) *fileChannel {
	t.Helper()
	if err := ch.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	cfg := ch.cfg
	return open(t, &cfg)
}

func put(t *testing.T, ch channel.Channel, evs ...channel.Event) {
	t.Helper()
	if err := channel.PutBatch(context.Background(), ch, evs); err != nil {
		t.Fatalf("put of %d events: %v", len(evs), err)
	}
}

func take(t *testing.T, tx channel.TakeTx, max int) []int {
	t.Helper()
	got, err := tx.Take(max)
	if err != nil {
		t.Fatalf("Take(%d): %v", max, err)
	}
	return ids(t, got)
}

func drain(t *testing.T, ch channel.Channel) []int {
	t.Helper()
	var out []int
	for {
		tx := ch.BeginTake()
		got := take(t, tx, 1000)
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatalf("take commit: %v", err)
		}
		if len(got) == 0 {
			return out
		}
		out = append(out, got...)
	}
}

func expectIDs(t *testing.T, what string, got, want []int) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %v\n want %v", what, short(got), short(want))
	}
}

func short(s []int) string {
	if len(s) <= 40 {
		return fmt.Sprint(s)
	}
	return fmt.Sprintf("%v ... %v (%d)", s[:20], s[len(s)-20:], len(s))
}

func TestDurableAcrossReopen(t *testing.T) {
	ctx := context.Background()
	ch := open(t, testConfig(t.TempDir()))
	put(t, ch, events(0, 300)...) // several records
	put(t, ch, events(300, 310)...)

	// Commit a take that ends inside a record, leave two takes in flight, roll one back.
	tx := ch.BeginTake()
	expectIDs(t, "committed take", take(t, tx, 150), seq(0, 150))
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	a, b, c := ch.BeginTake(), ch.BeginTake(), ch.BeginTake()
	expectIDs(t, "take A", take(t, a, 20), seq(150, 170))
	expectIDs(t, "take B", take(t, b, 20), seq(170, 190))
	expectIDs(t, "take C", take(t, c, 5), seq(190, 195))
	c.Rollback()
	uncommitted := ch.BeginPut()
	if err := uncommitted.Put(events(1000, 1010)...); err != nil {
		t.Fatal(err)
	}

	ch = reopen(t, ch)
	a.Rollback()                // the old instance's transactions are dead ...
	_ = b.Commit(ctx)           // ... and must not touch the new one
	_ = uncommitted.Commit(ctx) // nor put into it
	put(t, ch, events(310, 320)...)
	tx = ch.BeginTake()
	expectIDs(t, "first take after the restart", take(t, tx, 10), seq(150, 160))
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	ch = reopen(t, ch)
	expectIDs(t, "everything after a second restart", drain(t, ch), seq(160, 320))
	ch = reopen(t, ch)
	expectIDs(t, "after the drain", drain(t, ch), nil)
}

// TestRandomOperationsMatchAModel runs random puts, takes, commits, rollbacks and restarts
// against a model of what the channel must hold, with the cache on, off and too small for most
// puts.
func TestRandomOperationsMatchAModel(t *testing.T) {
	variants := []struct {
		name  string
		cache int64
	}{{"cache", 0}, {"no cache", -1}, {"small cache", 64 << 10}}
	for i, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(42, uint64(i)))
			cfg := testConfig(t.TempDir())
			cfg.TxCapacity = 300
			cfg.tune.cacheBytes = v.cache
			ch := open(t, cfg)
			ctx := context.Background()

			var stored []int // committed and not taken for good, in put order
			inflight := map[int]bool{}
			type takeState struct {
				tx  channel.TakeTx
				ids []int
			}
			var takes []*takeState
			nextID := 0
			available := func() []int {
				var out []int
				for _, id := range stored {
					if !inflight[id] {
						out = append(out, id)
					}
				}
				return out
			}
			end := func(i int) *takeState {
				ts := takes[i]
				takes = slices.Delete(takes, i, i+1)
				for _, id := range ts.ids {
					delete(inflight, id)
				}
				return ts
			}
			for step := range 600 {
				switch r := rng.IntN(100); {
				case r < 30:
					n := 1 + rng.IntN(150)
					put(t, ch, events(nextID, nextID+n)...)
					stored = append(stored, seq(nextID, nextID+n)...)
					nextID += n
				case r < 35:
					tx := ch.BeginPut()
					if err := tx.Put(events(nextID, nextID+5)...); err != nil {
						t.Fatal(err)
					}
					tx.Rollback()
					nextID += 5
				case r < 65:
					var ts *takeState
					if len(takes) > 0 && rng.IntN(2) == 0 {
						ts = takes[rng.IntN(len(takes))]
					} else {
						ts = &takeState{tx: ch.BeginTake()}
						takes = append(takes, ts)
					}
					k := 1 + rng.IntN(200)
					want := available()
					want = want[:min(k, len(want), cfg.TxCapacity-len(ts.ids))]
					got, err := ts.tx.Take(k)
					if len(ts.ids) == cfg.TxCapacity {
						if !errors.Is(err, channel.ErrTxFull) {
							t.Fatalf("step %d: Take on a full transaction: %v", step, err)
						}
						continue
					}
					if err != nil {
						t.Fatalf("step %d: Take(%d): %v", step, k, err)
					}
					expectIDs(t, fmt.Sprintf("step %d: Take(%d)", step, k), ids(t, got), want)
					ts.ids = append(ts.ids, want...)
					for _, id := range want {
						inflight[id] = true
					}
				case r < 80 && len(takes) > 0:
					ts := end(rng.IntN(len(takes)))
					if err := ts.tx.Commit(ctx); err != nil {
						t.Fatalf("step %d: take commit: %v", step, err)
					}
					stored = slices.DeleteFunc(stored, func(id int) bool { return slices.Contains(ts.ids, id) })
				case r < 92 && len(takes) > 0:
					end(rng.IntN(len(takes))).tx.Rollback()
				case r >= 95:
					ch = reopen(t, ch)
					takes, inflight = nil, map[int]bool{}
				}
			}
			for len(takes) > 0 {
				end(0).tx.Rollback()
			}
			ch = reopen(t, ch)
			expectIDs(t, "drained at the end", drain(t, ch), stored)
		})
	}
}

func TestSecondOpenerFailsFast(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deep", "channel")
	open(t, testConfig(dir))
	start := time.Now()
	_, err := New(testConfig(dir), testSettings(t))
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second New on %s: got %v, want ErrLocked naming the dir", dir, err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("second New took %s to fail", waited)
	}
	t.Log(err)
}

func TestDamagedFileIsRefused(t *testing.T) {
	// A channel holding a few thousand events, closed cleanly.
	prepare := func(t *testing.T) (string, string) {
		dir := t.TempDir()
		ch := open(t, testConfig(dir))
		for i := 0; i < 3000; i += 100 {
			put(t, ch, events(i, i+100)...)
		}
		if err := ch.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		return dir, filepath.Join(dir, DBFile)
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"not a database", func(t *testing.T, path string) {
			writeFile(t, path, bytes.Repeat([]byte("flumego "), 4096))
		}},
		{"truncated to half", func(t *testing.T, path string) {
			st, _ := os.Stat(path)
			if err := os.Truncate(path, st.Size()/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated to one page", func(t *testing.T, path string) {
			if err := os.Truncate(path, 4096); err != nil {
				t.Fatal(err)
			}
		}},
		{"both meta pages zeroed", func(t *testing.T, path string) {
			overwrite(t, path, 0, make([]byte, 2*4096))
		}},
		{"a record overwritten", func(t *testing.T, path string) {
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error { return overwriteFirstRecord(tx, []byte{codecVersion, 5, 200, 1}) })
			if err2 := db.Close(); err == nil {
				err = err2
			}
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"the events tree's root page zeroed", func(t *testing.T, path string) {
			db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			var root, pageSize int64
			err = db.View(func(tx *bolt.Tx) error {
				root, pageSize = int64(tx.Bucket(eventsBucket).RootPage()), int64(tx.DB().Info().PageSize)
				return nil
			})
			db.Close()
			if err != nil || root == 0 {
				t.Fatalf("root page %d: %v", root, err)
			}
			overwrite(t, path, root*pageSize, make([]byte, pageSize))
		}},
		{"every page header scribbled", func(t *testing.T, path string) {
			st, _ := os.Stat(path)
			for off := int64(2 * 4096); off < st.Size(); off += 4096 {
				overwrite(t, path, off, bytes.Repeat([]byte{0x5A}, 16))
			}
		}},
		{"pages overwritten in the middle", func(t *testing.T, path string) {
			st, _ := os.Stat(path)
			overwrite(t, path, st.Size()/2&^4095, bytes.Repeat([]byte{0xA5}, 64<<10))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, path := prepare(t)
			tt.damage(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = New(testConfig(dir), testSettings(t))
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
				t.Fatalf("New on a damaged file: got %v, want ErrCorrupt naming %s", err, path)
			}
			t.Log(err)
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Errorf("New changed the damaged file")
			}
		})
	}
}

// overwriteFirstRecord replaces the first record of the first put with v.
func overwriteFirstRecord(tx *bolt.Tx, v []byte) error {
	k, _ := tx.Bucket(eventsBucket).Cursor().First()
	put := tx.Bucket(eventsBucket).Bucket(k)
	if put == nil {
		return fmt.Errorf("put %x is not a bucket", k)
	}
	rk, _ := put.Cursor().First()
	return put.Put(rk, v)
}

// TestFormat1IsRead opens a file written the way format 1 stores events (each put a record
// straight in bucket "events", one of them partly taken), takes from it, puts more, and checks
// a restart finds every event not taken, in order.
func TestFormat1IsRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DBFile)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err1 := tx.CreateBucket(metaBucket)
		evs, err2 := tx.CreateBucket(eventsBucket)
		acks, err3 := tx.CreateBucket(acksBucket)
		if err := errors.Join(err1, err2, err3); err != nil {
			return err
		}
		if err := errors.Join(meta.Put(formatKey, []byte(formatVersion1)), meta.Put(stateKey, []byte(stateClosed))); err != nil {
			return err
		}
		next := uint64(0)
		for _, from := range []int{0, 100, 250} {
			recs, counts := encodeRecords(events(from, from+100+from/5))
			for i, r := range recs {
				k := make([]byte, 8)
				putKey(k, next)
				if err := evs.Put(k, r); err != nil {
					return err
				}
				next += uint64(counts[i])
			}
		}
		// Events 0-9 of the first record were taken for good.
		k := make([]byte, 8)
		putKey(k, 0)
		if err := acks.Put(k, encodeAcks(0, []span{{0, 10}})); err != nil {
			return err
		}
		return evs.SetSequence(next)
	})
	if err2 := db.Close(); err == nil {
		err = err2
	}
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(seq(10, 100), seq(100, 220)...), seq(250, 400)...)

	ch := open(t, testConfig(dir))
	tx := ch.BeginTake()
	expectIDs(t, "first take from a file of format 1", take(t, tx, 50), want[:50])
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	put(t, ch, events(1000, 1010)...)
	ch = reopen(t, ch)
	expectIDs(t, "after a put and a restart", drain(t, ch), append(want[50:], seq(1000, 1010)...))
	ch = reopen(t, ch)
	expectIDs(t, "drained channel after a restart", drain(t, ch), nil)
}

// TestTakeCommitRidesOnTheNextPut commits a take while a putter is active and the taker has
// caught up: the take waits for the next put and both are written in one bbolt transaction.
// With the channel full, a take commit is written at once: the putter is waiting for its room.
func TestTakeCommitRidesOnTheNextPut(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t.TempDir())
	cfg.Capacity, cfg.TxCapacity = 200, 200
	cfg.tune.takeLinger = time.Minute // the put decides, not the clock
	ch := open(t, cfg)
	put(t, ch, events(0, 100)...)
	tx := ch.BeginTake()
	expectIDs(t, "taken", take(t, tx, 1000), seq(0, 100))
	before := ch.committer.groups
	done := make(chan error, 1)
	go func() { done <- tx.Commit(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("the take commit returned (%v) before any put came to share its transaction", err)
	case <-time.After(50 * time.Millisecond):
	}
	put(t, ch, events(100, 150)...)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := ch.committer.groups - before; n != 1 {
		t.Errorf("the take and the put took %d bbolt transactions, want 1", n)
	}

	// 50 + 150 fill the channel: the next put can only wait for the take's room.
	put(t, ch, events(150, 300)...)
	tx = ch.BeginTake()
	expectIDs(t, "taken from the full channel", take(t, tx, 100), seq(100, 200))
	commit := make(chan error, 1)
	go func() { commit <- tx.Commit(ctx) }()
	select {
	case err := <-commit:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a take commit from a full channel waited for a put")
	}
}

// TestReplacedDatabaseIsRefused empties, removes or replaces the database of a channel that held
// events while it is closed: each is refused with the file's path, and left as it is.
func TestReplacedDatabaseIsRefused(t *testing.T) {
	tests := []struct {
		name    string
		replace func(t *testing.T, path string)
		want    error
	}{
		{"truncated to zero", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, ErrCorrupt},
		{"removed", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, ErrCorrupt},
		{"another channel's", func(t *testing.T, path string) {
			other := t.TempDir()
			ch := open(t, testConfig(other))
			put(t, ch, events(100, 110)...)
			if err := ch.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(other, DBFile))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, b)
		}, ErrForeign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ch := open(t, testConfig(dir))
			put(t, ch, events(0, 10)...)
			if err := ch.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, DBFile)
			tt.replace(t, path)
			before, _ := os.ReadFile(path)
			_, err := New(testConfig(dir), testSettings(t))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), MarkerFile) {
				t.Fatalf("New: got %v, want %v naming %s and %s", err, tt.want, path, MarkerFile)
			}
			t.Log(err)
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Errorf("New changed %s (%d bytes, then %d)", path, len(before), len(after))
			}
			// Removing the marker is how an operator says "start empty" (or "adopt this file").
			if err := os.Remove(filepath.Join(dir, MarkerFile)); err != nil {
				t.Fatal(err)
			}
			ch = open(t, testConfig(dir))
			if tt.want == ErrForeign {
				expectIDs(t, "the adopted database's events", drain(t, ch), seq(100, 110))
			} else {
				expectIDs(t, "a channel started empty", drain(t, ch), nil)
			}
		})
	}
}

// TestMarkerIsWrittenForAnExistingDatabase opens a database from before markers: the marker is
// written, and a later emptied database is then refused.
func TestMarkerIsWrittenForAnExistingDatabase(t *testing.T) {
	dir := t.TempDir()
	ch := open(t, testConfig(dir))
	put(t, ch, events(0, 5)...)
	if err := ch.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, MarkerFile)
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	ch = open(t, testConfig(dir))
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("no marker after opening an existing database: %v", err)
	}
	expectIDs(t, "events", drain(t, ch), seq(0, 5))
	if err := ch.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, DBFile), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := New(testConfig(dir), testSettings(t)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("New on an emptied database: got %v, want ErrCorrupt", err)
	}
	writeFile(t, marker, nil)
	if _, err := New(testConfig(dir), testSettings(t)); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), marker) {
		t.Fatalf("New with an empty marker: got %v, want ErrCorrupt naming %s", err, marker)
	}
}

// TestSmallAndLargePutsReadBackFromDisk reads small puts (whose records bbolt may copy to the
// heap) and large ones back from disk, in the same takes, again and again: what the reads drop
// from the mapping must never touch the heap, and every event comes back whole.
func TestSmallAndLargePutsReadBackFromDisk(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.tune.cacheBytes = -1
	ch := open(t, cfg)
	var want []int
	for _, r := range [][2]int{{0, 1}, {1, 4}, {4, 1004}, {1004, 1005}, {1005, 1600}} {
		put(t, ch, events(r[0], r[1])...)
		want = append(want, seq(r[0], r[1])...)
	}
	for range 50 {
		tx := ch.BeginTake()
		expectIDs(t, "taken", take(t, tx, 2000), want)
		tx.Rollback()
		runtime.GC()
	}
	expectIDs(t, "drained", drain(t, ch), want)
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func overwrite(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// logRecorder keeps the messages logged at warn level and above.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *logRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Level.String()+" "+rec.Message)
	return nil
}
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

func (r *logRecorder) count(substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

func TestLowDiskSpace(t *testing.T) {
	ctx := context.Background()
	var free atomic.Int64
	free.Store(10 << 30)
	cfg := testConfig(t.TempDir())
	cfg.MinimumRequiredSpace = 1 << 30
	cfg.tune.freeSpace = func(string) (int64, error) { return free.Load(), nil }
	cfg.tune.spaceCheckEvery = time.Nanosecond // every put commit reads the free space
	logs := &logRecorder{}
	set := testSettings(t)
	set.Logger = slog.New(logs)
	chi, err := New(cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	ch := chi.(*fileChannel)
	defer ch.Close(ctx)
	m := set.Metrics
	unhealthy, putErrors := m.Component.Gauge("Unhealthy"), m.Component.Counter("EventPutErrorCount")

	put(t, ch, events(0, 10)...)

	free.Store(512 << 20) // below the minimum
	for range 3 {
		err := channel.PutBatch(ctx, ch, events(100, 105))
		if !errors.Is(err, ErrLowSpace) || !errors.Is(err, channel.ErrFull) {
			t.Fatalf("put with too little free space: got %v, want ErrLowSpace wrapping ErrFull", err)
		}
	}
	if got := logs.count("refusing puts"); got != 1 {
		t.Errorf("the refusal was logged %d times over three refused puts, want once", got)
	}
	if unhealthy.Load() != 1 || putErrors.Load() != 15 {
		t.Errorf("while refusing: Unhealthy %d, EventPutErrorCount %d; want 1 and 15", unhealthy.Load(), putErrors.Load())
	}
	// Takes go on, so the channel can drain.
	expectIDs(t, "drained while puts are refused", drain(t, ch), seq(0, 10))

	free.Store(2 << 30)
	put(t, ch, events(200, 205)...)
	if unhealthy.Load() != 0 || logs.count("accepting puts again") != 1 {
		t.Errorf("after space came back: Unhealthy %d, recovery logged %d times; want 0 and 1",
			unhealthy.Load(), logs.count("accepting puts again"))
	}
	expectIDs(t, "after recovery", drain(t, ch), seq(200, 205))
}

// TestMinimumAboveRealFreeSpace checks the real statfs path: a minimum above what the temp
// dir's disk has refuses every put.
func TestMinimumAboveRealFreeSpace(t *testing.T) {
	dir := t.TempDir()
	free, err := statfsFree(dir)
	if err != nil {
		t.Skipf("no free space check on this system: %v", err)
	}
	cfg := testConfig(dir)
	cfg.MinimumRequiredSpace = schema.Size(free + 1<<40)
	ch := open(t, cfg)
	err = channel.PutBatch(context.Background(), ch, events(0, 1))
	if !errors.Is(err, ErrLowSpace) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("put with minimum_required_space above the free %d bytes: got %v, want ErrLowSpace naming the dir", free, err)
	}
	expectIDs(t, "nothing stored", drain(t, ch), nil)
}

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t.TempDir())
	cfg.Capacity, cfg.TxCapacity, cfg.KeepAlive = 20, 20, 0
	set := testSettings(t)
	ch, err := New(cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	m := set.Metrics
	put(t, ch, events(0, 8)...)
	tx := ch.BeginPut()
	_ = tx.Put(events(8, 10)...)
	tx.Rollback()
	if err := channel.PutBatch(ctx, ch, events(10, 25)); !errors.Is(err, channel.ErrFull) {
		t.Fatalf("put beyond capacity: %v", err)
	}
	take1 := ch.BeginTake()
	take(t, take1, 3)
	if err := take1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	take2 := ch.BeginTake()
	take(t, take2, 10) // 5 left: takes 5
	if got := m.ChannelSize.Load(); got != 0 {
		t.Errorf("ChannelSize with 5 in flight and none waiting = %d, want 0", got)
	}
	take2.Rollback()
	if err := ch.Close(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{
		"ChannelCapacity":       20,
		"ChannelSize":           5,
		"EventPutAttemptCount":  8 + 2 + 15,
		"EventPutSuccessCount":  8,
		"EventTakeAttemptCount": 3 + (5 + 1),
		"EventTakeSuccessCount": 3,
		"EventPutErrorCount":    0, // a full channel is not an error
		"EventTakeErrorCount":   0,
		"Unhealthy":             0,
	}
	got := map[string]int64{}
	for _, v := range m.Component.Values() {
		got[v.Name()] = v.Load()
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s = %d, want %d", name, got[name], w)
		}
	}
	if m.StartTime() == 0 || m.StopTime() == 0 {
		t.Errorf("StartTime %d, StopTime %d: want both set", m.StartTime(), m.StopTime())
	}
}

func TestCloseWakesWaitingPut(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Capacity, cfg.TxCapacity, cfg.KeepAlive = 2, 2, time.Minute
	ch := open(t, cfg)
	put(t, ch, events(0, 2)...)
	done := make(chan error, 1)
	go func() { done <- channel.PutBatch(context.Background(), ch, events(2, 3)) }()
	// Give the put time to reach its wait for room. The outcome must not depend on it: a put
	// that starts after Close fails with ErrClosed too.
	time.Sleep(20 * time.Millisecond)
	if err := ch.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, channel.ErrClosed) {
			t.Fatalf("waiting put after Close: got %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close left a put waiting for room")
	}
}

// TestDiskStaysBounded puts ten times the capacity through the channel, filled and drained
// each time, and checks the file does not grow after the first fill: bbolt reuses the pages
// that take commits free.
func TestDiskStaysBounded(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Capacity = 20_000
	ch := open(t, cfg)
	path := filepath.Join(cfg.Dir, DBFile)
	var sizes []int64
	for range 10 {
		fillBench(t, ch, cfg.Capacity)
		sizes = append(sizes, fileSize(t, path))
		if n := drainBench(t, ch); n != cfg.Capacity {
			t.Fatalf("drained %d events, want %d", n, cfg.Capacity)
		}
	}
	t.Logf("file size after each fill of %d events of %d bytes: %v", cfg.Capacity, bodySize, sizes)
	if last := sizes[len(sizes)-1]; float64(last) > 1.25*float64(sizes[0]) {
		t.Errorf("the file grew from %d to %d bytes over ten fill and drain cycles", sizes[0], last)
	}
}

func TestCompaction(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t.TempDir())
	cfg.Capacity = 50_000
	cfg.tune.compactMinBytes = 1 << 20
	cfg.tune.compactCheckEvery = 5 * time.Millisecond
	ch := open(t, cfg)
	path := filepath.Join(cfg.Dir, DBFile)

	fillBench(t, ch, 40_000) // about 10MiB of 200-byte events
	peak := fileSize(t, path)
	// Drain all but 100 of them, then put a few of ours and leave 60 events in flight.
	for taken := 0; taken < 39_900; {
		tx := ch.BeginTake()
		got, err := tx.Take(min(1000, 39_900-taken))
		if err != nil {
			t.Fatal(err)
		}
		taken += len(got)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	put(t, ch, events(0, 50)...)
	inflight := ch.BeginTake()
	if got, err := inflight.Take(60); err != nil || len(got) != 60 {
		t.Fatalf("Take(60): %d, %v", len(got), err)
	}
	eventually(t, 10*time.Second, "the file compacted", func() bool { return fileSize(t, path) < peak/4 })
	t.Logf("file: %d bytes at its peak, %d after compaction", peak, fileSize(t, path))

	// The channel goes on working on the new file, and a restart finds everything, the events
	// in flight first.
	put(t, ch, events(50, 60)...)
	ch = reopen(t, ch)
	tx := ch.BeginTake()
	got, err := tx.Take(100)
	if err != nil || len(got) != 100 {
		t.Fatalf("Take(100) after the restart: %d, %v", len(got), err)
	}
	for i, e := range got {
		if len(e.Body) != bodySize || e.Headers != nil {
			t.Fatalf("event %d after the restart: %d bytes, headers %v; want one of the fill's", i, len(e.Body), e.Headers)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	expectIDs(t, "events put around the compaction, after the restart", drain(t, ch), seq(0, 60))
	if _, err := os.Stat(path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("compaction left %s behind: %v", path+compactSuffix, err)
	}
}

func TestLeftoverCompactionCopyIsRemoved(t *testing.T) {
	dir := t.TempDir()
	ch := open(t, testConfig(dir))
	put(t, ch, events(0, 5)...)
	if err := ch.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(dir, DBFile+compactSuffix)
	writeFile(t, leftover, []byte("half a copy"))
	ch = open(t, testConfig(dir))
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the leftover copy is still there: %v", err)
	}
	expectIDs(t, "events", drain(t, ch), seq(0, 5))
}

func TestNilMetricsAndLogger(t *testing.T) {
	ch, err := New(testConfig(t.TempDir()), channel.Settings{Name: "bare"})
	if err != nil {
		t.Fatal(err)
	}
	put(t, ch, events(0, 1)...)
	if err := ch.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentPuttersAndTakers runs several putters and takers with rollbacks against one
// channel small enough to fill, then restarts it and checks every event came out once.
func TestConcurrentPuttersAndTakers(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t.TempDir())
	cfg.Capacity, cfg.TxCapacity, cfg.KeepAlive = 2000, 200, 20*time.Millisecond
	cfg.tune.cacheBytes = 256 << 10
	ch := open(t, cfg)
	const putters, per = 4, 3000
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int]int{}
	var taken atomic.Int64
	for p := range putters {
		wg.Go(func() {
			for i := 0; i < per; i += 100 {
				id := p*per + i
				for {
					err := channel.PutBatch(ctx, ch, events(id, id+100))
					if err == nil {
						break
					}
					if !errors.Is(err, channel.ErrFull) {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	for k := range 3 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(k), 7))
			deadline := time.Now().Add(30 * time.Second)
			for taken.Load() < putters*per && time.Now().Before(deadline) {
				tx := ch.BeginTake()
				got, err := tx.Take(1 + rng.IntN(200))
				if err != nil {
					t.Error(err)
					tx.Rollback()
					return
				}
				if len(got) == 0 || rng.IntN(4) == 0 {
					tx.Rollback()
					continue
				}
				gotIDs := ids(t, got)
				if err := tx.Commit(ctx); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, id := range gotIDs {
					seen[id]++
				}
				mu.Unlock()
				taken.Add(int64(len(got)))
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	ch = reopen(t, ch)
	for _, id := range drain(t, ch) {
		seen[id]++
	}
	for id := range putters * per {
		if seen[id] != 1 {
			t.Fatalf("event %d came out %d times", id, seen[id])
		}
	}
}

func TestRegistryCountersAreShared(t *testing.T) {
	// The extras live in the channel's component, next to the standard counters, so the
	// exporters see them.
	reg := metrics.NewRegistry("a1")
	set := channel.Settings{Name: "c1", Metrics: reg.Channel("c1", "file")}
	ch, err := New(testConfig(t.TempDir()), set)
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close(context.Background())
	var names []string
	for _, c := range reg.Components() {
		for _, v := range c.Values() {
			names = append(names, v.Name())
		}
	}
	for _, want := range []string{"EventPutErrorCount", "EventTakeErrorCount", "Unhealthy"} {
		if !slices.Contains(names, want) {
			t.Errorf("registry lacks %s: %v", want, names)
		}
	}
}

// TestDamagedRecordWhileRunning damages a record under a running channel (as a failing disk
// would): the take fails, is counted, marks the channel unhealthy, hands the events back, and
// the next open refuses the file.
func TestDamagedRecordWhileRunning(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.tune.cacheBytes = -1 // every take reads the disk
	set := testSettings(t)
	chi, err := New(cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	ch := chi.(*fileChannel)
	defer ch.Close(context.Background())
	put(t, ch, events(0, 10)...)
	if err := ch.db.Update(func(tx *bolt.Tx) error { return overwriteFirstRecord(tx, []byte{codecVersion, 10, 0xff}) }); err != nil {
		t.Fatal(err)
	}
	tx := ch.BeginTake()
	got, err := tx.Take(5)
	if err == nil || len(got) != 0 || !strings.Contains(err.Error(), ch.path) {
		t.Fatalf("Take of a damaged record: got %d events, %v; want an error naming the file", len(got), err)
	}
	tx.Rollback()
	c := set.Metrics.Component
	if c.Counter("EventTakeErrorCount").Load() != 5 || c.Gauge("Unhealthy").Load() != 1 {
		t.Errorf("EventTakeErrorCount %d, Unhealthy %d; want 5 and 1",
			c.Counter("EventTakeErrorCount").Load(), c.Gauge("Unhealthy").Load())
	}
	if n := set.Metrics.ChannelSize.Load(); n != 10 {
		t.Errorf("ChannelSize after the failed take = %d, want the 10 events handed back", n)
	}
	if err := ch.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, testSettings(t)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("New after the damage: got %v, want ErrCorrupt", err)
	}
}
