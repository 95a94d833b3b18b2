package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/flumego/flumego/config"
	"github.com/flumego/flumego/config/convert"
)

const convertUsage = `usage:
  agent convert FILE [-n NAME] > flume.hcl    # FILE is a Flume .properties file; - reads standard input
  agent convert filebeat.yml > flume.hcl      # a Filebeat configuration (by its .yml/.yaml name or content)
`

// runConvert is `agent convert flume.conf [-n a1]` or `agent convert filebeat.yml`: it writes
// the flumego HCL of the Flume or Filebeat configuration to stdout and, on stderr, one line per
// setting it could not carry over (or carried over changed). Exit 0 when converted, even with
// such notes; 2 when the file cannot be read or parsed, names no agent (or not the one -n asks
// for), or leaves nothing to run.
func runConvert(args []string, stdout, stderr io.Writer, comps config.Components) int {
	fs := flag.NewFlagSet("agent convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("n", "", "convert only this agent (default: every agent of the file)")
	file := fs.String("f", "", "the Flume .properties file or filebeat.yml (or give it as the argument)")
	fs.Usage = func() { fmt.Fprint(stderr, convertUsage); fs.PrintDefaults() }
	// Flags may come before or after the file name: `agent convert flume.conf -n a1`.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitConfig
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case *file != "" && len(pos) == 0:
		pos = []string{*file}
	case len(pos) != 1 || *file != "":
		fmt.Fprintf(stderr, "agent convert: give exactly one Flume or Filebeat configuration file\n%s", convertUsage)
		return exitConfig
	}
	path := pos[0]
	var src []byte
	var err error
	if path == "-" {
		src, err = io.ReadAll(os.Stdin)
		path = "<stdin>"
	} else {
		src, err = os.ReadFile(path)
	}
	if err != nil {
		fmt.Fprintf(stderr, "agent convert: %v\n", err)
		return exitConfig
	}
	opts := convert.Options{Agent: *name, Source: filepath.Base(path), Components: comps}
	conv := convert.Convert
	if convert.LooksLikeFilebeat(path, src) {
		if *name != "" {
			fmt.Fprintf(stderr, "agent convert: %s: -n names a Flume agent; a Filebeat configuration is one agent\n", path)
			return exitConfig
		}
		conv = convert.ConvertFilebeat
	}
	res, err := conv(src, opts)
	if res != nil {
		if _, werr := stdout.Write(res.HCL); werr != nil {
			fmt.Fprintf(stderr, "agent convert: write: %v\n", werr)
			return exitRuntime
		}
		res.Report(stderr, path)
	}
	if err != nil {
		fmt.Fprintf(stderr, "agent convert: %s: %v\n", path, err)
		return exitConfig
	}
	return exitOK
}
