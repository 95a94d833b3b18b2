package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// imageStage is the Dockerfile's last stage as the image needs it: one layer's files and the
// config. tools/dist builds the image from the Dockerfile itself, so the two cannot drift.
type imageStage struct {
	copies     []imageCopy
	config     v1.Config
	dockerfile string
}

// imageCopy is one COPY: sources (relative to the repository, or a path of the build stage)
// into dst, owned by o.
type imageCopy struct {
	fromBuild bool
	srcs      []string
	dst       string
	o         owner
}

// The build stage's outputs that the last stage copies: the agent, and an empty directory.
const (
	buildBinary   = "/out/agent"
	buildStateDir = "/out/state"
)

// readImageStage interprets the last stage of the Dockerfile: ARG, COPY (of the context or of
// the build stage's outputs), ENV, USER, WORKDIR, EXPOSE, LABEL, ENTRYPOINT and CMD. Anything else
// is an error, so an instruction the image builder would ignore cannot creep in.
func readImageStage(file string, vars map[string]string) (*imageStage, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(bytes.ReplaceAll(b, []byte("\\\n"), []byte(" "))))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	last := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.ToUpper(l), "FROM ") {
			last = i
		}
	}
	if last < 0 || strings.Fields(lines[last])[1] != "scratch" {
		return nil, fmt.Errorf("%s: the last stage must be FROM scratch", file)
	}
	st := &imageStage{dockerfile: file, config: v1.Config{Labels: map[string]string{}, ExposedPorts: map[string]struct{}{}}}
	args := map[string]string{}
	expand := func(s string) string {
		return os.Expand(s, func(k string) string {
			if v, ok := vars[k]; ok {
				return v
			}
			return args[k]
		})
	}
	for _, l := range lines[last+1:] {
		ins, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(ins) {
		case "ARG":
			k, v, _ := strings.Cut(rest, "=")
			args[k] = v
		case "COPY":
			c, err := parseCopy(words(expand(rest)))
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", file, l, err)
			}
			st.copies = append(st.copies, c)
		case "ENV":
			k, v, ok := strings.Cut(expand(rest), "=")
			if !ok {
				return nil, fmt.Errorf("%s: ENV %q is not KEY=VALUE", file, rest)
			}
			st.config.Env = append(st.config.Env, k+"="+v)
		case "USER":
			st.config.User = expand(rest)
		case "WORKDIR":
			st.config.WorkingDir = expand(rest)
		case "EXPOSE":
			for _, p := range strings.Fields(rest) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				st.config.ExposedPorts[p] = struct{}{}
			}
		case "LABEL":
			for _, kv := range words(expand(rest)) {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return nil, fmt.Errorf("%s: LABEL %q is not KEY=VALUE", file, kv)
				}
				st.config.Labels[k] = v
			}
		case "ENTRYPOINT", "CMD":
			var argv []string
			if err := json.Unmarshal([]byte(rest), &argv); err != nil {
				return nil, fmt.Errorf("%s: %s must be a JSON array: %w", file, ins, err)
			}
			if strings.ToUpper(ins) == "CMD" {
				st.config.Cmd = argv
			} else {
				st.config.Entrypoint = argv
			}
		default:
			return nil, fmt.Errorf("%s: %s in the last stage is not something the image builder does", file, ins)
		}
	}
	return st, nil
}

func parseCopy(w []string) (imageCopy, error) {
	var c imageCopy
	for len(w) > 0 && strings.HasPrefix(w[0], "--") {
		k, v, _ := strings.Cut(w[0], "=")
		switch k {
		case "--from":
			if v != "build" {
				return c, fmt.Errorf("COPY --from=%s: only the build stage", v)
			}
			c.fromBuild = true
		case "--chown":
			u, g, _ := strings.Cut(v, ":")
			uid, err1 := strconv.Atoi(u)
			gid, err2 := strconv.Atoi(g)
			if err1 != nil || err2 != nil {
				return c, fmt.Errorf("--chown=%s: use numeric ids (a scratch image has no user names)", v)
			}
			c.o = owner{uid, gid}
		default:
			return c, fmt.Errorf("COPY %s is not supported", k)
		}
		w = w[1:]
	}
	if len(w) < 2 {
		return c, fmt.Errorf("COPY needs a source and a destination")
	}
	c.srcs, c.dst = w[:len(w)-1], w[len(w)-1]
	return c, nil
}

// words splits s at spaces outside double quotes and drops the quotes.
func words(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case r == ' ' && !quoted:
			if any {
				out = append(out, cur.String())
				cur.Reset()
				any = false
			}
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, cur.String())
	}
	return out
}

// layer writes the stage's files for one architecture as an uncompressed tar, with Docker's
// COPY meaning: a directory source copies its contents, several sources go into a directory.
func (st *imageStage) layer(root, bin string, r *release) ([]byte, error) {
	var buf bytes.Buffer
	t := newTarWriter(&buf, r.date)
	for _, c := range st.copies {
		for _, src := range c.srcs {
			dst := c.dst
			if strings.HasSuffix(dst, "/") && len(c.srcs) > 1 || strings.HasSuffix(dst, "/") && !strings.HasSuffix(src, "/") {
				dst = path.Join(dst, path.Base(src))
			}
			var err error
			switch {
			case c.fromBuild && src == buildBinary:
				err = t.copyFile(dst, bin, c.o)
			case c.fromBuild && src == buildStateDir:
				err = t.dir(dst, 0o755, c.o)
			case c.fromBuild:
				err = fmt.Errorf("COPY --from=build %s: the image builder knows only %s and %s", src, buildBinary, buildStateDir)
			default:
				p := filepath.Join(root, filepath.FromSlash(src))
				var fi os.FileInfo
				if fi, err = os.Stat(p); err == nil && fi.IsDir() {
					err = t.copyTree(dst, p, c.o)
				} else if err == nil {
					err = t.copyFile(dst, p, c.o)
				}
			}
			if err != nil {
				return nil, fmt.Errorf("%s: COPY %s %s: %w", st.dockerfile, src, c.dst, err)
			}
		}
	}
	if err := t.close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ociImage builds the multi-arch image from the Dockerfile's last stage, writes it as an OCI
// layout (tagged with the version) and that layout as a tarball (skopeo's oci-archive), and
// returns the tarball.
func (r *release) ociImage(bins map[string]string) (string, error) {
	vars := map[string]string{"VERSION": r.version, "COMMIT": r.commit, "DATE": r.date.Format("2006-01-02T15:04:05Z")}
	st, err := readImageStage(filepath.Join(r.root, "Dockerfile"), vars)
	if err != nil {
		return "", err
	}
	created := v1.Time{Time: r.date}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range r.archs {
		data, err := st.layer(r.root, bins[arch], r)
		if err != nil {
			return "", err
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		}, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return "", err
		}
		cfg := &v1.ConfigFile{Architecture: arch, OS: "linux", Created: created, Config: st.config,
			RootFS: v1.RootFS{Type: "layers"}}
		img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
		if img, err = mutate.ConfigFile(img, cfg); err != nil {
			return "", err
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.OCILayer,
			History: v1.History{Created: created, CreatedBy: "tools/dist: the last stage of Dockerfile"}})
		if err != nil {
			return "", err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	idx = mutate.Annotations(idx, st.config.Labels).(v1.ImageIndex)

	dir := r.layoutDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", err
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": r.version,
		"io.containerd.image.name":          r.imageRef(),
	})); err != nil {
		return "", err
	}
	out := dir + ".tar"
	f, err := os.Create(out)
	if err != nil {
		return "", err
	}
	defer f.Close()
	t := newTarWriter(f, r.date)
	if err := t.copyTree(".", dir, root); err != nil {
		return "", err
	}
	if err := t.close(); err != nil {
		return "", err
	}
	return out, f.Close()
}
