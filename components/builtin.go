// Package components is the set of component types built into flumego's agent, listed
// explicitly so that a custom agent can start from it and add its own.
package components

import (
	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/file"
	kafkachannel "github.com/flumego/flumego/channel/kafka"
	"github.com/flumego/flumego/channel/memory"
	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/interceptor"
	"github.com/flumego/flumego/interceptor/script"
	"github.com/flumego/flumego/sink"
	avrosink "github.com/flumego/flumego/sink/avro"
	"github.com/flumego/flumego/sink/fileroll"
	"github.com/flumego/flumego/sink/hdfs"
	kafkasink "github.com/flumego/flumego/sink/kafka"
	"github.com/flumego/flumego/sink/logger"
	"github.com/flumego/flumego/sink/null"
	"github.com/flumego/flumego/source"
	avrosource "github.com/flumego/flumego/source/avro"
	execsource "github.com/flumego/flumego/source/exec"
	httpsource "github.com/flumego/flumego/source/http"
	"github.com/flumego/flumego/source/journald"
	kafkasource "github.com/flumego/flumego/source/kafka"
	"github.com/flumego/flumego/source/netcat"
	"github.com/flumego/flumego/source/seq"
	"github.com/flumego/flumego/source/spooldir"
	"github.com/flumego/flumego/source/syslog"
	"github.com/flumego/flumego/source/taildir"
)

// Builtin lists every component type built into the agent, in one place (no init()
// registration). A custom agent is this list plus one more line.
func Builtin() config.Components {
	return config.Components{
		Sources: []source.Factory{
			netcat.NewFactory(),
			kafkasource.NewFactory(),
			seq.NewFactory(),
			taildir.NewFactory(),
			execsource.NewFactory(),
			spooldir.NewFactory(),
			avrosource.NewFactory(),
			syslog.NewFactory(),
			httpsource.NewFactory(),
			journald.NewFactory(),
		},
		Channels: []channel.Factory{
			memory.NewFactory(),
			file.NewFactory(),
			kafkachannel.NewFactory(),
		},
		Sinks: []sink.Factory{
			logger.NewFactory(),
			null.NewFactory(),
			fileroll.NewFactory(),
			kafkasink.NewFactory(),
			hdfs.NewFactory(),
			avrosink.NewFactory(),
		},
		Processors: []sink.ProcessorFactory{
			sink.NewFailoverFactory(),
			sink.NewLoadBalanceFactory(),
		},
		Interceptors: []interceptor.Factory{
			interceptor.NewTimestampFactory(),
			interceptor.NewHostFactory(),
			interceptor.NewStaticFactory(),
			interceptor.NewRemoveHeaderFactory(),
			interceptor.NewUUIDFactory(),
			interceptor.NewSearchReplaceFactory(),
			interceptor.NewRegexFilterFactory(),
			interceptor.NewRegexExtractorFactory(),
			interceptor.NewRegexHeaderFactory(),
			interceptor.NewJSONFactory(),
			script.NewFactory(),
		},
		Selectors: []interceptor.SelectorFactory{
			interceptor.NewReplicatingFactory(),
			interceptor.NewMultiplexingFactory(),
		},
	}
}
