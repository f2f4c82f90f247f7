package runners_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The layout the README recommends for a full build: the function runs in a
// kustomization of only the objects it patches (overlays/kubeflow) and
// docs/examples/full-build lists that next to the rest of the package, so
// kustomize does not hand the function the whole package.

// layouts writes both layouts of the same build into a temporary tree:
// "small" is docs/examples/full-build over overlays/kubeflow, "whole" one
// kustomization of everything with the function under its transformers:.
// outer is appended to both top kustomizations.
func layouts(t *testing.T, outer string) (small, whole string) {
	t.Helper()
	root := repoRoot(t)
	fnBin := tool(t, "authconfig-fn")
	tmp := t.TempDir()
	for _, d := range []string{"overlays/kubeflow", "docs/examples/full-build"} {
		if err := os.CopyFS(filepath.Join(tmp, d), os.DirFS(filepath.Join(root, d))); err != nil {
			t.Fatal(err)
		}
	}
	rewrite(t, filepath.Join(tmp, "overlays/kubeflow/authconfig.yaml"), "path: ../../bin/authconfig-fn", "path: "+fnBin)
	small = filepath.Join(tmp, "docs/examples/full-build")
	appendFile(t, filepath.Join(small, "kustomization.yaml"), outer)

	whole = filepath.Join(tmp, "whole")
	if err := os.CopyFS(whole, os.DirFS(filepath.Join(tmp, "overlays/kubeflow"))); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(small, "kubeflow-rest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(whole, "kubeflow-rest.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	rewrite(t, filepath.Join(whole, "kustomization.yaml"), "\nresources:\n", "\nresources:\n- kubeflow-rest.yaml\n")
	appendFile(t, filepath.Join(whole, "kustomization.yaml"), outer)
	return small, whole
}

func appendFile(t *testing.T, file, s string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(b, s...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func build(t *testing.T, dir string) string {
	t.Helper()
	return must(t, run(t, dir, nil, tool(t, "kustomize"), "build", "--enable-alpha-plugins", "--enable-exec", "."), "kustomize build "+dir).stdout
}

// TestFullBuildSmallLayout: the small layout builds to the same bytes as
// the function over the whole package (kustomize sorts the output, so the
// order of the two resources does not show), and the checked-in example
// builds as the README says.
func TestFullBuildSmallLayout(t *testing.T) {
	small, whole := layouts(t, "")
	got, want := build(t, small), build(t, whole)
	if got != want {
		t.Errorf("the small layout builds differently from the function over the whole package:\n%s", diffLines(want, got))
	}
	if !strings.Contains(got, "kind: AuthorizationPolicy") || !strings.Contains(got, "name: centraldashboard-config") {
		t.Errorf("the build lacks the function's output or the rest of the package")
	}
	if ex := build(t, filepath.Join(repoRoot(t), "docs/examples/full-build")); ex != got {
		t.Errorf("docs/examples/full-build (with ./bin/authconfig-fn) builds differently:\n%s", diffLines(got, ex))
	}
}

// TestFullBuildSmallLayoutOuterPatches pins where the layout differs: the
// kustomization that lists a transformer under transformers: runs its own
// patches first, so over the whole package the function patches the user's
// patched mesh config; in the small layout the outer kustomization's
// patches run after the function and can undo it (here a patch that
// replaces the mesh config drops the oauth2-proxy extension provider).
// docs/runners.md says so: patch those five objects inside the small
// kustomization, or below it.
func TestFullBuildSmallLayoutOuterPatches(t *testing.T) {
	const outer = `patches:
- target: {kind: ConfigMap, name: istio, namespace: istio-system}
  patch: |
    - op: replace
      path: /data/mesh
      value: "accessLogFile: /dev/stdout\n"
`
	small, whole := layouts(t, outer)
	if m := meshOf(t, build(t, whole)); !strings.Contains(m, "oauth2-proxy") || !strings.Contains(m, "accessLogFile") {
		t.Errorf("whole package: want the user's mesh config with the function's provider, got:\n%s", m)
	}
	if m := meshOf(t, build(t, small)); strings.Contains(m, "oauth2-proxy") || !strings.Contains(m, "accessLogFile") {
		t.Errorf("small layout: the outer patch no longer runs after the function (update docs/runners.md), mesh:\n%s", m)
	}
}

func meshOf(t *testing.T, out string) string {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.GetKind() == "ConfigMap" && n.GetName() == "istio" && n.GetNamespace() == "istio-system" {
			v, err := n.Pipe(yaml.Lookup("data", "mesh"))
			if err != nil || v == nil {
				t.Fatalf("istio ConfigMap without data.mesh: %v", err)
			}
			return v.YNode().Value
		}
	}
	t.Fatal("no istio ConfigMap in the build")
	return ""
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) && i < len(g); i++ {
		if w[i] != g[i] {
			return "first difference at line " + strconv.Itoa(i+1) + ":\n- " + w[i] + "\n+ " + g[i]
		}
	}
	return "lengths differ: " + strconv.Itoa(len(w)) + " and " + strconv.Itoa(len(g)) + " lines"
}
