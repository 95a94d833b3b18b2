package fileroll

import (
	"strings"

	"github.com/flumego/flumego/config/flume"
)

// flumeFileRoll converts Flume's file_roll sink (RollingFileSink); durations are in seconds.
var flumeFileRoll = &flume.Mapping{
	Flume:   "file_roll sink",
	Aliases: []string{"file_roll", "org.apache.flume.sink.RollingFileSink"},
	Settings: append([]flume.Setting{
		flume.Map("directory", flume.AsString, "sink.directory"), flume.Map("roll_interval", flume.AsSeconds, "sink.rollInterval"),
		flume.Map("batch_size", flume.AsInt, "sink.batchSize"),
		flume.Func(func(c *flume.Conv, p flume.Property) {
			if v, _ := c.Literal(p); !strings.EqualFold(v, "default") {
				c.Drop(p, "path manager %q: flumego names files <prefix><start-millis>-<n>[.<extension>]", p.Value)
			}
		}, "sink.pathManager"),
		flume.Map("extension", flume.AsString, "sink.pathManager.extension"), flume.Map("prefix", flume.AsString, "sink.pathManager.prefix"),
	}, flume.SerializerSettings("sink.serializer")...),
	Prefixes: []flume.Prefix{flume.DropPrefix("sink.serializer.", "a setting of a serializer flumego's file_roll does not have")},
	Defaults: []flume.Default{{Attr: "batch_size", Value: flume.Int(100)}},
	Finish:   flume.FinishSerializer,
}
