package file

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/internal/exampletest"
)

func decodeConfig(t *testing.T, src string) (*Config, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "flume.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg, diags := NewFactory().Decode(f.Body, nil, `channel "file" "c1"`, hcl.Range{Filename: "flume.hcl"})
	return cfg.(*Config), diags
}

func TestConfigDecode(t *testing.T) {
	cfg, diags := decodeConfig(t, `
dir                    = "/var/lib/flumego/c1"
capacity               = 5000
transaction_capacity   = 500
keep_alive             = "250ms"
minimum_required_space = "1GiB"
fsync                  = "interval"
fsync_interval         = "2s"
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := Config{
		Dir: "/var/lib/flumego/c1", Capacity: 5000, TxCapacity: 500, KeepAlive: 250 * time.Millisecond,
		MinimumRequiredSpace: 1 << 30, Fsync: FsyncInterval, FsyncInterval: 2 * time.Second,
	}
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("decoded\n %+v\nwant\n %+v", *cfg, want)
	}
	var _ channel.TxCapacity = cfg
	if cfg.TransactionCapacity() != 500 {
		t.Errorf("TransactionCapacity() = %d, want 500", cfg.TransactionCapacity())
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, diags := decodeConfig(t, `dir = "/d"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := Config{
		Dir: "/d", Capacity: 1_000_000, TxCapacity: 10_000, KeepAlive: 3 * time.Second,
		MinimumRequiredSpace: 512 << 20, Fsync: FsyncCommit, FsyncInterval: 5 * time.Second,
	}
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("defaults\n %+v\nwant\n %+v", *cfg, want)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // every diagnostic, by the attribute it names
	}{
		{"dir missing", `capacity = 10`, []string{`Missing required argument`}},
		{"dir empty", `dir = ""`, []string{"dir: must be set"}},
		{"capacity zero", `
dir = "/d"
capacity = 0`, []string{"capacity: must be positive"}},
		{"transaction capacity above capacity", `
dir = "/d"
capacity = 10
transaction_capacity = 11`, []string{"transaction_capacity: 11 exceeds capacity 10"}},
		{"transaction capacity zero", `
dir = "/d"
transaction_capacity = 0`, []string{"transaction_capacity: must be positive"}},
		{"unknown fsync", `
dir = "/d"
fsync = "always"`, []string{`fsync: must be "commit" or "interval", got "always"`}},
		{"interval without a period", `
dir = "/d"
fsync = "interval"
fsync_interval = "0s"`, []string{"fsync_interval: must be positive"}},
		{"zero interval is fine with commit", `
dir = "/d"
fsync_interval = "0s"`, nil},
		{"everything wrong at once", `
dir = ""
capacity = -1
transaction_capacity = -1
fsync = "never"`, []string{"dir:", "capacity:", "transaction_capacity:", "fsync:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := decodeConfig(t, tt.src)
			if len(diags) != len(tt.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%v", len(diags), len(tt.want), diags)
			}
			for i, w := range tt.want {
				if !strings.Contains(diags[i].Error(), w) {
					t.Errorf("diagnostic %d: %q does not mention %q", i, diags[i].Error(), w)
				}
			}
		})
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	cfg := testConfig("")
	_, err := New(cfg, testSettings(t))
	var ae *schema.AttrError
	if err == nil || !strings.Contains(err.Error(), "file channel c1") || !errors.As(err, &ae) {
		t.Fatalf("New with no dir: got %v, want an attribute error naming the channel", err)
	}
}

// TestExample decodes every channel block of example.hcl through the factory and opens it,
// with its dir moved under the test's temporary dir.
func TestExample(t *testing.T) {
	f := NewFactory()
	for _, b := range exampletest.Decode(t, "channel", "file", f) {
		c := b.Config.(*Config)
		c.Dir = filepath.Join(t.TempDir(), filepath.Base(c.Dir))
		ch, err := f.Create(c, channel.Settings{Name: b.Name, Type: "file"})
		if err != nil {
			t.Fatal(err)
		}
		if err := channel.PutBatch(context.Background(), ch, []channel.Event{{Body: []byte("x")}}); err != nil {
			t.Errorf("%s: put: %v", b.Name, err)
		}
		if err := ch.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}
}
