package main

import (
	"fmt"
	"path/filepath"
)

// archive writes flumego-VERSION-linux-ARCH.tar.gz: one directory of that name holding the
// agent, README, licences and every example (configs, the systemd unit, Kubernetes manifests,
// the Grafana dashboard).
func (r *release) archive(arch, bin string, notices []byte) (string, error) {
	name := fmt.Sprintf("flumego-%s-linux-%s", r.version, arch)
	out := filepath.Join(r.out, name+".tar.gz")
	return out, writeTarGz(out, r.date, func(t *tarWriter) error {
		if err := t.copyFile(name+"/agent", bin, root); err != nil {
			return err
		}
		for _, f := range []string{"README.md", "LICENSE", "NOTICE"} {
			if err := t.copyFile(name+"/"+f, filepath.Join(r.root, f), root); err != nil {
				return err
			}
		}
		if err := t.file(name+"/THIRD_PARTY_LICENSES", notices, 0o644, root); err != nil {
			return err
		}
		return t.copyTree(name+"/examples", filepath.Join(r.root, "examples"), root)
	})
}
