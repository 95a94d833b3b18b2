package taildir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// glob is a compiled path pattern: filepath.Match syntax in each path segment, and "**" as a
// whole segment matching any number of directories (zero included). Directories reached
// through "**" are walked without following symbolic links to directories (a link could make
// the walk endless); the other segments follow them, as filepath.Glob does. Files matched may
// be symbolic links.
type glob struct {
	root string   // the leading directories without any pattern character
	segs []string // the rest, one per path segment
}

const globDouble = "**"

// hasMeta reports whether a path segment holds a pattern character.
func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// compileGlob checks an absolute pattern and splits it at its first segment with a pattern
// character. "**" is accepted only as a whole segment, and not as the last one (it would name
// directories, not files).
func compileGlob(pattern string) (glob, error) {
	segs := strings.Split(filepath.Clean(pattern), string(filepath.Separator))
	i := 0
	for i < len(segs) && !hasMeta(segs[i]) {
		i++
	}
	g := glob{root: string(filepath.Separator) + filepath.Join(segs[:min(i, len(segs)-1)]...)}
	if i == len(segs) {
		// No pattern at all: the last segment is the file's name.
		i = len(segs) - 1
	}
	for _, s := range segs[i:] {
		if s == globDouble {
			if n := len(g.segs); n > 0 && g.segs[n-1] == globDouble {
				continue // "**/**" is "**"
			}
		} else if strings.Contains(s, globDouble) {
			return glob{}, fmt.Errorf(`"**" must be a whole path segment ("/var/log/**/*.log"), not part of %q`, s)
		} else if _, err := filepath.Match(s, ""); err != nil {
			return glob{}, fmt.Errorf("bad pattern %q: %v", s, err)
		}
		g.segs = append(g.segs, s)
	}
	if g.segs[len(g.segs)-1] == globDouble {
		return glob{}, fmt.Errorf(`"**" cannot be the last segment: name the files ("**/*.log")`)
	}
	return g, nil
}

// match reports whether path (absolute, clean) matches the pattern.
func (g glob) match(path string) bool {
	rest, ok := strings.CutPrefix(path, g.root)
	if !ok || (rest != "" && rest[0] != filepath.Separator && g.root != string(filepath.Separator)) {
		return false
	}
	return matchSegs(g.segs, strings.Split(strings.TrimPrefix(rest, string(filepath.Separator)), string(filepath.Separator)))
}

func matchSegs(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == globDouble {
			for k := 0; k <= len(name); k++ {
				if matchSegs(pat[1:], name[k:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := filepath.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// walk calls file for every path that matches (each once) and dir for every directory in
// which a new match could appear (the ones to watch for changes).
func (g glob) walk(file, dir func(path string)) {
	seen := map[string]bool{}
	g.walkFrom(g.root, g.segs, false, seen, file, dir)
}

func (g glob) walkFrom(d string, segs []string, underDouble bool, seen map[string]bool, file, dir func(string)) {
	if len(segs) == 1 {
		if seen[d] {
			return
		}
		seen[d] = true
		dir(d)
	}
	s := segs[0]
	if s == globDouble {
		// Zero directories, then one more level under the same "**".
		g.walkFrom(d, segs[1:], true, seen, file, dir)
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.IsDir() { // a symbolic link to a directory is not followed here
				g.walkFrom(filepath.Join(d, e.Name()), segs, true, seen, file, dir)
			}
		}
		return
	}
	if !hasMeta(s) {
		p := filepath.Join(d, s)
		if len(segs) == 1 {
			if _, err := os.Lstat(p); err == nil {
				file(p)
			}
			return
		}
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			g.walkFrom(p, segs[1:], underDouble, seen, file, dir)
		}
		return
	}
	entries, _ := os.ReadDir(d)
	for _, e := range entries {
		if ok, _ := filepath.Match(s, e.Name()); !ok {
			continue
		}
		p := filepath.Join(d, e.Name())
		if len(segs) == 1 {
			file(p)
			continue
		}
		isDir := e.IsDir()
		if !isDir && e.Type()&os.ModeSymlink != 0 && !underDouble {
			fi, err := os.Stat(p)
			isDir = err == nil && fi.IsDir()
		}
		if isDir {
			g.walkFrom(p, segs[1:], underDouble, seen, file, dir)
		}
	}
}

// excludes is a filegroup's exclude list: a glob without "/" is matched against a file's base
// name ("*.gz" excludes every compressed rotation), one with "/" against its absolute path.
type excludes struct {
	names []string
	paths []glob
}

func compileExcludes(list []string) (excludes, error) {
	var x excludes
	for _, e := range list {
		if !strings.ContainsRune(e, filepath.Separator) {
			if e == "" || strings.Contains(e, globDouble) {
				return excludes{}, fmt.Errorf("bad exclude pattern %q: want a file name glob (\"*.gz\") or an absolute path glob", e)
			}
			if _, err := filepath.Match(e, ""); err != nil {
				return excludes{}, fmt.Errorf("bad exclude pattern %q: %v", e, err)
			}
			x.names = append(x.names, e)
			continue
		}
		if !filepath.IsAbs(e) {
			return excludes{}, fmt.Errorf("exclude pattern %q has a directory but is not absolute", e)
		}
		g, err := compileGlob(e)
		if err != nil {
			return excludes{}, fmt.Errorf("bad exclude pattern %q: %v", e, err)
		}
		x.paths = append(x.paths, g)
	}
	return x, nil
}

func (x excludes) match(path string) bool {
	base := filepath.Base(path)
	for _, n := range x.names {
		if ok, _ := filepath.Match(n, base); ok {
			return true
		}
	}
	for _, g := range x.paths {
		if g.match(path) {
			return true
		}
	}
	return false
}
