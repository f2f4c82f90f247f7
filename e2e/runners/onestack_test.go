package runners_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A second AuthConfig in one stream is refused by the real runners: under
// kustomize each transformer runs on its own and sees only the stream, so
// the second finds the local-config copy the first left there; kpt hands the
// function every file of the package.

const secondAuthConfig = `apiVersion: meshauth.dev/v1alpha1
kind: AuthConfig
metadata:
  name: staging
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ../../bin/authconfig-fn
spec:
  publicURL: https://staging.example.com
`

func TestTwoAuthConfigsKustomize(t *testing.T) {
	kustomize := tool(t, "kustomize")
	tool(t, "authconfig-fn")
	// The copy sits where the overlay does, so the exec path still resolves.
	dir := filepath.Join(repoRoot(t), "overlays", "kubeflow")
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".two-authconfigs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.CopyFS(tmp, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "staging.yaml"), []byte(secondAuthConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	rewrite(t, filepath.Join(tmp, "kustomization.yaml"), "transformers:\n- authconfig.yaml\n", "transformers:\n- authconfig.yaml\n- staging.yaml\n")
	r := run(t, tmp, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	want := `the stream holds 2 AuthConfigs ("staging" (the function config), "kubeflow" (rendered earlier in this kustomize build))`
	if r.err == nil || !strings.Contains(r.stderr, want) {
		t.Fatalf("kustomize build with two AuthConfigs: want a failure naming both (%s), got %v\nstdout: %s", want, r, kinds(r.stdout))
	}

	// One AuthConfig: the copy it leaves is local-config and never printed.
	rewrite(t, filepath.Join(tmp, "kustomization.yaml"), "- staging.yaml\n", "")
	out := must(t, run(t, tmp, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "."), "kustomize build").stdout
	if strings.Contains(out, "kind: AuthConfig") {
		t.Errorf("the AuthConfig's stream mark leaked into the build output")
	}
}

func TestTwoAuthConfigsKpt(t *testing.T) {
	kpt := tool(t, "kpt")
	dir := execPackage(t, "kubeflow")
	if err := os.MkdirAll(filepath.Join(dir, "staging"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "staging", "authconfig.yaml"), []byte(secondAuthConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	gitInit(t, dir)
	r := run(t, dir, nil, kpt, "fn", "render", "--allow-exec", ".")
	want := `the stream holds 2 AuthConfigs ("kubeflow" in authconfig.yaml, "staging" in staging/authconfig.yaml)`
	if r.err == nil || !strings.Contains(r.stderr+r.stdout, want) {
		t.Fatalf("kpt fn render with two AuthConfigs: want a failure naming both (%s), got %v\nstdout:\n%s", want, r, r.stdout)
	}
	if d := gitDiff(t, dir); d != "" {
		t.Errorf("a failed render changed the package:\n%s", clip(d))
	}
}
