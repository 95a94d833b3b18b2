package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager
)

// packageSpec is the packages' definition, shared by deb and rpm.
const packageSpec = "build/package/nfpm.yaml"

// pkg writes the deb or rpm of arch from build/package/nfpm.yaml, with the release's time on
// every file so that the package is reproducible.
func (r *release) pkg(format, arch, bin string, notices []byte) (string, error) {
	third := filepath.Join(r.workDir(arch), "THIRD_PARTY_LICENSES")
	if err := os.WriteFile(third, notices, 0o644); err != nil {
		return "", err
	}
	vars := map[string]string{"VERSION": r.version, "ARCH": arch, "BINARY": bin, "THIRD_PARTY": third}
	cfg, err := nfpm.ParseFileWithEnvMapping(filepath.Join(r.root, packageSpec), func(k string) string { return vars[k] })
	if err != nil {
		return "", fmt.Errorf("%s: %w", packageSpec, err)
	}
	info, err := cfg.Get(format)
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w", packageSpec, format, err)
	}
	info = nfpm.WithDefaults(info)
	info.MTime = r.date
	if err := nfpm.Validate(info); err != nil {
		return "", fmt.Errorf("%s: %s: %w", packageSpec, format, err)
	}
	packager, err := nfpm.Get(format)
	if err != nil {
		return "", err
	}
	info.Target = filepath.Join(r.out, packager.ConventionalFileName(info))
	f, err := os.Create(info.Target)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := packager.Package(info, f); err != nil {
		return "", fmt.Errorf("%s linux/%s: %w", format, arch, err)
	}
	return info.Target, f.Close()
}
