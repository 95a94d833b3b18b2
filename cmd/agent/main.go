// Command agent is flumego's agent: the command line of package cli over the built-in
// components. A custom agent is this file with more factories in the list.
package main

import (
	"os"

	"github.com/flumego/flumego/cli"
	"github.com/flumego/flumego/components"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, cli.Settings{Components: components.Builtin(), Version: version}))
}
