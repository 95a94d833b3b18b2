package null

import "github.com/flumego/flumego/config/flume"

// flumeNull converts Flume's null sink.
var flumeNull = &flume.Mapping{
	Flume:    "null sink",
	Aliases:  []string{"null", "org.apache.flume.sink.NullSink"},
	Settings: []flume.Setting{flume.Map("batch_size", flume.AsInt, "batchSize")},
	Defaults: []flume.Default{{Attr: "batch_size", Value: flume.Int(100)}},
}
