package runners_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/generators"
)

// TestNoEmittedTargetGoesMissing (issue 25): the components, built over the
// newest Kubeflow layout with kustomize, for every object a component
// patches: without it the build fails naming it (kustomize skips a patch
// whose target selector matches nothing and exits 0 without the change);
// with all of them it builds.
func TestNoEmittedTargetGoesMissing(t *testing.T) {
	root := repoRoot(t)
	const spec = "  publicURL: https://kubeflow.example.com\n  logout:\n    virtualService: {namespace: kubeflow, name: dashboard}\n" +
		"  oidc:\n    largeTokens:\n      stripCookieRoutes: [{namespace: kubeflow, name: profiles-kfam}]\n"
	ac := "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata:\n  name: kubeflow\nspec:\n" + spec
	acFile := filepath.Join(t.TempDir(), "authconfig.yaml")
	if err := os.WriteFile(acFile, []byte(ac), 0o644); err != nil {
		t.Fatal(err)
	}
	c, errs := api.Load([]byte(ac))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	comps, err := generators.All(c)
	if err != nil {
		t.Fatal(err)
	}
	var targets []generators.Target
	list := "components:\n"
	for _, comp := range comps {
		list += "- components/" + comp.Name + "\n"
		for _, p := range comp.Patches {
			targets = append(targets, p.Target())
		}
	}
	if len(targets) < 6 {
		t.Fatalf("want the mesh ConfigMap, istiod, Dex's ConfigMap and Deployment and two VirtualServices patched, got %v", targets)
	}
	layout := func(t *testing.T, drop *generators.Target) string {
		dir := newestLayout(t, list)
		must(t, run(t, root, nil, tool(t, "authconfig-fn"), "render", "-f", acFile, "-o", filepath.Join(dir, "components")), "render")
		if drop == nil {
			return dir
		}
		b, err := os.ReadFile(filepath.Join(dir, "kubeflow.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := kio.FromBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		var kept strings.Builder
		found := false
		for _, n := range nodes {
			if drop.Matches(n) {
				found = true
				continue
			}
			kept.WriteString("---\n" + n.MustString())
		}
		if !found {
			t.Fatalf("%s is not in the newest layout's objects", drop)
		}
		if err := os.WriteFile(filepath.Join(dir, "kubeflow.yaml"), []byte(kept.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	t.Run("all_targets_present", func(t *testing.T) {
		must(t, run(t, layout(t, nil), nil, tool(t, "kustomize"), "build", "."), "kustomize build")
	})
	for _, target := range targets {
		t.Run(strings.ReplaceAll(target.String(), " ", "_"), func(t *testing.T) {
			r := run(t, layout(t, &target), nil, tool(t, "kustomize"), "build", ".")
			if r.err == nil || !strings.Contains(r.stderr, target.Name) {
				t.Errorf("without %s: kustomize build err=%v, want a failure naming it\n%s", target, r.err, clip(r.stderr))
			}
		})
	}
}
