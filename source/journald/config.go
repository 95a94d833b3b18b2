package journald

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/flumego/flumego/config/schema"
	"github.com/flumego/flumego/source"
)

// Config is the journald source's configuration.
type Config struct {
	// Journalctl is the journalctl program: a path, or a name looked up in PATH.
	Journalctl string `hcl:"journalctl,optional"`
	// Directory reads the journal files of one directory (journalctl --directory), such as
	// the files systemd-journal-remote writes; empty reads the system's journal.
	Directory string `hcl:"directory,optional"`
	// Files reads these journal files (journalctl --file, globs allowed).
	Files []string `hcl:"files,optional"`
	// Units keeps the entries of these systemd units (journalctl --unit: their own messages
	// and systemd's about them); several are alternatives.
	Units []string `hcl:"units,optional"`
	// Identifiers keeps the entries with these SYSLOG_IDENTIFIERs (journalctl --identifier).
	Identifiers []string `hcl:"identifiers,optional"`
	// Matches are journalctl match terms: "FIELD=value", and "+" between alternatives.
	Matches []string `hcl:"matches,optional"`
	// SinceNow makes a first start (no cursor saved yet) read only entries written from then
	// on; by default it reads the journal from its beginning (within current_boot_only).
	SinceNow bool `hcl:"since_now,optional"`
	// CurrentBootOnly reads only the entries of the current boot (journalctl --boot).
	CurrentBootOnly bool `hcl:"current_boot_only,optional"`
	// Fields are the only journal fields kept as headers (besides timestamp); empty keeps all.
	// Fields whose names start with "__" (the cursor, the monotonic and realtime stamps) are
	// kept only when named here.
	Fields []string `hcl:"fields,optional"`
	// ExcludeFields are journal fields never kept as headers.
	ExcludeFields []string `hcl:"exclude_fields,optional"`
	// CursorFile holds the cursor of the last entry delivered; empty is
	// <data_dir>/journald-<source name>.cursor.
	CursorFile string `hcl:"cursor_file,optional"`
	// Batch is the most entries delivered in one put (batch_size).
	Batch int `hcl:"batch_size,optional"`
	// MaxFieldBytes bounds one field's value (MESSAGE included); a longer one is cut there and
	// counted as EventTruncatedCount.
	MaxFieldBytes schema.Size `hcl:"max_field_bytes,optional"`
}

// Defaults: journalctl from PATH, the current boot from its beginning, batches of 1000, fields
// of at most 1 MiB.
func Defaults() *Config {
	return &Config{Journalctl: "journalctl", CurrentBootOnly: true, Batch: 1000, MaxFieldBytes: 1 << 20}
}

// BatchLimit is the most events one put holds, checked against the channels' transaction
// capacity by the config stage; a larger put is split into transactions that fit.
func (c *Config) BatchLimit() source.BatchLimit {
	return source.BatchLimit{Events: c.Batch, Attr: "batch_size"}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Journalctl) == "" {
		errs = append(errs, schema.Errorf("journalctl", "must name the journalctl program"))
	}
	if c.Directory != "" && len(c.Files) > 0 {
		errs = append(errs, schema.Errorf("files", "give directory or files, not both"))
	}
	for _, u := range c.Units {
		if strings.TrimSpace(u) == "" {
			errs = append(errs, schema.Errorf("units", "must not hold an empty unit name"))
		}
	}
	for _, id := range c.Identifiers {
		if strings.TrimSpace(id) == "" {
			errs = append(errs, schema.Errorf("identifiers", "must not hold an empty identifier"))
		}
	}
	for _, m := range c.Matches {
		if m == "+" {
			continue
		}
		name, _, ok := strings.Cut(m, "=")
		if !ok || !validFieldName(name) {
			errs = append(errs, schema.Errorf("matches", `%q is not FIELD=value (a journal field name is A–Z, 0–9 and _) or "+"`, m))
		}
	}
	for _, attr := range []struct {
		name  string
		names []string
	}{{"fields", c.Fields}, {"exclude_fields", c.ExcludeFields}} {
		for _, f := range attr.names {
			if !validFieldName(f) {
				errs = append(errs, schema.Errorf(attr.name, "%q is not a journal field name (A–Z, 0–9 and _, not starting with a digit)", f))
			}
		}
	}
	if c.Batch < 1 {
		errs = append(errs, schema.Errorf("batch_size", "must be at least 1, got %d", c.Batch))
	}
	if c.MaxFieldBytes < 1024 {
		errs = append(errs, schema.Errorf("max_field_bytes", "must be at least 1KiB, got %v", c.MaxFieldBytes))
	}
	return errors.Join(errs...)
}

// cursorPath is the cursor file: cursor_file, or one named after the source in the agent's
// data directory.
func (c *Config) cursorPath(name, dataDir string) (string, error) {
	if c.CursorFile != "" {
		return filepath.Abs(c.CursorFile)
	}
	if dataDir == "" {
		return "", fmt.Errorf("cursor_file is not set and the agent has no data_dir: set one of them")
	}
	return filepath.Join(dataDir, "journald-"+name+".cursor"), nil
}

// args is journalctl's command line after the program, resuming after cursor when there is
// one.
func (c *Config) args(cursor string) []string {
	a := []string{"--follow", "--output=export", "--no-pager", "--quiet"}
	if c.Directory != "" {
		a = append(a, "--directory="+c.Directory)
	}
	for _, f := range c.Files {
		a = append(a, "--file="+f)
	}
	if c.CurrentBootOnly {
		a = append(a, "--boot")
	}
	// --follow alone shows only the last 10 entries, even after a cursor: say all.
	switch {
	case cursor != "":
		a = append(a, "--after-cursor="+cursor, "--lines=all")
	case c.SinceNow:
		a = append(a, "--lines=0")
	default:
		a = append(a, "--lines=all")
	}
	for _, u := range c.Units {
		a = append(a, "--unit="+u)
	}
	for _, id := range c.Identifiers {
		a = append(a, "--identifier="+id)
	}
	return append(a, c.Matches...)
}

// validFieldName reports whether name is a journal field name: upper-case letters, digits
// and underscores, not starting with a digit, at most 64 bytes.
func validFieldName(name string) bool {
	if name == "" || len(name) > maxFieldName || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if !(b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_') {
			return false
		}
	}
	return true
}
