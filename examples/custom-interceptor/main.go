// Command agent is flumego's agent with two components of this module added: the first_char
// interceptor and the line_file sink. Everything else (flags, signals, reload, validate,
// status, convert) is the stock agent's.
package main

import (
	"os"

	"github.com/flumego/flumego/cli"
	"github.com/flumego/flumego/components"

	"example.com/custom-interceptor/firstchar"
	"example.com/custom-interceptor/linefile"
)

func main() {
	comps := components.Builtin()
	comps.Interceptors = append(comps.Interceptors, firstchar.NewFactory())
	comps.Sinks = append(comps.Sinks, linefile.NewFactory())
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, cli.Settings{Components: comps, Version: "custom-1.0"}))
}
