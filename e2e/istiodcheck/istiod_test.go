package istiodcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
)

// TestGoldenCases: every golden case the function renders (both modes) runs through istiod
// among the corpus; refusals are checked by the golden files themselves.
func TestGoldenCases(t *testing.T) {
	istiodBin(t)
	dirs, _ := filepath.Glob(filepath.Join(repoRoot(t), "testdata", "cases", "*"))
	if len(dirs) == 0 {
		t.Fatal("no golden cases")
	}
	for _, dir := range dirs {
		c, ok := loadAuthConfig(t, filepath.Join(dir, "authconfig.yaml"))
		if !ok {
			continue // an invalid AuthConfig renders nothing
		}
		for _, mode := range []string{"components", "resources"} {
			t.Run(filepath.Base(dir)+"/"+mode, func(t *testing.T) {
				rl := readResourceList(t, filepath.Join(dir, mode+".golden.yaml"))
				if refused(rl) {
					t.Skip("the function refuses this case (see the golden results)")
				}
				if mode == "resources" {
					verify(t, resourcesStream(t, rl, c), c)
				} else {
					verify(t, componentsStream(t, rl, c), c)
				}
			})
		}
	}
}

// TestOverlays: `kustomize build` of every overlay with the function as an exec transformer.
func TestOverlays(t *testing.T) {
	istiodBin(t)
	tool(t, "authconfig-fn")
	dirs, _ := filepath.Glob(filepath.Join(repoRoot(t), "overlays", "*"))
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "kustomization.yaml")); err != nil {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, ok := loadAuthConfig(t, filepath.Join(dir, "authconfig.yaml"))
			if !ok {
				t.Fatal("the overlay's AuthConfig is invalid")
			}
			stream := build(t, dir, "--enable-alpha-plugins", "--enable-exec")
			verify(t, withContext(t, stream, c.Spec), c)
		})
	}
}

// TestComponentsOverCorpus: the checked-in components/ (the default AuthConfig, rendered with
// no package) applied to the unchanged Kubeflow corpus, as README's first command leaves them.
func TestComponentsOverCorpus(t *testing.T) {
	istiodBin(t)
	root := repoRoot(t)
	c, ok := loadAuthConfig(t, filepath.Join(root, "fn", "cli", "kubeflow.yaml"))
	if !ok {
		t.Fatal("the default AuthConfig is invalid")
	}
	dir := t.TempDir()
	var resources, components []string
	for _, f := range corpusFiles {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		write(t, filepath.Join(dir, name), b)
		resources = append(resources, name)
	}
	comps, _ := filepath.Glob(filepath.Join(root, "components", "*", "kustomization.yaml"))
	for _, k := range comps {
		name := filepath.Base(filepath.Dir(k))
		files, _ := filepath.Glob(filepath.Join(filepath.Dir(k), "*.yaml"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			write(t, filepath.Join(dir, "components", name, filepath.Base(f)), b)
		}
		components = append(components, "components/"+name)
	}
	verify(t, kustomizeBuild(t, dir, resources, components), c)
}

// TestManagedElsewhere proves the snippet printed for spec.istio.managedBy: external: merged into
// the corpus mesh config, istiod generates the ext_authz filter; without it, istiod denies all.
func TestManagedElsewhere(t *testing.T) {
	istiodBin(t)
	dir := filepath.Join(repoRoot(t), "testdata", "cases", "istio-external")
	c, ok := loadAuthConfig(t, filepath.Join(dir, "authconfig.yaml"))
	if !ok || c.Spec.Istio.ManagedBy != api.ManagedByExternal {
		t.Fatal("testdata/cases/istio-external must be a valid AuthConfig with managedBy: external")
	}
	rl := readResourceList(t, filepath.Join(dir, "resources.golden.yaml"))
	t.Run("snippet merged", func(t *testing.T) {
		verify(t, resourcesStream(t, rl, c), c)
	})
	t.Run("snippet not merged", func(t *testing.T) {
		p := problems(t, withContext(t, nodes(rl.Items), c.Spec), c)
		if !strings.Contains(strings.Join(p, "\n"), badCustom) {
			t.Errorf("without the snippet istiod must deny all (%s); got problems:\n%s", badCustom, strings.Join(p, "\n"))
		}
	})
}

// TestMutations: each mistake the function could make (or a user could make by hand) in the
// rendered stack must be caught by the istiod check.
func TestMutations(t *testing.T) {
	c, base := goldenCase(t, "kubeflow-package", "resources")
	s := c.Spec
	custom := func(n *yaml.RNode) bool {
		a, _ := n.Pipe(yaml.Lookup("spec", "action"))
		return n.GetKind() == "AuthorizationPolicy" && a != nil && yaml.GetValue(a) == "CUSTOM"
	}
	meshCM := func(n *yaml.RNode) bool {
		return n.GetKind() == "ConfigMap" && n.GetName() == s.Istio.Mesh.ConfigMap.Name && n.GetNamespace() == s.Istio.Mesh.ConfigMap.Namespace
	}
	editMesh := func(t *testing.T, n *yaml.RNode, edit func(p map[string]any) bool) {
		var mesh map[string]any
		data := n.GetDataMap()
		if err := sigsyaml.Unmarshal([]byte(data[s.Istio.Mesh.Key]), &mesh); err != nil {
			t.Fatal(err)
		}
		var kept []any
		for _, p := range mesh["extensionProviders"].([]any) {
			if pm := p.(map[string]any); pm["name"] != s.Istio.ProviderName || edit(pm) {
				kept = append(kept, p)
			}
		}
		mesh["extensionProviders"] = kept
		b, _ := sigsyaml.Marshal(mesh)
		data[s.Istio.Mesh.Key] = string(b)
		n.SetDataMap(data)
	}
	deny := func(n *yaml.RNode) bool {
		a, _ := n.Pipe(yaml.Lookup("spec", "action"))
		return n.GetKind() == "AuthorizationPolicy" && a != nil && yaml.GetValue(a) == "DENY"
	}
	classifier := func(n *yaml.RNode) bool { return n.GetKind() == "EnvoyFilter" && n.GetName() == fPublic }
	editRule := func(t *testing.T, n *yaml.RNode, edit func(rule map[string]any)) {
		var obj map[string]any
		if err := n.Document().Decode(&obj); err != nil {
			t.Fatal(err)
		}
		edit(obj["spec"].(map[string]any)["rules"].([]any)[0].(map[string]any))
		b, _ := sigsyaml.Marshal(obj)
		*n = *yaml.MustParse(string(b))
	}
	mutations := []struct {
		name   string
		match  func(*yaml.RNode) bool
		mutate func(*testing.T, *yaml.RNode)
	}{
		{"public prefix as a notPath of the DENY policy (issue 22's bypass)", deny, func(t *testing.T, n *yaml.RNode) {
			editRule(t, n, func(r map[string]any) {
				op := r["to"].([]any)[0].(map[string]any)["operation"].(map[string]any)
				op["notPaths"] = append(op["notPaths"].([]any), s.PublicPaths[0]+"*")
			})
		}},
		{"DENY policy without the classifier condition", deny, func(t *testing.T, n *yaml.RNode) {
			editRule(t, n, func(r map[string]any) { delete(r, "when") })
		}},
		{"classifier widened to the bare prefix", classifier, func(t *testing.T, n *yaml.RNode) {
			re, err := n.Pipe(yaml.Lookup("spec", "configPatches", "0", "patch", "value", "typed_config", "shadow_rules", "policies", "meshauth-public-path", "permissions", "0", "url_path", "path", "safe_regex"))
			if err != nil || re == nil {
				t.Fatalf("no classifier regex: %v", err)
			}
			set(t, re, regexp.QuoteMeta(s.PublicPaths[0])+".*", "regex")
		}},
		{"provider-name typo in the CUSTOM policy", custom, func(t *testing.T, n *yaml.RNode) {
			set(t, n, s.Istio.ProviderName+"x", "spec", "provider", "name")
		}},
		{"provider missing from the mesh config", meshCM, func(t *testing.T, n *yaml.RNode) {
			editMesh(t, n, func(map[string]any) bool { return false })
		}},
		{"wrong service port in the mesh provider", meshCM, func(t *testing.T, n *yaml.RNode) {
			editMesh(t, n, func(p map[string]any) bool {
				p["envoyExtAuthzHttp"].(map[string]any)["port"] = 8080
				return true
			})
		}},
		{"CUSTOM policy on the wrong selector", custom, func(t *testing.T, n *yaml.RNode) {
			sel := map[string]string{"app": "not-the-gateway"}
			if err := n.PipeE(yaml.Lookup("spec", "selector"), yaml.SetField("matchLabels", yaml.NewMapRNode(&sel))); err != nil {
				t.Fatal(err)
			}
		}},
	}
	t.Run("unmutated", func(t *testing.T) { verify(t, base(t), c) })
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) { expectCaught(t, base, c, m.match, m.mutate) })
	}
}

// expectCaught: the istiod check finds a problem in base's stream once
// mutate changed the one object match selects.
func expectCaught(t *testing.T, base func(*testing.T) []*yaml.RNode, c api.AuthConfig, match func(*yaml.RNode) bool, mutate func(*testing.T, *yaml.RNode)) {
	t.Helper()
	stream := base(t)
	mutateOne(t, stream, match, mutate)
	p := problems(t, stream, c)
	if len(p) == 0 {
		t.Fatal("the istiod check did not catch the mutation")
	}
	t.Logf("caught: %s", strings.Join(p, "\n  "))
}

// goldenCase is a golden case's AuthConfig and a fresh copy of its stream
// in mode (components or resources) for each mutation.
func goldenCase(t *testing.T, name, mode string) (api.AuthConfig, func(*testing.T) []*yaml.RNode) {
	istiodBin(t)
	dir := filepath.Join(repoRoot(t), "testdata", "cases", name)
	c, ok := loadAuthConfig(t, filepath.Join(dir, "authconfig.yaml"))
	if !ok {
		t.Fatalf("testdata/cases/%s: invalid AuthConfig", name)
	}
	return c, func(t *testing.T) []*yaml.RNode {
		rl := readResourceList(t, filepath.Join(dir, mode+".golden.yaml"))
		if mode == "resources" {
			return resourcesStream(t, rl, c)
		}
		return componentsStream(t, rl, c)
	}
}

// mutateOne applies mutate to the one object of stream that match selects.
func mutateOne(t *testing.T, stream []*yaml.RNode, match func(*yaml.RNode) bool, mutate func(*testing.T, *yaml.RNode)) {
	t.Helper()
	hit := 0
	for _, n := range stream {
		if match(n) {
			mutate(t, n)
			hit++
		}
	}
	if hit != 1 {
		t.Fatalf("the mutation applies to %d objects, want 1", hit)
	}
}

func set(t *testing.T, n *yaml.RNode, value string, path ...string) {
	t.Helper()
	if err := n.PipeE(yaml.Lookup(path[:len(path)-1]...), yaml.SetField(path[len(path)-1], yaml.NewStringRNode(value))); err != nil {
		t.Fatal(err)
	}
}
