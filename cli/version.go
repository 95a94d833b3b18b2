package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/flumego/flumego/metrics"
)

// build describes the running binary from what the build stamped into Settings (-ldflags
// "-X main.version=... -X main.commit=... -X main.date=...") and, where it stamped nothing,
// from the version-control information the go command records in every binary.
func build(set Settings) metrics.BuildInfo {
	b := metrics.BuildInfo{Version: set.Version, Revision: set.Commit, Date: set.Date,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if b.Version == "" {
		b.Version = "dev"
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Revision == "" {
					b.Revision = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && set.Commit == "" && b.Revision != "" {
			b.Revision += "-dirty"
		}
	}
	if b.Revision == "" {
		b.Revision = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

// versionLine is what `agent version` prints: one line, so scripts can read it.
func versionLine(b metrics.BuildInfo) string {
	return fmt.Sprintf("flumego agent %s (commit %s, built %s, %s %s)", b.Version, b.Revision, b.Date, b.GoVersion, b.Platform)
}
