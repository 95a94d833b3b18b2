package file

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flumego/flumego/channel"
)

// smallDisk mounts a tmpfs of size bytes on a fresh dir, or skips the test where mounting is
// not allowed (not root, or no tmpfs in a container).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fillUntilRefused puts batches of 100 events until a put fails, and returns the ids acknowledged
// and the error.
func fillUntilRefused(t *testing.T, ch channel.Channel, from int) ([]int, error) {
	t.Helper()
	for id := from; ; id += 100 {
		if err := channel.PutBatch(context.Background(), ch, events(id, id+100)); err != nil {
			return seq(from, id), err
		}
		if id-from > 1_000_000 {
			t.Fatal("a million events fit on the small disk")
		}
	}
}

// TestFullDisk runs the channel on a real 8MiB file system. Without minimum_required_space the
// disk fills up: puts fail with ErrLowSpace (ENOSPC), nothing acknowledged is lost, the file
// stays whole, takes drain it and puts resume in the pages they freed. With
// minimum_required_space, puts are refused before the disk is full, and resume by themselves
// once takes have freed pages in the file.
func TestFullDisk(t *testing.T) {
	ctx := context.Background()
	t.Run("no minimum: the disk fills up", func(t *testing.T) {
		dir := smallDisk(t, "8m")
		cfg := testConfig(dir)
		ch := open(t, cfg)
		acked, err := fillUntilRefused(t, ch, 0)
		if !errors.Is(err, ErrLowSpace) || !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, channel.ErrFull) {
			t.Fatalf("put on a full disk: got %v, want ErrLowSpace wrapping ENOSPC and ErrFull", err)
		}
		t.Logf("%d events acknowledged before: %v", len(acked), err)
		ch = reopen(t, ch)
		expectIDs(t, "drained after a restart", drain(t, ch), acked)
		more, err := fillUntilRefused(t, ch, 10_000_000)
		if len(more) < len(acked)/2 {
			t.Fatalf("after the drain only %d events fit (then %v); before, %d did", len(more), err, len(acked))
		}
		expectIDs(t, "drained again", drain(t, ch), more)
	})
	t.Run("minimum: refused before the disk is full, then resumed", func(t *testing.T) {
		dir := smallDisk(t, "8m")
		cfg := testConfig(dir)
		cfg.MinimumRequiredSpace = 3 << 20
		cfg.tune.spaceCheckEvery = time.Millisecond
		ch := open(t, cfg)
		acked, err := fillUntilRefused(t, ch, 0)
		if !errors.Is(err, ErrLowSpace) || errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("put below minimum_required_space: got %v, want ErrLowSpace before ENOSPC", err)
		}
		free, _ := statfsFree(dir)
		t.Logf("%d events acknowledged, then refused with %d bytes free: %v", len(acked), free, err)
		if free < 1<<20 {
			t.Errorf("only %d bytes left free; the refusal should keep about 3MiB", free)
		}
		expectIDs(t, "drained while puts are refused", drain(t, ch), acked)
		eventually(t, 5*time.Second, "puts accepted again", func() bool {
			return channel.PutBatch(ctx, ch, events(20_000_000, 20_000_100)) == nil
		})
		expectIDs(t, "after the recovery", drain(t, ch), seq(20_000_000, 20_000_100))
	})
}
