package seq

import "github.com/flumego/flumego/config/flume"

// flumeSeq converts Flume's sequence generator source, with its batch of 1.
var flumeSeq = &flume.Mapping{
	Flume:   "seq source",
	Aliases: []string{"seq", "org.apache.flume.source.SequenceGeneratorSource"},
	Settings: []flume.Setting{
		flume.Map("batch_size", flume.AsInt, "batchSize"), flume.Map("total", flume.AsInt, "totalEvents"),
	},
	Defaults: []flume.Default{{Attr: "batch_size", Value: flume.Int(1)}},
}
