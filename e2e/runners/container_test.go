package runners_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ---- 4. the container paths ------------------------------------------------
//
// The images are built from ./bin by tools/images/images.sh (FROM scratch, no pull;
// skipped when the image's binary-hash label matches). Every container run
// must give the exec run's bytes.

var podmanOnce struct {
	sync.Once
	skip string // why podman cannot run here
	err  error
}

// podmanReady makes sure podman can run the function image: when podman is
// missing, or the image does not run, it calls ../shared/tools/podman-sandbox.sh
// (installs podman if needed and works around this sandbox's rlimit ban; it
// rewrites podman's runtime config, so it is not run when podman already
// works). The images are built from ./bin by tools/images/images.sh (cached by the
// binary's hash). It skips only where podman cannot run at all.
func podmanReady(t *testing.T) {
	t.Helper()
	tool(t, "authconfig-fn")
	root := repoRoot(t)
	podmanOnce.Do(func() {
		script := sandboxScript(t, root)
		setup := func() bool {
			if _, err := os.Stat(script); err != nil {
				podmanOnce.skip = "podman cannot run containers here and " + script + " is missing"
				return false
			}
			if os.Geteuid() != 0 {
				podmanOnce.skip = "podman cannot run containers here and " + script + " needs root"
				return false
			}
			r := run(t, root, nil, "sh", script)
			passSandboxNotes(t, r.stderr)
			if r.err != nil || !strings.Contains(r.stdout, "podman ready") {
				podmanOnce.skip = "podman cannot run containers here (" + script + " failed: " + strings.TrimSpace(r.stderr) + ")"
				return false
			}
			return true
		}
		if _, err := exec.LookPath("podman"); err != nil && !setup() {
			return
		}
		r := run(t, root, nil, filepath.Join(root, "tools", "images", "images.sh"), "local")
		if r.err != nil {
			podmanOnce.err = &buildError{r}
			return
		}
		t.Logf("%s", strings.TrimSpace(r.stdout))
		smoke := func() result {
			return run(t, root, nil, "podman", "run", "--rm", "--network", "none", "--user", "nobody", fnImage, "help")
		}
		if smoke().err != nil {
			if !setup() {
				return
			}
			if r := smoke(); r.err != nil {
				podmanOnce.err = &buildError{r}
			}
		}
	})
	if podmanOnce.skip != "" {
		t.Skip("container paths skipped: " + podmanOnce.skip)
	}
	if podmanOnce.err != nil {
		t.Fatalf("building or running the images: %v", podmanOnce.err)
	}
}

// sandboxScript is ../shared/tools/podman-sandbox.sh next to the checkout;
// in a git worktree, next to the main checkout (the worktree's own parent
// holds only worktrees).
func sandboxScript(t *testing.T, root string) string {
	rel := filepath.Join("..", "shared", "tools", "podman-sandbox.sh")
	script := filepath.Join(root, rel)
	if _, err := os.Stat(script); err == nil {
		return script
	}
	if r := run(t, root, nil, "git", "rev-parse", "--path-format=absolute", "--git-common-dir"); r.err == nil {
		if alt := filepath.Join(filepath.Dir(strings.TrimSpace(r.stdout)), rel); alt != script {
			if _, err := os.Stat(alt); err == nil {
				return alt
			}
		}
	}
	return script
}

// passSandboxNotes shows the lines in which podman-sandbox.sh says it
// changed the machine's podman configuration: a test that rewrites
// /etc/containers must say so where the user reads the test output (the
// test log, and stderr, which `go test ./e2e/runners/` shows even without -v).
func passSandboxNotes(t *testing.T, stderr string) {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "podman-sandbox:") {
			t.Log(line)
			fmt.Fprintln(os.Stderr, line)
		}
	}
}

type buildError struct{ r result }

func (e *buildError) Error() string { return e.r.String() }

// TestImages: the images carry an /etc/passwd with nobody, run as non-root,
// have OCI labels and the binary as ENTRYPOINT; the function image runs as
// --user nobody the way kpt and kustomize start it.
func TestImages(t *testing.T) {
	podmanReady(t)
	for _, name := range []string{"authconfig-fn", "check-server"} {
		image := "localhost/meshauth/" + name + ":dev"
		r := must(t, run(t, repoRoot(t), nil, "podman", "image", "inspect", "--format",
			`{{.Config.User}}|{{json .Config.Entrypoint}}|{{index .Config.Labels "org.opencontainers.image.title"}}|{{index .Config.Labels "dev.meshauth.binary-sha256"}}`, image), "podman image inspect")
		want := "65532:65532|[\"/usr/local/bin/" + name + "\"]|" + name + "|"
		if !strings.HasPrefix(strings.TrimSpace(r.stdout), want) {
			t.Errorf("%s: got %q, want prefix %q", image, r.stdout, want)
		}
	}
	r := run(t, repoRoot(t), nil, "podman", "run", "--rm", "--network", "none", "--user", "nobody", fnImage, "help")
	if r.err != nil || !strings.Contains(r.stdout, "KRM function") {
		t.Errorf("authconfig-fn image as --user nobody: %v\n%s", r, r.stdout)
	}
}

// TestKustomizeContainer: the container annotation, docker->podman shim.
func TestKustomizeContainer(t *testing.T) {
	kustomize := tool(t, "kustomize")
	podmanReady(t)
	for _, o := range overlays(t) {
		t.Run(o, func(t *testing.T) {
			dir := copyDir(t, filepath.Join(repoRoot(t), "overlays", o))
			rewrite(t, filepath.Join(dir, "kustomization.yaml"), "transformers:\n- authconfig.yaml\n", "transformers:\n- authconfig.container.yaml\n")
			got := must(t, run(t, dir, containerEnv(t), kustomize, "build", "--enable-alpha-plugins", "."), "kustomize build (container)").stdout
			if d := cmp.Diff(readGolden(t, buildGolden(t, o)), got); d != "" {
				t.Errorf("container output differs from the exec golden:\n%s", d)
			}
		})
	}
}

// TestKubectlKustomizeContainer: kubectl kustomize cannot exec, but runs the
// container flavour, to the same bytes.
func TestKubectlKustomizeContainer(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed")
	}
	podmanReady(t)
	dir := copyDir(t, filepath.Join(repoRoot(t), "overlays", "kubeflow"))
	rewrite(t, filepath.Join(dir, "kustomization.yaml"), "transformers:\n- authconfig.yaml\n", "transformers:\n- authconfig.container.yaml\n")
	got := must(t, run(t, dir, containerEnv(t), kubectl, "kustomize", "--enable-alpha-plugins", "."), "kubectl kustomize (container)").stdout
	if d := cmp.Diff(readGolden(t, buildGolden(t, "kubeflow")), got); d != "" {
		t.Errorf("kubectl kustomize with the container differs from kustomize exec:\n%s", d)
	}
}

// TestKptRenderContainer: the Kptfile as checked in (image:), podman runtime.
func TestKptRenderContainer(t *testing.T) {
	kpt := tool(t, "kpt")
	podmanReady(t)
	for _, o := range overlays(t) {
		t.Run(o, func(t *testing.T) {
			dir := copyDir(t, filepath.Join(repoRoot(t), "overlays", o))
			gitInit(t, dir)
			must(t, run(t, dir, containerEnv(t), kpt, "fn", "render", "--image-pull-policy", "never", "--truncate-output=false", "."), "kpt fn render (container)")
			if d := cmp.Diff(readGolden(t, renderGolden(t, o)), gitDiff(t, dir)); d != "" {
				t.Errorf("container render differs from the exec render:\n%s", d)
			}
			gitCommit(t, dir, "render 1")
			must(t, run(t, dir, containerEnv(t), kpt, "fn", "render", "--image-pull-policy", "never", "."), "second kpt fn render (container)")
			if again := gitDiff(t, dir); again != "" {
				t.Errorf("a second render changed the package:\n%s", again)
			}
		})
	}
}

// TestKptEvalContainer: kpt fn eval --image on the corpus package.
func TestKptEvalContainer(t *testing.T) {
	kpt := tool(t, "kpt")
	podmanReady(t)
	dir := corpusPackage(t)
	must(t, run(t, dir, containerEnv(t), kpt, "fn", "eval", "--image", fnImage, "--image-pull-policy", "never", "--truncate-output=false", "."), "kpt fn eval --image")
	if d := cmp.Diff(readGolden(t, corpusGolden(t)), gitDiff(t, dir)); d != "" {
		t.Errorf("container eval differs from the exec eval:\n%s", d)
	}
}

// TestInvalidAuthConfigContainer: the invalid AuthConfig through the
// container paths fails the same way: non-zero, field paths shown, nothing
// written.
func TestInvalidAuthConfigContainer(t *testing.T) {
	kustomize, kpt := tool(t, "kustomize"), tool(t, "kpt")
	podmanReady(t)
	dir := brokenPackage(t)
	rewrite(t, filepath.Join(dir, "Kptfile"), "- exec: "+tool(t, "authconfig-fn"), "- image: "+fnImage)
	rewrite(t, filepath.Join(dir, "kustomization.yaml"), "transformers:\n- authconfig.yaml\n", "transformers:\n- authconfig.container.yaml\n")
	gitCommit(t, dir, "container flavour")
	wantFailure(t, dir, run(t, dir, containerEnv(t), kustomize, "build", "--enable-alpha-plugins", "."), "kustomize build (container)")
	wantFailure(t, dir, run(t, dir, containerEnv(t), kpt, "fn", "render", "--image-pull-policy", "never", "--truncate-output=false", "."), "kpt fn render (container)")
}
