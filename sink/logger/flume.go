package logger

import "github.com/flumego/flumego/config/flume"

// flumeLogger converts Flume's logger sink, which takes one event per transaction.
var flumeLogger = &flume.Mapping{
	Flume:    "logger sink",
	Aliases:  []string{"logger", "org.apache.flume.sink.LoggerSink"},
	Settings: []flume.Setting{flume.Map("max_bytes_to_log", flume.AsInt, "maxBytesToLog")},
	Defaults: []flume.Default{{Attr: "batch_size", Value: flume.Int(1)}},
}
