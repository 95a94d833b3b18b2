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
	hcl := configMapFile(t, manifest, "flume.hcl")
	validateHCL(t, hcl)

	// The manifest runs that file, probes the port it serves /livez on, and mounts a volume
	// under every path the config reads or writes.
	if !strings.Contains(manifest, `args: ["-f", "/etc/flumego/flume.hcl"`) || !regexp.MustCompile(`(?m)mountPath: /etc/flumego$`).MatchString(manifest) {
		t.Error("the agent container does not run -f /etc/flumego/flume.hcl from the ConfigMap's mount")
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
	assertPathsMounted(t, manifest, hcl)
	if !regexp.MustCompile(`name: app-logs\s+emptyDir:`).MatchString(manifest) {
		t.Error("the application's log volume is not an emptyDir")
	}
}

// assertPathsMounted checks that every path the config reads or writes (path, position_file,
// dir; the default of an env() too) is under one of the manifest's volume mounts.
func assertPathsMounted(t *testing.T, manifest, hcl string) {
	t.Helper()
	var mounts []string
	for _, m := range regexp.MustCompile(`mountPath: (\S+)`).FindAllStringSubmatch(manifest, -1) {
		mounts = append(mounts, m[1]+"/")
	}
	paths := regexp.MustCompile(`(?m)^\s*(?:path|position_file|dir)\s*=\s*(?:env\("[^"]+",\s*)?"([^"]+)"`).FindAllStringSubmatch(hcl, -1)
	if len(paths) == 0 {
		t.Error("the config names no path")
	}
	for _, m := range paths {
		if !slices.ContainsFunc(mounts, func(mount string) bool { return strings.HasPrefix(m[1], mount) }) {
			t.Errorf("%s is on no volume (mounts: %v)", m[1], mounts)
		}
	}
}

// validateHCL runs agent validate on a config text, failing on an error or a warning.
func validateHCL(t *testing.T, hcl string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "flume.hcl")
	if err := os.WriteFile(cfg, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(agentBin, "validate", "-f", cfg).CombinedOutput()
	if err != nil || strings.Contains(string(out), "warning") {
		t.Fatalf("agent validate on the manifest's flume.hcl: %v\n%s\n--- flume.hcl:\n%s", err, out, hcl)
	}
	return cfg
}

// TestManifestsUseTheReleasedImage checks that every manifest names the image `make dist`
// builds: ghcr.io/flumego/agent tagged with the VERSION file, never a tag that exists nowhere.
func TestManifestsUseTheReleasedImage(t *testing.T) {
	v, err := os.ReadFile(filepath.Join(repoRoot, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	want := "ghcr.io/flumego/agent:" + strings.TrimSpace(string(v))
	manifests, _ := filepath.Glob(example("kubernetes/*.yaml"))
	if len(manifests) == 0 {
		t.Fatal("no manifests in examples/kubernetes")
	}
	for _, m := range manifests {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		images := regexp.MustCompile(`(?m)^\s*(?:-\s*)?image:\s*(\S*flumego\S*)`).FindAllStringSubmatch(string(b), -1)
		if len(images) == 0 {
			t.Errorf("%s runs no flumego image", m)
		}
		for _, img := range images {
			if img[1] != want {
				t.Errorf("%s runs %s, want %s (what make dist builds)", m, img[1], want)
			}
		}
	}
}

// buildScript is the one command that builds the agent, for make build, make dist and the
// Dockerfile alike.
const buildScript = "build/go-build.sh"

// TestEveryBuildUsesTheOneBuildCommand checks that `make build` and the Dockerfile build the
// binary with build/go-build.sh (make dist runs it too), and that the image runs that binary
// as a non-root user from an empty base.
func TestEveryBuildUsesTheOneBuildCommand(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^build:.*\n\t.*` + regexp.QuoteMeta(buildScript) + ` bin/agent`).Match(mk) {
		t.Errorf("make build does not run %s", buildScript)
	}
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := strings.ReplaceAll(string(b), "\\\n", " ")
	if !regexp.MustCompile(`(?m)^RUN .*` + regexp.QuoteMeta(buildScript) + ` /out/agent$`).MatchString(dockerfile) {
		t.Errorf("the Dockerfile does not build with %s /out/agent", buildScript)
	}
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(dockerfile, -1)
	if len(froms) < 2 || froms[len(froms)-1][1] != "scratch" {
		t.Fatalf("the image is not a multi-stage build onto scratch: %v", froms)
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

// TestBuildScriptMakesAStaticStampedBinary runs build/go-build.sh as the releases do. It
// compiles the whole agent once more with -trimpath (a minute or more on a cold cache), so it
// runs only when FLUMEGO_TEST_IMAGE_BUILD=1; .ci/run checks make dist's binaries anyway.
func TestBuildScriptMakesAStaticStampedBinary(t *testing.T) {
	if os.Getenv("FLUMEGO_TEST_IMAGE_BUILD") != "1" {
		t.Skip("set FLUMEGO_TEST_IMAGE_BUILD=1 to run the release build (a full -trimpath build)")
	}
	bin := filepath.Join(t.TempDir(), "agent")
	build := exec.Command(filepath.Join(repoRoot, buildScript), bin)
	build.Env = append(os.Environ(), "VERSION=image-test", "COMMIT=0123456789abcdef", "DATE=2026-01-02T03:04:05Z")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", buildScript, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary needs a dynamic loader: it would not run on an empty base image")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary links %v", libs)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if want := "flumego agent image-test (commit 0123456789abcdef, built 2026-01-02T03:04:05Z, "; err != nil || !strings.HasPrefix(string(out), want) {
		t.Errorf("%s version: %v %q, want prefix %q", bin, err, out, want)
	}
}
