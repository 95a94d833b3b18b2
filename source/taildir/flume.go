package taildir

import (
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/flumego/flumego/config/flume"
	"github.com/flumego/flumego/internal/regexglob"
)

// flumeTaildir converts Flume's TAILDIR source: its file groups' file-name regular expressions
// become globs (the nearest wider one when a glob cannot say the expression).
var flumeTaildir = &flume.Mapping{
	Flume:   "TAILDIR source",
	Aliases: []string{"taildir", "org.apache.flume.source.taildir.TaildirSource"},
	Settings: []flume.Setting{
		flume.Func(func(c *flume.Conv, p flume.Property) { c.State["filegroups"] = p }, "filegroups"),
		flume.Map("position_file", flume.AsString, "positionFile"),
		flume.Map("byte_offset_header", flume.AsBool, "byteOffsetHeader"), flume.Map("skip_to_end", flume.AsBool, "skipToEnd"),
		flume.Func(func(c *flume.Conv, p flume.Property) {
			v := c.Convert(p, flume.AsMillis)
			if d, ok := v.(flume.Duration); ok && time.Duration(d) < time.Second {
				c.Note(p, true, "idle_timeout raised from %v to flumego's minimum of 1s", time.Duration(d))
				v = flume.Duration(time.Second)
			}
			c.Set("idle_timeout", v)
		}, "idleTimeout"),
		flume.Map("write_pos_interval", flume.AsMillis, "writePosInterval"),
		flume.Map("batch_size", flume.AsInt, "batchSize"), flume.Map("max_batch_count", flume.AsInt, "maxBatchCount"),
		flume.Map("file_header", flume.AsBool, "fileHeader"), flume.Map("file_header_key", flume.AsString, "fileHeaderKey"),
	},
	Prefixes: []flume.Prefix{
		{Prefix: "filegroups.", Fn: func(*flume.Conv, flume.Property) {}}, // read by finishTaildir
		{Prefix: "headers.", Fn: func(*flume.Conv, flume.Property) {}},
	},
	Dropped: map[string]string{
		"backoffSleepIncrement": flume.WhyBackoff, "maxBackoffSleep": flume.WhyBackoff, "maxBackOffSleep": flume.WhyBackoff,
		"cachePatternMatching": "flumego matches its globs again every poll_interval and on change notifications",
	},
	Defaults: []flume.Default{{Attr: "batch_size", Value: flume.Int(100)}},
	Finish:   finishTaildir,
}

// finishTaildir builds the filegroup blocks from Flume's filegroups, filegroups.NAME and
// headers.NAME.KEY, turning each file-name regular expression into a glob.
func finishTaildir(c *flume.Conv) {
	list, ok := c.State["filegroups"].(flume.Property)
	var names []string
	if ok {
		names = strings.Fields(list.Value)
	}
	paths := map[string]flume.Property{}
	headers := map[string]*flume.Object{}
	for _, p := range c.Props {
		if g, ok := strings.CutPrefix(p.Key, "filegroups."); ok {
			paths[g] = p
			if !slices.Contains(names, g) {
				c.Drop(p, "file group %q is not listed in filegroups: Flume ignores it", g)
			}
		}
		if rest, ok := strings.CutPrefix(p.Key, "headers."); ok {
			g, k, ok := strings.Cut(rest, ".")
			switch {
			case !ok || k == "":
				c.Unknown(p)
			case !slices.Contains(names, g):
				c.Drop(p, "file group %q is not listed in filegroups: Flume ignores its headers", g)
			default:
				if headers[g] == nil {
					headers[g] = &flume.Object{}
				}
				headers[g].Set(k, c.Tmpl(p))
			}
		}
	}
	if len(names) == 0 {
		p := list
		if !ok {
			p = flume.Property{Key: "filegroups", Line: c.Line}
		}
		c.Reject(p, "no file group is listed")
		return
	}
	for _, n := range names {
		p, ok := paths[n]
		if !ok {
			c.Reject(list, "file group %q has no filegroups.%s path", n, n)
			return
		}
		g := flume.NewBlock("filegroup", n)
		dir, file := filepath.Split(p.Value)
		glob, exact, anyChar := regexglob.FromRegex(file)
		switch {
		case !exact:
			c.Note(p, true, "Flume reads the file name %q as a regular expression; flumego takes a glob, and %q is the nearest one that matches every name the expression did (and more): check it", file, glob)
		case anyChar:
			c.Note(p, true, "Flume reads the file name %q as a regular expression, where a lone . is any character: written as the glob %q, which matches as much (a name such as %q too); write \\. in the expression, or . in the glob, for a dot", file, glob, example(glob))
		case glob != file:
			c.Note(p, true, "Flume reads the file name %q as a regular expression; written as the glob %q", file, glob)
		}
		if strings.ContainsAny(dir, `*?[\`) {
			lit := literalGlob(dir)
			c.Note(p, true, "Flume takes the directory %q literally (only the file name is a regular expression), and its source fails to start when no directory has that name: written escaped, %q; if the directories were meant to match, write a glob such as /var/log/*/ by hand", dir, lit)
			dir = lit
		}
		g.Set("path", flume.String(dir+glob))
		if hs := headers[n]; hs != nil {
			g.Set("headers", hs)
		}
		c.Block.Add(g)
	}
	if c.Block.Attr("position_file") == nil {
		c.DataDir = "/var/lib/flumego"
		c.CompNote(true, "positionFile is not set: Flume keeps positions in ~/.flume/taildir_position.json, flumego in data_dir (taildir-%s.json); to resume where Flume stopped, set position_file to Flume's file (flumego reads its format)", c.Name)
	}
}

// example is a name the glob matches where the expression's lone dot matched another character.
func example(glob string) string {
	return strings.NewReplacer("*", "x", "?", "_").Replace(glob)
}

// literalGlob escapes the glob characters of a directory Flume takes literally.
func literalGlob(dir string) string {
	var b strings.Builder
	for _, r := range dir {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
