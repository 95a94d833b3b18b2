package exec

import "github.com/flumego/flumego/config/flume"

// flumeExec converts Flume's exec source; durations are in milliseconds there.
var flumeExec = &flume.Mapping{
	Flume:   "exec source",
	Aliases: []string{"exec", "org.apache.flume.source.ExecSource"},
	Settings: []flume.Setting{
		flume.Map("command", flume.AsString, "command"), flume.Map("shell", flume.AsString, "shell"),
		flume.Map("restart_throttle", flume.AsMillis, "restartThrottle"), flume.Map("restart", flume.AsBool, "restart"),
		flume.Map("log_stderr", flume.AsBool, "logStdErr"), flume.Map("batch_size", flume.AsInt, "batchSize"),
		flume.Map("batch_timeout", flume.AsMillis, "batchTimeout"), flume.Func(flume.UTF8Only, "charset"),
	},
	Defaults: []flume.Default{{Attr: "batch_size", Value: flume.Int(20)}},
}
