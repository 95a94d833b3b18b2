package netcat

import "github.com/flumego/flumego/config/flume"

// flumeNetcat converts Flume's netcat source (NetcatSource).
var flumeNetcat = &flume.Mapping{
	Flume:   "netcat source",
	Aliases: []string{"netcat", "org.apache.flume.source.NetcatSource"},
	Settings: []flume.Setting{
		flume.Map("bind", flume.AsString, "bind"), flume.Map("port", flume.AsInt, "port"),
		flume.Map("max_line_length", flume.AsInt, "max-line-length"),
		flume.Map("ack_every_event", flume.AsBool, "ack-every-event"),
		flume.Func(flume.UTF8Only, "encoding"),
	},
}
