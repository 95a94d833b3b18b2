package file

import (
	"fmt"

	"github.com/flumego/flumego/config/flume"
)

// flumeFile converts Flume's file channel, with Flume's sizes when the file leaves them out.
// Its checkpoints have no equivalent: flumego's file channel commits in place (bbolt), and
// does not read what a Flume file channel still holds.
var flumeFile = &flume.Mapping{
	Flume:   "file channel",
	Aliases: []string{"file", "org.apache.flume.channel.file.FileChannel"},
	Settings: []flume.Setting{
		flume.Func(dataDirs, "dataDirs"),
		flume.Map("capacity", flume.AsInt, "capacity"), flume.Map("transaction_capacity", flume.AsInt, "transactionCapacity"),
		flume.Map("minimum_required_space", flume.AsBytes, "minimumRequiredSpace"), flume.Map("keep_alive", flume.AsSeconds, "keep-alive"),
		flume.Func(func(c *flume.Conv, p flume.Property) {
			if b, ok := c.Convert(p, flume.AsBool).(flume.Bool); ok && !bool(b) {
				c.Set("fsync", flume.String("interval"))
			}
		}, "fsyncPerTransaction"),
		flume.Map("fsync_interval", flume.AsSeconds, "fsyncInterval"),
	},
	Prefixes: []flume.Prefix{flume.DropPrefix("encryption.", "flumego's file channel does not encrypt: put dir on an encrypted file system")},
	Dropped: map[string]string{
		"checkpointDir":       "flumego's file channel (bbolt) commits every transaction in place and needs no checkpoint",
		"useDualCheckpoints":  "no checkpoints in flumego's file channel",
		"backupCheckpointDir": "no checkpoints in flumego's file channel",
		"checkpointInterval":  "no checkpoints in flumego's file channel",
		"checkpointOnClose":   "no checkpoints in flumego's file channel",
		"maxFileSize":         "flumego's file channel is one database file, compacted as it drains",
		"use-log-replay-v1":   "no log replay in flumego's file channel",
		"use-fast-replay":     "no log replay in flumego's file channel",
		"maxBatchSize":        "bounded by transaction_capacity in flumego",
	},
	Defaults: []flume.Default{{Attr: "capacity", Value: flume.Int(1_000_000)}, {Attr: "transaction_capacity", Value: flume.Int(10_000)}},
	Finish: func(c *flume.Conv) {
		if c.Block.Attr("dir") == nil {
			dir := "/var/lib/flumego/" + c.Name
			c.Set("dir", flume.String(dir))
			c.CompNote(true, "dataDirs is not set (Flume's default is ~/.flume/file-channel/data): flumego needs a directory, set to %s", dir)
		}
	},
}

func dataDirs(c *flume.Conv, p flume.Property) {
	dirs := flume.SplitCommas(p.Value)
	if len(dirs) == 0 {
		return
	}
	c.Set("dir", c.Tmpl(flume.Property{Key: p.Key, Value: dirs[0], Line: p.Line}))
	why := "events still in Flume's file channel are not read by flumego (its own format, in bbolt): drain the Flume agent before switching"
	if len(dirs) > 1 {
		why = fmt.Sprintf("flumego keeps the channel in one directory: dir is the first of the %d dataDirs; %s", len(dirs), why)
	}
	c.Note(p, true, "%s", why)
}
