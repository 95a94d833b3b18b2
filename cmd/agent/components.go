package main

import (
	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/channel/file"
	"github.com/flumego/flumego/channel/memory"
	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/interceptor"
	"github.com/flumego/flumego/sink"
	"github.com/flumego/flumego/sink/fileroll"
	"github.com/flumego/flumego/sink/logger"
	"github.com/flumego/flumego/sink/null"
	"github.com/flumego/flumego/source"
	"github.com/flumego/flumego/source/netcat"
	"github.com/flumego/flumego/source/seq"
)

// components lists every component type built into the agent, in one place (no init()
// registration). A custom agent is this list plus one more line.
func components() config.Components {
	return config.Components{
		Sources: []source.Factory{
			netcat.NewFactory(),
			seq.NewFactory(),
		},
		Channels: []channel.Factory{
			memory.NewFactory(),
			file.NewFactory(),
		},
		Sinks: []sink.Factory{
			logger.NewFactory(),
			null.NewFactory(),
			fileroll.NewFactory(),
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
		},
		Selectors: []interceptor.SelectorFactory{
			interceptor.NewReplicatingFactory(),
			interceptor.NewMultiplexingFactory(),
		},
	}
}
