package file

import (
	"errors"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
)

// Fsync is when the channel forces its writes to disk.
type Fsync string

// The fsync policies.
const (
	// FsyncCommit makes every put and take commit wait until its write is on disk: nothing
	// acknowledged is lost on a process kill, an OS crash or a power cut.
	FsyncCommit Fsync = "commit"
	// FsyncInterval makes commits return once written to the operating system (which survives
	// a kill of the agent) and forces the file to disk every fsync_interval. An OS crash or a
	// power cut may lose the commits of the last interval and may leave the file damaged; the
	// channel then refuses to start and names the file (see the package doc).
	FsyncInterval Fsync = "interval"
)

// Config is the user's configuration of a file channel.
type Config struct {
	// Dir holds the channel's database file (DBFile); it is created with its parents.
	Dir string `hcl:"dir"`
	// Capacity is the most events the channel holds, counting those taken but not yet
	// committed.
	Capacity int `hcl:"capacity,optional"`
	// TxCapacity is the most events one put or take transaction holds.
	TxCapacity int `hcl:"transaction_capacity,optional"`
	// KeepAlive is how long a put commit waits for room before it fails with channel.ErrFull.
	KeepAlive time.Duration `hcl:"keep_alive,optional"`
	// MinimumRequiredSpace is the free space the disk holding Dir must keep: below it, puts
	// are refused (ErrLowSpace) while takes go on, so the channel can drain. 0 disables the
	// check.
	MinimumRequiredSpace schema.Size `hcl:"minimum_required_space,optional"`
	// Fsync is the fsync policy, "commit" or "interval".
	Fsync Fsync `hcl:"fsync,optional"`
	// FsyncInterval is how often the file is forced to disk when Fsync is "interval".
	FsyncInterval time.Duration `hcl:"fsync_interval,optional"`

	// Hooks and tunables for tests and benchmarks; the agent leaves them zero.
	tune tuning
}

// tuning holds what only tests and benchmarks change.
type tuning struct {
	// freeSpace reports the bytes available to the agent on the file system holding dir;
	// nil means statfs(2).
	freeSpace func(dir string) (int64, error)
	// spaceCheckEvery is how often a put commit re-reads the free space; 0 means the default.
	spaceCheckEvery time.Duration
	// cacheBytes bounds the recently put events kept in memory for takers; 0 means the
	// default, negative disables the cache.
	cacheBytes int64
	// compactCheckEvery is how often the committer considers compacting; 0 means the default.
	compactCheckEvery time.Duration
	// compactMinBytes is the smallest file worth compacting; 0 means the default.
	compactMinBytes int64
	// noGroupCommit writes each commit in its own bbolt transaction, to measure the gain.
	noGroupCommit bool
}

// TransactionCapacity implements channel.TxCapacity, so the config stage can check sinks'
// batch sizes against it.
func (c *Config) TransactionCapacity() int { return c.TxCapacity }

// Defaults are Flume's, except minimum_required_space (512MiB rather than Flume's 500MiB).
func defaults() *Config {
	return &Config{
		Capacity:             1_000_000,
		TxCapacity:           10_000,
		KeepAlive:            3 * time.Second,
		MinimumRequiredSpace: 512 << 20,
		Fsync:                FsyncCommit,
		FsyncInterval:        5 * time.Second,
	}
}

// DefaultConfig returns the defaults, for programs that build a channel without HCL.
func DefaultConfig() *Config { return defaults() }

// Validate reports every problem of the config at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, schema.Errorf("dir", "must be set to the directory that holds the channel's data"))
	}
	if c.Capacity <= 0 {
		errs = append(errs, schema.Errorf("capacity", "must be positive, got %d", c.Capacity))
	}
	switch {
	case c.TxCapacity <= 0:
		errs = append(errs, schema.Errorf("transaction_capacity", "must be positive, got %d", c.TxCapacity))
	case c.Capacity > 0 && c.TxCapacity > c.Capacity:
		errs = append(errs, schema.Errorf("transaction_capacity", "%d exceeds capacity %d", c.TxCapacity, c.Capacity))
	}
	if c.KeepAlive < 0 {
		errs = append(errs, schema.Errorf("keep_alive", "must not be negative"))
	}
	if c.MinimumRequiredSpace < 0 {
		errs = append(errs, schema.Errorf("minimum_required_space", "must not be negative"))
	}
	switch c.Fsync {
	case FsyncCommit:
	case FsyncInterval:
		if c.FsyncInterval <= 0 {
			errs = append(errs, schema.Errorf("fsync_interval", "must be positive when fsync is %q", FsyncInterval))
		}
	default:
		errs = append(errs, schema.Errorf("fsync", "must be %q or %q, got %q", FsyncCommit, FsyncInterval, c.Fsync))
	}
	return errors.Join(errs...)
}

// NewFactory returns the factory of the "file" channel type.
func NewFactory() channel.Factory { return channel.NewFactory("file", defaults, New, flumeFile) }
