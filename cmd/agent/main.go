// Command agent is flumego's agent: the command line of package cli over the built-in
// components. A custom agent is this file with more factories in the list.
package main

import (
	"os"
	// Time zones and CA roots inside the binary, so the hdfs sink's time_zone and TLS to Kafka
	// or the next agent work on hosts and images that have neither (a scratch image). The
	// system's own roots are used wherever the host has them.
	_ "time/tzdata"

	_ "golang.org/x/crypto/x509roots/fallback"

	"github.com/flumego/flumego/cli"
	"github.com/flumego/flumego/components"
)

// Set at build time by `make build` and `make dist`:
// -ldflags "-X main.version=0.1.0 -X main.commit=<sha> -X main.date=<commit time>".
var version, commit, date string

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, cli.Settings{
		Components: components.Builtin(), Version: version, Commit: commit, Date: date,
	}))
}
