// Command dist builds flumego's release artifacts from one commit, with nothing but Go and the
// module proxy: static agent binaries for linux/amd64 and linux/arm64, a .tar.gz of each with
// the README, licences, examples and systemd unit, .deb and .rpm packages (nfpm as a library:
// no dpkg-deb or rpmbuild), a multi-arch OCI image (go-containerregistry: no Docker engine) as
// an OCI layout and its tarball, and SHA256SUMS. `make dist` runs it.
//
// Every byte depends only on the commit, the Go version and the files in it: binaries are
// built by build/go-build.sh (-trimpath, no build ID, the commit's time stamped instead of the
// build's), and every archive, package and image layer is written with the commit's time,
// root (or the image user) as owner and entries in a fixed order. Two runs on one commit give
// identical files; .ci/run checks that against a second build from a fresh clone with an
// empty build cache.
//
// It lives in its own module so that nfpm and go-containerregistry stay out of the agent's.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// release is what every artifact is made from.
type release struct {
	root    string    // the repository
	out     string    // where artifacts go
	version string    // the VERSION file: 0.1.0
	commit  string    // git rev-parse HEAD
	date    time.Time // the commit's time: every file's mtime
	image   string    // the image repository, without tag
	archs   []string
}

// artifact is one file of the release.
type artifact struct {
	path string
	arch string // "" for multi-arch
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("dist: ")
	root := flag.String("root", "../..", "the repository's root")
	out := flag.String("out", "../../dist", "the directory the artifacts are written to (emptied first)")
	image := flag.String("image", "ghcr.io/flumego/agent", "the image repository the tag is printed for")
	archs := flag.String("arch", "amd64,arm64", "the linux architectures to build")
	version := flag.String("version", "", "the release's version (default: the VERSION file); the upgrade check builds an older one")
	flag.Parse()

	start := time.Now()
	r, err := newRelease(*root, *out, *image, *version, strings.Split(*archs, ","))
	if err != nil {
		log.Fatal(err)
	}
	arts, err := r.build()
	if err != nil {
		log.Fatal(err)
	}
	if err := r.writeSums(arts); err != nil {
		log.Fatal(err)
	}
	for _, a := range arts {
		st, err := os.Stat(a.path)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-58s %8.1f MiB\n", rel(r.out, a.path), float64(st.Size())/(1<<20))
	}
	fmt.Printf("image: %s (OCI layout %s)\n", r.imageRef(), r.layoutDir())
	fmt.Printf("built %s (commit %s) in %s\n", r.version, r.commit, time.Since(start).Round(time.Second))
}

func newRelease(root, out, image, version string, archs []string) (*release, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if out, err = filepath.Abs(out); err != nil {
		return nil, err
	}
	v, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		return nil, err
	}
	// The package definition names its files relative to the repository.
	if err := os.Chdir(root); err != nil {
		return nil, err
	}
	if version == "" {
		version = strings.TrimSpace(string(v))
	}
	r := &release{root: root, out: out, version: version, image: image, archs: archs}
	if r.commit, err = git(root, "rev-parse", "HEAD"); err != nil {
		return nil, err
	}
	unix, err := git(root, "log", "-1", "--format=%ct")
	if err != nil {
		return nil, err
	}
	var secs int64
	if _, err := fmt.Sscan(unix, &secs); err != nil {
		return nil, fmt.Errorf("commit time %q: %w", unix, err)
	}
	r.date = time.Unix(secs, 0).UTC()
	if dirty, _ := git(root, "status", "--porcelain", "--untracked-files=no"); dirty != "" {
		log.Printf("warning: the work tree has uncommitted changes: the artifacts are not exactly commit %.12s", r.commit)
	}
	if err := os.RemoveAll(out); err != nil {
		return nil, err
	}
	return r, os.MkdirAll(out, 0o755)
}

// build makes every artifact, in a fixed order.
func (r *release) build() ([]artifact, error) {
	var arts []artifact
	bins := map[string]string{}
	for _, arch := range r.archs {
		bin, err := r.binary(arch)
		if err != nil {
			return nil, err
		}
		bins[arch] = bin
		notices, err := r.thirdPartyLicenses(arch)
		if err != nil {
			return nil, err
		}
		tgz, err := r.archive(arch, bin, notices)
		if err != nil {
			return nil, err
		}
		arts = append(arts, artifact{tgz, arch})
		for _, format := range []string{"deb", "rpm"} {
			pkg, err := r.pkg(format, arch, bin, notices)
			if err != nil {
				return nil, err
			}
			arts = append(arts, artifact{pkg, arch})
		}
	}
	img, err := r.ociImage(bins)
	if err != nil {
		return nil, err
	}
	return append(arts, artifact{path: img}), nil
}

// binary builds the agent for one architecture with the repository's one build command.
func (r *release) binary(arch string) (string, error) {
	out := filepath.Join(r.workDir(arch), "agent")
	cmd := exec.Command(filepath.Join(r.root, "build", "go-build.sh"), out)
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch,
		"VERSION="+r.version, "COMMIT="+r.commit, "DATE="+r.date.Format(time.RFC3339))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build linux/%s: %w", arch, err)
	}
	return out, nil
}

// workDir holds what one architecture's artifacts are made of; it is not an artifact.
func (r *release) workDir(arch string) string { return filepath.Join(r.out, "work", "linux-"+arch) }

func (r *release) imageRef() string { return r.image + ":" + r.version }

func (r *release) layoutDir() string {
	return filepath.Join(r.out, "flumego-"+r.version+"-oci")
}

// writeSums writes SHA256SUMS in sha256sum's format, one line per artifact.
func (r *release) writeSums(arts []artifact) error {
	var lines []string
	for _, a := range arts {
		f, err := os.Open(a.path)
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
		lines = append(lines, hex.EncodeToString(h.Sum(nil))+"  "+rel(r.out, a.path))
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[66:], b[66:]) })
	return os.WriteFile(filepath.Join(r.out, "SHA256SUMS"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

func rel(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil {
		return r
	}
	return path
}
