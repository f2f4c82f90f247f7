// Package runners proves authconfig-fn runs, for real, in the tools users
// already have: kustomize (exec and container), kpt fn render and fn eval
// (exec and container), and kubectl kustomize (container only), over every
// overlay in overlays/ — and that every path produces the same bytes.
//
// Inputs come from ./bin (make build kustomize kpt) and, for the container
// paths, podman images built from ./bin by tools/images/images.sh (cached by the
// binary's hash). Goldens: overlays/<name>/.expected/ (kustomize-build.yaml,
// diff.patch as in the kpt function catalog) and
// e2e/runners/testdata/corpus-package/.expected/diff.patch. Update with
//
//	go test ./e2e/runners -update
//
// and review the diff like code.
package runners_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the .expected goldens")

const (
	fnImage       = "localhost/meshauth/authconfig-fn:dev"
	execAnnot     = "      exec:\n        path: ../../bin/authconfig-fn\n"
	containerAnno = "      container:\n        image: " + fnImage + "\n"
)

// ---- paths and tools -------------------------------------------------------

var rootOnce struct {
	sync.Once
	dir string
	err error
}

func repoRoot(t *testing.T) string {
	t.Helper()
	rootOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		dir := filepath.Dir(file)
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				rootOnce.dir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootOnce.err = errors.New("go.mod not found above " + filepath.Dir(file))
				return
			}
			dir = parent
		}
	})
	if rootOnce.err != nil {
		t.Fatal(rootOnce.err)
	}
	return rootOnce.dir
}

// tool returns ./bin/<name>; a missing binary fails the test (skips it under
// -short) with the make target that builds it.
func tool(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "bin", name)
	if _, err := os.Stat(p); err != nil {
		target := map[string]string{"authconfig-fn": "make build", "kustomize": "make kustomize", "kpt": "make kpt"}[name]
		if testing.Short() {
			t.Skipf("%s missing (-short): run %s", p, target)
		}
		t.Fatalf("%s missing: run make build / make kustomize / make kpt (here: %s)", p, target)
	}
	return p
}

func overlays(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(repoRoot(t), "overlays", "*", "kustomization.yaml"))
	if err != nil || len(dirs) < 4 {
		t.Fatalf("want the four overlays, found %d: %v", len(dirs), err)
	}
	var names []string
	for _, d := range dirs {
		names = append(names, filepath.Base(filepath.Dir(d)))
	}
	return names
}

// ---- running commands ------------------------------------------------------

type result struct {
	stdout, stderr string
	err            error
}

func (r result) String() string {
	return fmt.Sprintf("err=%v\nstderr:\n%s", r.err, r.stderr)
}

func run(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(t), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return result{out.String(), errb.String(), err}
}

func must(t *testing.T, r result, what string) result {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s: %v", what, r)
	}
	return r
}

func baseEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "KPT_") {
			env = append(env, kv)
		}
	}
	root := repoRoot(t)
	return append(env,
		"PATH="+filepath.Join(root, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=runners", "GIT_AUTHOR_EMAIL=runners@meshauth.invalid",
		"GIT_COMMITTER_NAME=runners", "GIT_COMMITTER_EMAIL=runners@meshauth.invalid",
		"GIT_AUTHOR_DATE=2000-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2000-01-01T00:00:00Z")
}

// containerEnv puts the docker->podman shim first on PATH (kustomize and
// kubectl call `docker`) and makes kpt use podman.
func containerEnv(t *testing.T) []string {
	root := repoRoot(t)
	return []string{
		"PATH=" + filepath.Join(root, "tools", "images", "docker-shim") + string(os.PathListSeparator) +
			filepath.Join(root, "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
		"KPT_FN_RUNTIME=podman",
	}
}

// ---- packages on disk ------------------------------------------------------

// copyDir copies src to a fresh temp dir (regular files only).
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func rewrite(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(file, bytes.ReplaceAll(b, []byte(old), []byte(new)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func gitInit(t *testing.T, dir string) {
	t.Helper()
	must(t, run(t, dir, nil, "git", "init", "-q"), "git init")
	must(t, run(t, dir, nil, "git", "add", "-A"), "git add")
	must(t, run(t, dir, nil, "git", "commit", "-q", "-m", "package"), "git commit")
}

// gitDiff stages everything and returns the diff against the commit: new
// files, edits and deletions alike.
func gitDiff(t *testing.T, dir string) string {
	t.Helper()
	must(t, run(t, dir, nil, "git", "add", "-A"), "git add")
	return must(t, run(t, dir, nil, "git", "diff", "--cached", "--no-color", "--no-renames", "--full-index"), "git diff").stdout
}

func gitCommit(t *testing.T, dir, msg string) {
	t.Helper()
	must(t, run(t, dir, nil, "git", "add", "-A"), "git add")
	must(t, run(t, dir, nil, "git", "commit", "-q", "--allow-empty", "-m", msg), "git commit")
}

// execPackage copies an overlay and points its Kptfile at ./bin/authconfig-fn
// by absolute path (kpt resolves a relative exec path against its cwd).
func execPackage(t *testing.T, overlay string) string {
	t.Helper()
	dir := copyDir(t, filepath.Join(repoRoot(t), "overlays", overlay))
	rewrite(t, filepath.Join(dir, "Kptfile"), "- image: "+fnImage, "- exec: "+tool(t, "authconfig-fn"))
	return dir
}

// ---- goldens ---------------------------------------------------------------

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./e2e/runners -update and review)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); if intended, run go test ./e2e/runners -update and review:\n%s", path, diff)
	}
}

func readGolden(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the exec tests with -update first)", err)
	}
	return string(b)
}

func buildGolden(t *testing.T, overlay string) string {
	return filepath.Join(repoRoot(t), "overlays", overlay, ".expected", "kustomize-build.yaml")
}

func renderGolden(t *testing.T, overlay string) string {
	return filepath.Join(repoRoot(t), "overlays", overlay, ".expected", "diff.patch")
}

func corpusGolden(t *testing.T) string {
	return filepath.Join(repoRoot(t), "e2e", "runners", "testdata", "corpus-package", ".expected", "diff.patch")
}

var deletedFile = regexp.MustCompile(`(?m)^deleted file mode`)

// ---- the overlays themselves -----------------------------------------------

// TestContainerFlavourInStep: authconfig.container.yaml is authconfig.yaml
// with the container annotation instead of exec, nothing else.
func TestContainerFlavourInStep(t *testing.T) {
	for _, o := range overlays(t) {
		dir := filepath.Join(repoRoot(t), "overlays", o)
		execB, err1 := os.ReadFile(filepath.Join(dir, "authconfig.yaml"))
		contB, err2 := os.ReadFile(filepath.Join(dir, "authconfig.container.yaml"))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", o, err1, err2)
		}
		body := func(b []byte, annot string) string {
			s := string(b)
			if !strings.Contains(s, annot) {
				t.Errorf("%s: lacks the annotation %q", o, annot)
			}
			s = strings.Replace(s, annot, "", 1)
			return s[strings.Index(s, "apiVersion:"):] // the head comments differ
		}
		if diff := cmp.Diff(body(execB, execAnnot), body(contB, containerAnno)); diff != "" {
			t.Errorf("%s: authconfig.container.yaml drifted from authconfig.yaml:\n%s", o, diff)
		}
		k, _ := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
		if !strings.Contains(string(k), "transformers:\n- authconfig.yaml\n") {
			t.Errorf("%s: kustomization.yaml must list authconfig.yaml under transformers:", o)
		}
		if kf, _ := os.ReadFile(filepath.Join(dir, "Kptfile")); !strings.Contains(string(kf), "- image: "+fnImage+"\n    configPath: authconfig.yaml\n") {
			t.Errorf("%s: Kptfile must run %s with configPath: authconfig.yaml", o, fnImage)
		}
		for _, f := range []string{".krmignore", "README.md"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: %v", o, err)
			}
		}
		secrets, _ := filepath.Glob(filepath.Join(dir, "secrets", "*"))
		for _, s := range secrets {
			if b, _ := os.ReadFile(s); !bytes.HasPrefix(b, []byte("FAKE-")) {
				t.Errorf("%s holds something other than an obviously fake example value", s)
			}
		}
	}
}

// ---- 1. kustomize, exec ----------------------------------------------------

func TestKustomizeExec(t *testing.T) {
	kustomize := tool(t, "kustomize")
	tool(t, "authconfig-fn")
	for _, o := range overlays(t) {
		t.Run(o, func(t *testing.T) {
			r := must(t, run(t, filepath.Join(repoRoot(t), "overlays", o), nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "."), "kustomize build")
			if !strings.Contains(r.stdout, "kind: AuthorizationPolicy") {
				t.Errorf("the function did not run: no AuthorizationPolicy in the output")
			}
			golden(t, buildGolden(t, o), r.stdout)
		})
	}
}

// ---- 2. kpt fn render, exec ------------------------------------------------

// TestKptRenderExec renders a git-committed copy of every overlay: the
// components are written and the upstream objects patched (compared with
// .expected/diff.patch), nothing is deleted, and a second render changes
// nothing. The rendered package then builds with plain kustomize, through
// the written components instead of the function, to the same bytes as the
// function under kustomize.
func TestKptRenderExec(t *testing.T) {
	kpt := tool(t, "kpt")
	kustomize := tool(t, "kustomize")
	for _, o := range overlays(t) {
		t.Run(o, func(t *testing.T) {
			dir := execPackage(t, o)
			gitInit(t, dir)
			r := must(t, run(t, dir, nil, kpt, "fn", "render", "--allow-exec", "--truncate-output=false", "."), "kpt fn render")
			diff := gitDiff(t, dir)
			if deletedFile.MatchString(diff) {
				t.Errorf("kpt deleted files (the function dropped their items):\n%s", diff)
			}
			if !strings.Contains(diff, "+++ b/components/oauth2-proxy/kustomization.yaml") {
				t.Errorf("no components written; kpt said:\n%s", r.stderr)
			}
			golden(t, renderGolden(t, o), diff)

			gitCommit(t, dir, "render 1")
			must(t, run(t, dir, nil, kpt, "fn", "render", "--allow-exec", "."), "second kpt fn render")
			if again := gitDiff(t, dir); again != "" {
				t.Errorf("a second render changed the package:\n%s", again)
			}

			// the function over its own kpt output changes nothing under kustomize either
			rewrite(t, filepath.Join(dir, "authconfig.yaml"), "path: ../../bin/authconfig-fn", "path: "+tool(t, "authconfig-fn"))
			want := readGolden(t, buildGolden(t, o))
			got := must(t, run(t, dir, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "."), "kustomize build of the rendered package").stdout
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("kustomize over the kpt-rendered package differs from kustomize over the overlay:\n%s", d)
			}
			// and the written components, with no function at all, give the same bytes
			comps, _ := filepath.Glob(filepath.Join(dir, "components", "*", "kustomization.yaml"))
			var list strings.Builder
			list.WriteString("components:\n")
			for _, c := range comps {
				rel, _ := filepath.Rel(dir, filepath.Dir(c))
				list.WriteString("- " + filepath.ToSlash(rel) + "\n")
			}
			rewrite(t, filepath.Join(dir, "kustomization.yaml"), "transformers:\n- authconfig.yaml\n", list.String())
			got = must(t, run(t, dir, nil, kustomize, "build", "."), "kustomize build with the rendered components").stdout
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("the kpt-written components build to other bytes than the function under kustomize:\n%s", d)
			}
		})
	}
}

// ---- 3. kpt fn eval, exec, on the upstream corpus --------------------------

func corpusPackage(t *testing.T) string {
	t.Helper()
	dir := copyDir(t, filepath.Join(repoRoot(t), "e2e", "runners", "testdata", "corpus-package"))
	if err := os.RemoveAll(filepath.Join(dir, ".expected")); err != nil {
		t.Fatal(err)
	}
	gitInit(t, dir)
	return dir
}

// TestKptEvalExec: `kpt fn eval --exec` (no --fn-config: the AuthConfig is
// found in the package) on the corpus istio install, Dex and dashboard
// patches them in place and writes the components; a second eval changes
// nothing.
func TestKptEvalExec(t *testing.T) {
	kpt, fnBin := tool(t, "kpt"), tool(t, "authconfig-fn")
	dir := corpusPackage(t)
	r := must(t, run(t, dir, nil, kpt, "fn", "eval", "--exec", fnBin, "--truncate-output=false", "."), "kpt fn eval")
	diff := gitDiff(t, dir)
	for _, want := range []string{
		"+    - envoyExtAuthzHttp:",                           // mesh config, istio-install-base.yaml
		"+        - name: PILOT_JWT_PUB_KEY_REFRESH_INTERVAL", // istiod
		"+    - id: oauth2-proxy",                             // Dex's static client
		"+        exact: /logout",                             // dashboard VirtualService
		"+++ b/components/oauth2-proxy/deployment-oauth2-proxy.yaml",
	} {
		if !strings.Contains(diff, want) {
			t.Errorf("eval output lacks %q; kpt said:\n%s", want, r.stderr)
		}
	}
	if deletedFile.MatchString(diff) {
		t.Errorf("kpt deleted files:\n%s", diff)
	}
	golden(t, corpusGolden(t), diff)
	gitCommit(t, dir, "eval 1")
	must(t, run(t, dir, nil, kpt, "fn", "eval", "--exec", fnBin, "."), "second kpt fn eval")
	if again := gitDiff(t, dir); again != "" {
		t.Errorf("a second eval changed the package:\n%s", again)
	}
}

// ---- 5. invalid AuthConfig -------------------------------------------------

const brokenSpec = `  oauth2Proxy:
    cookie: {expire: 1h, refresh: 2h}
    redirectURL: https://evil.example.net/oauth2/callback
`

var wantErrors = []string{
	"spec.oauth2Proxy.cookie.refresh: (2h) must be shorter than cookie.expire (1h)",
	`spec.oauth2Proxy.redirectURL: is "https://evil.example.net/oauth2/callback" but must be "https://kubeflow.example.com/oauth2/callback"`,
}

func brokenPackage(t *testing.T) string {
	t.Helper()
	dir := execPackage(t, "kubeflow")
	for _, f := range []string{"authconfig.yaml", "authconfig.container.yaml"} {
		p := filepath.Join(dir, f)
		b, _ := os.ReadFile(p)
		if err := os.WriteFile(p, append(b, brokenSpec...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rewrite(t, filepath.Join(dir, "authconfig.yaml"), "path: ../../bin/authconfig-fn", "path: "+tool(t, "authconfig-fn"))
	gitInit(t, dir)
	return dir
}

func wantFailure(t *testing.T, dir string, r result, what string) {
	t.Helper()
	if r.err == nil {
		t.Errorf("%s: exit 0 on an invalid AuthConfig; stdout:\n%s", what, r.stdout)
	}
	for _, w := range wantErrors {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("%s: the error %q is not shown:\n%s", what, w, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "kind:") {
		t.Errorf("%s: wrote resources to stdout:\n%s", what, r.stdout)
	}
	if d := gitDiff(t, dir); d != "" {
		t.Errorf("%s: changed the package:\n%s", what, d)
	}
}

func TestInvalidAuthConfigExec(t *testing.T) {
	kustomize, kpt := tool(t, "kustomize"), tool(t, "kpt")
	dir := brokenPackage(t)
	wantFailure(t, dir, run(t, dir, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "."), "kustomize build")
	wantFailure(t, dir, run(t, dir, nil, kpt, "fn", "render", "--allow-exec", "--truncate-output=false", "."), "kpt fn render")
	wantFailure(t, dir, run(t, dir, nil, kpt, "fn", "eval", "--exec", tool(t, "authconfig-fn"), "--fn-config", "authconfig.yaml", "--truncate-output=false", "."), "kpt fn eval")
}

// ---- 6. kubectl kustomize --------------------------------------------------

// TestKubectlKustomizeSkipsExec pins the documented trap: kubectl kustomize
// has no --enable-exec, skips the exec function silently and exits 0.
func TestKubectlKustomizeSkipsExec(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed: the README's kubectl note is not checked here")
	}
	r := must(t, run(t, filepath.Join(repoRoot(t), "overlays", "kubeflow"), nil, kubectl, "kustomize", "--enable-alpha-plugins", "."), "kubectl kustomize")
	if strings.Contains(r.stdout, "namespace: oauth2-proxy\nspec:\n  replicas") || strings.Contains(r.stdout, "kind: AuthorizationPolicy") {
		t.Errorf("kubectl kustomize ran the exec function; update README's 'Use it with' section")
	}
}
