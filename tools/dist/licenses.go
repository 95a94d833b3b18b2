package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// licenceFiles are the names a module's licence and notice files go by, in its root.
var licenceFiles = []string{"LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING", "NOTICE", "NOTICE.txt", "NOTICE.md", "PATENTS"}

// thirdPartyLicenses collects the licence and notice files of every module linked into the
// agent for arch (the packages it imports, not the whole module graph), in module order, so
// a binary distribution carries what those licences ask of it.
func (r *release) thirdPartyLicenses(arch string) ([]byte, error) {
	gocmd := os.Getenv("GO") // the Makefile's, as build/go-build.sh uses it
	if gocmd == "" {
		gocmd = "go"
	}
	cmd := exec.Command(gocmd, "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}} {{.Dir}}{{end}}{{end}}", "./cmd/agent")
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list the agent's modules: %w", err)
	}
	type module struct{ path, version, dir string }
	seen := map[string]bool{}
	var mods []module
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || seen[f[0]] {
			continue
		}
		seen[f[0]] = true
		mods = append(mods, module{f[0], f[1], f[2]})
	}
	slices.SortFunc(mods, func(a, b module) int { return strings.Compare(a.path, b.path) })

	var b bytes.Buffer
	fmt.Fprintf(&b, "The flumego agent %s includes the following Go modules. Their licence and notice files follow.\n", r.version)
	for _, m := range mods {
		fmt.Fprintf(&b, "\n%s\n%s %s\n%s\n", strings.Repeat("=", 78), m.path, m.version, strings.Repeat("=", 78))
		found := false
		for _, name := range licenceFiles {
			text, err := os.ReadFile(filepath.Join(m.dir, name))
			if err != nil {
				continue
			}
			found = true
			fmt.Fprintf(&b, "\n--- %s\n\n%s\n", name, bytes.TrimSpace(text))
		}
		if !found {
			return nil, fmt.Errorf("module %s %s has no licence file in %s: the release cannot say under what terms it ships it", m.path, m.version, m.dir)
		}
	}
	return b.Bytes(), nil
}
