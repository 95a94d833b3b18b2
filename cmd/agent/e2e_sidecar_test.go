package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The container image and the Kubernetes sidecar example. No container engine runs here, so
// these check what can be checked without one: the config the ConfigMap carries, the manifest's
// wiring of that config, and that the Dockerfile builds the binary exactly as `make build` does.

const (
	sidecarManifest = "kubernetes/sidecar.yaml"
	repoRoot        = "../.."
)

// configMapFile returns the text of the block scalar `key: |` in the manifest, dedented.
func configMapFile(t *testing.T, manifest, key string) string {
	t.Helper()
	lines := strings.Split(manifest, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != key+": |" {
			continue
		}
		keyIndent := len(l) - len(strings.TrimLeft(l, " "))
		var body []string
		indent := -1
		for _, b := range lines[i+1:] {
			if strings.TrimSpace(b) == "" {
				body = append(body, "")
				continue
			}
			n := len(b) - len(strings.TrimLeft(b, " "))
			if n <= keyIndent {
				break
			}
			if indent < 0 {
				indent = n
			}
			if n < indent {
				t.Fatalf("%s: line %q is indented less than the block's first line", key, b)
			}
			body = append(body, b[indent:])
		}
		return strings.TrimRight(strings.Join(body, "\n"), "\n") + "\n"
	}
	t.Fatalf("no %q block scalar in the manifest", key)
	return ""
}

func TestSidecarConfigMapHoldsAValidAgent(t *testing.T) {
	b, err := os.ReadFile(example(sidecarManifest))
	if err != nil {
		t.Fatal(err)
	}
	manifest := string(b)
	hcl := configMapFile(t, manifest, "agent.hcl")
	cfg := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(cfg, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(agentBin, "validate", "-f", cfg).CombinedOutput()
	if err != nil || strings.Contains(string(out), "warning") {
		t.Fatalf("agent validate on the ConfigMap's agent.hcl: %v\n%s\n--- agent.hcl:\n%s", err, out, hcl)
	}

	// The manifest runs that file, probes the port it serves /livez on, and mounts a volume
	// under every path the config reads or writes.
	if !strings.Contains(manifest, `args: ["-f", "/etc/flumego/agent.hcl"`) || !regexp.MustCompile(`(?m)mountPath: /etc/flumego$`).MatchString(manifest) {
		t.Error("the agent container does not run -f /etc/flumego/agent.hcl from the ConfigMap's mount")
	}
	listen := regexp.MustCompile(`listen\s*=\s*"[^"]*:(\d+)"`).FindStringSubmatch(hcl)
	port := regexp.MustCompile(`containerPort: (\d+)`).FindStringSubmatch(manifest)
	if listen == nil || port == nil || listen[1] != port[1] {
		t.Errorf("metrics listen port %v and containerPort %v differ", listen, port)
	}
	// /livez, not /healthz: a degraded destination must not restart the agent, nor make the
	// application's pod unready.
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		if !regexp.MustCompile(probe + `:\s+httpGet:\s+path: /livez\s+port: metrics`).MatchString(manifest) {
			t.Errorf("%s does not GET /livez on the metrics port", probe)
		}
	}
	var mounts []string
	for _, m := range regexp.MustCompile(`mountPath: (\S+)`).FindAllStringSubmatch(manifest, -1) {
		mounts = append(mounts, m[1]+"/")
	}
	for _, m := range regexp.MustCompile(`(?m)^\s*(?:path|position_file|dir)\s*=\s*"([^"]+)"`).FindAllStringSubmatch(hcl, -1) {
		if !slices.ContainsFunc(mounts, func(mount string) bool { return strings.HasPrefix(m[1], mount) }) {
			t.Errorf("%s is on no volume (mounts: %v)", m[1], mounts)
		}
	}
	if !regexp.MustCompile(`name: app-logs\s+emptyDir:`).MatchString(manifest) {
		t.Error("the application's log volume is not an emptyDir")
	}
}

// shellWords splits a shell command line into words, honouring single and double quotes and
// backslash-newline continuations; enough for a build command line.
func shellWords(s string) []string {
	s = strings.ReplaceAll(s, "\\\n", " ")
	var words []string
	var cur strings.Builder
	in := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// withoutOutput drops "-o PATH": where the binary goes is each build's own business.
func withoutOutput(words []string) []string {
	if i := slices.Index(words, "-o"); i >= 0 && i+1 < len(words) {
		return slices.Delete(slices.Clone(words), i, i+2)
	}
	return words
}

// makeBuild returns `make build`'s command line with the Makefile's variables expanded
// (VERSION left as $VERSION).
func makeBuild(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(b)
	ldflags := regexp.MustCompile(`(?m)^LDFLAGS\s*:=\s*(.+)$`).FindStringSubmatch(mk)
	recipe := regexp.MustCompile(`(?m)^build:.*\n\t(.+)$`).FindStringSubmatch(mk)
	if ldflags == nil || recipe == nil {
		t.Fatal("the Makefile has no LDFLAGS or no build recipe")
	}
	cmd := strings.NewReplacer("$(GO)", "go", "$(LDFLAGS)", ldflags[1]).Replace(recipe[1])
	return shellWords(strings.ReplaceAll(cmd, "$(VERSION)", "$VERSION"))
}

// dockerBuild returns the Dockerfile's `go build` command line (RUN's --mount flags dropped,
// ${VERSION} written $VERSION).
func dockerBuild(t *testing.T, dockerfile string) []string {
	t.Helper()
	for _, ins := range strings.Split(strings.ReplaceAll(dockerfile, "\\\n", " "), "\n") {
		words := shellWords(strings.ReplaceAll(ins, "${VERSION}", "$VERSION"))
		if len(words) == 0 || words[0] != "RUN" || !strings.Contains(ins, "go build") {
			continue
		}
		words = words[1:]
		for len(words) > 0 && strings.HasPrefix(words[0], "--mount=") {
			words = words[1:]
		}
		return words
	}
	t.Fatal("the Dockerfile has no RUN ... go build")
	return nil
}

func TestDockerfileBuildsLikeTheMakefile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(b)
	mk, docker := makeBuild(t), dockerBuild(t, dockerfile)
	if !slices.Equal(withoutOutput(mk), withoutOutput(docker)) {
		t.Fatalf("the Dockerfile builds with\n  %q\nmake build with\n  %q", docker, mk)
	}
	if !slices.Contains(docker, "CGO_ENABLED=0") || !slices.Contains(docker, "-trimpath") {
		t.Errorf("the image's binary is not built static and trimmed: %q", docker)
	}

	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(dockerfile, -1)
	if len(froms) < 2 {
		t.Fatalf("the Dockerfile is not multi-stage: %v", froms)
	}
	if base := froms[len(froms)-1][1]; !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("the final stage is based on %s, want distroless/static or scratch", base)
	}
	user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindStringSubmatch(dockerfile)
	if user == nil || user[1] == "root" || strings.HasPrefix(user[1], "0") {
		t.Errorf("the image runs as %v, want a non-root USER", user)
	}
	entry := regexp.MustCompile(`(?m)^ENTRYPOINT \["([^"]+)"`).FindStringSubmatch(dockerfile)
	if entry == nil || !strings.Contains(dockerfile, "/out/agent "+entry[1]) {
		t.Errorf("ENTRYPOINT %v is not where the binary is copied", entry)
	}
}

// TestDockerfileBuildCommandMakesAStaticBinary runs the Dockerfile's build command as it is
// written. It compiles the whole agent once more with -trimpath (a minute or more on a cold
// cache), so it runs only when FLUMEGO_TEST_IMAGE_BUILD=1.
func TestDockerfileBuildCommandMakesAStaticBinary(t *testing.T) {
	if os.Getenv("FLUMEGO_TEST_IMAGE_BUILD") != "1" {
		t.Skip("set FLUMEGO_TEST_IMAGE_BUILD=1 to build the image's binary (a full -trimpath build)")
	}
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	words := dockerBuild(t, string(b))
	bin := filepath.Join(t.TempDir(), "agent")
	var env []string
	for len(words) > 0 && strings.Contains(words[0], "=") {
		env, words = append(env, words[0]), words[1:]
	}
	if i := slices.Index(words, "-o"); i >= 0 {
		words[i+1] = bin
	}
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, "$VERSION", "image-test")
		if w == "./cmd/agent" {
			words[i] = "."
		}
	}
	build := exec.Command(words[0], words[1:]...)
	build.Env = append(os.Environ(), env...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%q: %v\n%s", words, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary needs a dynamic loader: it would not run on distroless/static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary links %v", libs)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "image-test") {
		t.Errorf("%s version: %v %s", bin, err, out)
	}
}
