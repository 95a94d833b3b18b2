package memory

import (
	"fmt"
	"time"

	"github.com/flumego/flumego/config/flume"
)

// Flume's memory channel converts with Flume's sizes (capacity and transactionCapacity 100
// when the file leaves them out), and Flume's SPILLABLEMEMORY channel into a memory channel of
// its whole capacity, reported: flumego has no channel that spills to disk.
var (
	flumeMemory = &flume.Mapping{
		Flume:   "memory channel",
		Aliases: []string{"memory", "org.apache.flume.channel.MemoryChannel"},
		Settings: []flume.Setting{
			// Flume reads a malformed size as its default, with a warning.
			{Keys: []string{"capacity"}, Attr: "capacity", Kind: flume.AsInt, Lenient: flume.Int(100)},
			{Keys: []string{"transactionCapacity"}, Attr: "transaction_capacity", Kind: flume.AsInt, Lenient: flume.Int(100)},
			{Keys: []string{"keep-alive"}, Attr: "keep_alive", Kind: flume.AsSeconds, Lenient: flume.Duration(3 * time.Second)},
			{Keys: []string{"byteCapacityBufferPercentage"}, Attr: "byte_capacity_buffer_percentage", Kind: flume.AsInt, Lenient: flume.Int(20)},
			flume.Func(byteCapacity, "byteCapacity"),
		},
		Defaults: []flume.Default{{Attr: "capacity", Value: flume.Int(100)}, {Attr: "transaction_capacity", Value: flume.Int(100)}},
		Finish:   finishMemory,
	}
	flumeSpillable = &flume.Mapping{
		Flume:   "SPILLABLEMEMORY channel",
		Aliases: []string{"SPILLABLEMEMORY", "org.apache.flume.channel.SpillableMemoryChannel"},
		Settings: []flume.Setting{
			// SpillableMemoryChannel reads malformed numbers as its defaults.
			{Keys: []string{"memoryCapacity"}, Kind: flume.AsInt, Fn: spill("memory", 10_000)},
			{Keys: []string{"overflowCapacity"}, Kind: flume.AsInt, Fn: spill("overflow", 100_000_000)},
			flume.Map("transaction_capacity", flume.AsInt, "transactionCapacity"),
			{Keys: []string{"byteCapacityBufferPercentage"}, Attr: "byte_capacity_buffer_percentage", Kind: flume.AsInt, Lenient: flume.Int(20)},
			flume.Func(byteCapacity, "byteCapacity"),
		},
		Dropped: map[string]string{
			"overflowTimeout":               "flumego's memory channel has no overflow to switch to: a full channel makes puts wait keep_alive",
			"overflowDeactivationThreshold": "flumego's memory channel has no overflow",
			"avgEventSize":                  "flumego counts the bytes of each body exactly (byte_capacity)",
			"keep-alive":                    "Flume's SPILLABLEMEMORY channel ignores it (it waits overflowTimeout)",
			"capacity":                      "Flume's SPILLABLEMEMORY channel ignores it: its capacity is memoryCapacity plus overflowCapacity",
			"checkpointDir":                 whyOverflow, "dataDirs": whyOverflow, "useDualCheckpoints": whyOverflow,
			"backupCheckpointDir": whyOverflow, "checkpointInterval": whyOverflow, "maxFileSize": whyOverflow,
			"minimumRequiredSpace": whyOverflow, "checkpointOnClose": whyOverflow, "use-log-replay-v1": whyOverflow,
			"use-fast-replay": whyOverflow, "fsyncPerTransaction": whyOverflow, "fsyncInterval": whyOverflow,
		},
		Prefixes: []flume.Prefix{flume.DropPrefix("encryption.", whyOverflow)},
		// The overflow is a file channel: its transaction capacity is the file channel's.
		Defaults: []flume.Default{{Attr: "transaction_capacity", Value: flume.Int(10_000)}},
		Finish:   finishSpillable,
	}
)

const whyOverflow = "a setting of the overflow's file channel, and flumego's memory channel keeps no overflow on disk (for a durable channel, see the note on the channel)"

// byteCapacity keeps byteCapacity; a malformed one is Flume's default, 80% of the JVM's heap,
// which has no flumego equivalent: byte_capacity is then flumego's own.
func byteCapacity(c *flume.Conv, p flume.Property) {
	v, ok := c.Literal(p)
	if !ok {
		c.Set("byte_capacity", c.Tmpl(p))
		return
	}
	var n int64
	if _, err := fmt.Sscan(v, &n); err != nil || fmt.Sprint(n) != v {
		c.Drop(p, "%q is not a whole number: Flume warns and uses 80%% of its JVM's heap; byte_capacity is left at flumego's default", v)
		return
	}
	c.Set("byte_capacity", flume.Size(n))
}

func finishMemory(c *flume.Conv) {
	capacity, _ := c.Block.Attr("capacity").Val.(flume.Int)
	tx, _ := c.Block.Attr("transaction_capacity").Val.(flume.Int)
	for _, s := range []struct {
		attr, key string
		n         *flume.Int
	}{{"capacity", "capacity", &capacity}, {"transaction_capacity", "transactionCapacity", &tx}} {
		if p, ok := c.Get(s.key); ok && *s.n <= 0 {
			c.Note(p, true, "%d is not a positive size: Flume warns and uses its default, 100, and so does the conversion", *s.n)
			*s.n = 100
			c.Set(s.attr, flume.Int(100))
		}
	}
	if capacity > 0 && tx > capacity {
		p, ok := c.Get("transactionCapacity")
		if !ok {
			p, _ = c.Get("capacity")
		}
		c.Reject(p, "transactionCapacity %d is above capacity %d", tx, capacity)
	}
}

// spill remembers memoryCapacity or overflowCapacity (Flume's default when malformed).
func spill(part string, def int64) func(c *flume.Conv, p flume.Property) {
	return func(c *flume.Conv, p flume.Property) {
		v, ok := c.Literal(p)
		if !ok {
			c.Drop(p, "an environment reference cannot be added up into the capacity: Flume's default %d is used", def)
			return
		}
		var n int64
		if _, err := fmt.Sscan(v, &n); err != nil || fmt.Sprint(n) != v || n < 0 {
			c.Note(p, true, "%q is not a size: Flume warns and uses its default, %d, and so does the conversion", v, def)
			n = def
		}
		c.State[part] = n
	}
}

func finishSpillable(c *flume.Conv) {
	mem, ok := c.State["memory"].(int64)
	if !ok {
		mem = 10_000
	}
	over, ok := c.State["overflow"].(int64)
	if !ok || mem == 0 && over == 0 {
		over = 100_000_000
	}
	c.Set("capacity", flume.Int(mem+over))
	if tx, ok := c.Block.Attr("transaction_capacity").Val.(flume.Int); ok && int64(tx) > mem+over {
		c.Set("transaction_capacity", flume.Int(mem+over))
		c.Block.Attr("transaction_capacity").Comment = ""
		c.CompNote(true, "transaction_capacity %d is above the channel's capacity %d, which flumego refuses (a transaction could never fit): lowered to %d", tx, mem+over, mem+over)
	}
	if over == 0 {
		c.CompNote(true, "Flume's SPILLABLEMEMORY channel with overflowCapacity 0 keeps memoryCapacity %d events in memory, as this memory channel does", mem)
		return
	}
	dir := "/var/lib/flumego/" + c.Name
	if p, ok := c.Get("dataDirs"); ok {
		if dirs := flume.SplitCommas(p.Value); len(dirs) > 0 {
			dir = dirs[0]
		}
	}
	c.CompNote(true, "Flume's SPILLABLEMEMORY channel keeps up to memoryCapacity %d events in memory and spills up to overflowCapacity %d more to a file channel on disk; flumego has no spilling channel, so this is a memory channel of capacity %d (memory plus overflow), bounded by byte_capacity: when that is full puts wait where Flume spilled, and what it holds is lost on a crash. Where the overflow was the point (riding out a slow or dead sink, or surviving a restart), use a file channel instead: channel \"file\" %q { dir = %q }", mem, over, mem+over, c.Name, dir)
}
