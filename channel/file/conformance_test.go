package file

import (
	"context"
	"testing"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/channeltest"
)

// TestConformance runs the channel suite as configured by default, with the cache of recent
// events off (every take reads the database) and with fsync = "interval".
func TestConformance(t *testing.T) {
	variants := []struct {
		name string
		tune func(*Config)
	}{
		{"default", func(*Config) {}},
		{"cache=off", func(c *Config) { c.tune.cacheBytes = -1 }},
		{"fsync=interval", func(c *Config) { c.Fsync = FsyncInterval }},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			open := func(t *testing.T, dir string, o channeltest.Options) channel.Channel {
				cfg := testConfig(dir)
				cfg.Capacity, cfg.TxCapacity, cfg.KeepAlive = o.Capacity, o.TransactionCapacity, o.KeepAlive
				v.tune(cfg)
				ch, err := New(cfg, testSettings(t))
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return ch
			}
			channeltest.Run(t, channeltest.Harness{
				Open: func(t *testing.T, o channeltest.Options) channel.Channel {
					return open(t, t.TempDir(), o)
				},
				Reopen: func(t *testing.T, ch channel.Channel, o channeltest.Options) channel.Channel {
					dir := ch.(*fileChannel).dir
					if err := ch.Close(context.Background()); err != nil {
						t.Fatalf("Close: %v", err)
					}
					return open(t, dir, o)
				},
			})
		})
	}
}
