package taildir

import (
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/flumego/flumego/config/flume"
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
		glob, exact, anyChar := regexToGlob(file)
		switch {
		case !exact:
			c.Note(p, true, "Flume reads the file name %q as a regular expression; flumego takes a glob, and %q is the nearest one that matches every name the expression did (and more): check it", file, glob)
		case anyChar:
			c.Note(p, true, "Flume reads the file name %q as a regular expression, where a lone . is any character: written as the glob %q, which matches as much (a name such as %q too); write \\. in the expression, or . in the glob, for a dot", file, glob, example(glob))
		case glob != file:
			c.Note(p, true, "Flume reads the file name %q as a regular expression; written as the glob %q", file, glob)
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

// regexToGlob turns the file-name part of a Flume TAILDIR file group — a Java regular
// expression that must match the whole name — into a glob. exact is false when the expression
// uses what a glob cannot say (alternation, groups, repetition of anything but "any
// character", \s ...); the glob returned then matches at least what the expression did, with
// `*` in place of those parts. A lone "." is any character, as in the expression: the glob's
// "?" (anyChar reports one), so `.*.log` becomes `*?log`, which matches access_log as Flume did.
func regexToGlob(re string) (glob string, exact, anyChar bool) {
	s := strings.TrimSuffix(strings.TrimPrefix(re, "^"), "$")
	if topLevelAlternation(s) {
		return "*", false, false
	}
	exact = true
	var atoms []string // one glob piece per regex atom, so a quantifier can replace its atom
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '.':
			switch {
			case i+1 < len(s) && s[i+1] == '*':
				atoms = append(atoms, "*")
				i++
			case i+1 < len(s) && s[i+1] == '+':
				atoms = append(atoms, "?*")
				i++
			default:
				atoms = append(atoms, "?")
				anyChar = true
			}
		case '\\':
			if i+1 >= len(s) {
				exact = false
				continue
			}
			i++
			switch n := s[i]; {
			case n == 'd':
				atoms = append(atoms, "[0-9]")
			case n == 'w':
				atoms = append(atoms, "[A-Za-z0-9_]")
			case n == '*' || n == '?' || n == '[' || n == ']' || n == '\\':
				atoms = append(atoms, `\`+string(n))
			case isWordByte(n): // \s, \b, \p{...}: no glob equivalent
				exact = false
				atoms = append(atoms, "*")
			default:
				atoms = append(atoms, string(n))
			}
		case '[':
			end := -1
			if i+2 < len(s) {
				end = strings.IndexByte(s[i+2:], ']') // a ']' right after '[' belongs to the class
			}
			if end < 0 {
				return "*", false, false
			}
			class := s[i : i+end+3]
			if strings.ContainsAny(class[1:len(class)-1], `\[&`) {
				exact = false
				atoms = append(atoms, "*")
			} else {
				atoms = append(atoms, class)
			}
			i += end + 2
		case '(':
			depth, j := 0, i
			for ; j < len(s); j++ {
				if s[j] == '\\' {
					j++
					continue
				}
				if s[j] == '(' {
					depth++
				} else if s[j] == ')' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			exact = false
			atoms = append(atoms, "*")
			i = j
		case '+':
			// One or more of the atom before: keep one, then anything.
			exact = false
			atoms = append(atoms, "*")
		case '*', '?', '{':
			// Zero or more of the atom before: it may be absent, so it becomes anything.
			exact = false
			if len(atoms) > 0 {
				atoms[len(atoms)-1] = "*"
			} else {
				atoms = append(atoms, "*")
			}
			if c == '{' {
				if end := strings.IndexByte(s[i:], '}'); end > 0 {
					i += end
				}
			}
			if i+1 < len(s) && (s[i+1] == '?' || s[i+1] == '+') { // lazy or possessive
				i++
			}
		case ')', '^', '$':
			exact = false
			atoms = append(atoms, "*")
		default:
			atoms = append(atoms, string(c))
		}
	}
	glob = strings.Join(atoms, "")
	for strings.Contains(glob, "**") {
		glob = strings.ReplaceAll(glob, "**", "*")
	}
	return glob, exact, anyChar && exact
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// topLevelAlternation reports a '|' outside any group or class.
func topLevelAlternation(s string) bool {
	depth, class := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case class:
			if c == ']' {
				class = false
			}
		case c == '[':
			class = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			return true
		}
	}
	return false
}
