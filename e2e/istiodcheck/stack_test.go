package istiodcheck

import (
	"bytes"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/generators"
)

// loadAuthConfig decodes, defaults and validates; ok=false for an invalid one.
func loadAuthConfig(t *testing.T, file string) (api.AuthConfig, bool) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, errs := api.Load(b)
	return c, len(errs) == 0
}

// problems runs istiod over the stream for the AuthConfig's gateway and returns every error
// message and failed expectation; warnings go to the test log.
func problems(t *testing.T, stream []*yaml.RNode, c api.AuthConfig) []string {
	t.Helper()
	return problemsFor(t, stream, c, gatewayOf(t, stream, c.Spec))
}

// problemsFor is problems for a given gateway pod.
func problemsFor(t *testing.T, stream []*yaml.RNode, c api.AuthConfig, gw gatewayProxy) []string {
	t.Helper()
	s := c.Spec
	start := time.Now()
	g := runIstiod(t, toYAML(t, stream), gw, [2]string{s.Istio.Mesh.ConfigMap.Namespace, s.Istio.Mesh.ConfigMap.Name}, s.Istio.Mesh.Key, istiodEnv(stream, s)...)
	t.Logf("istiod: %d objects -> %d listeners, %d routes, %d clusters in %s", len(stream), len(g.Listeners), len(g.Routes), len(g.Clusters), time.Since(start).Round(10*time.Millisecond))
	out := g.report(t)
	return append(out, expect(s, stream).check(g)...)
}

// verify fails the test on any problem.
func verify(t *testing.T, stream []*yaml.RNode, c api.AuthConfig) {
	t.Helper()
	for _, p := range problems(t, stream, c) {
		t.Error(p)
	}
}

// refused reports whether a golden ResourceList carries an error result (the function refused).
func refused(rl *fn.ResourceList) bool {
	for _, r := range rl.Results {
		if r.Severity == fn.Error {
			return true
		}
	}
	return false
}

func readResourceList(t *testing.T, file string) *fn.ResourceList {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := fn.ParseResourceList(b)
	if err != nil {
		t.Fatal(err)
	}
	return rl
}

func nodes(items fn.KubeObjects) []*yaml.RNode {
	var out []*yaml.RNode
	for _, it := range items {
		n := it.CopyToResourceNode()
		if n.GetKind() == api.Kind && strings.HasPrefix(n.GetApiVersion(), api.Group+"/") {
			continue // the AuthConfig is no Kubernetes resource istiod sees
		}
		out = append(out, n)
	}
	return out
}

// resourcesStream is what kustomize applies for a resources-mode golden: its items among the
// (relocated) corpus, with the snippet merged where Istio is managed elsewhere.
func resourcesStream(t *testing.T, rl *fn.ResourceList, c api.AuthConfig) []*yaml.RNode {
	t.Helper()
	stream := withContext(t, nodes(rl.Items), c.Spec)
	if c.Spec.Istio.ManagedBy == api.ManagedByExternal {
		mergeSnippet(t, stream, c)
	}
	return stream
}

// componentsStream writes a components-mode golden's files, puts them in a kustomization with
// the corpus, and returns `kustomize build` of it: the components as a user applies them.
func componentsStream(t *testing.T, rl *fn.ResourceList, c api.AuthConfig) []*yaml.RNode {
	t.Helper()
	dir := t.TempDir()
	files := map[string][]*yaml.RNode{}
	for _, n := range nodes(rl.Items) {
		p := n.GetAnnotations()["config.kubernetes.io/path"]
		if p == "" {
			t.Fatalf("item %s has no path", n.GetName())
		}
		files[p] = append(files[p], n)
	}
	var resources, components []string
	var pkg []*yaml.RNode
	for p, ns := range files {
		write(t, filepath.Join(dir, p), toYAML(t, ns))
		if strings.HasPrefix(p, "components/") {
			if path.Base(p) == "kustomization.yaml" {
				components = append(components, path.Dir(p))
			}
			continue
		}
		resources = append(resources, p)
		pkg = append(pkg, ns...)
	}
	context := withContext(t, pkg, c.Spec)[len(pkg):]
	if c.Spec.Istio.ManagedBy == api.ManagedByExternal {
		mergeSnippet(t, context, c)
	}
	write(t, filepath.Join(dir, "context.yaml"), toYAML(t, context))
	return kustomizeBuild(t, dir, append(resources, "context.yaml"), components)
}

func write(t *testing.T, file string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func tool(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("bin/%s is not built: run `make build tools`", name)
	}
	return p
}

func kustomizeBuild(t *testing.T, dir string, resources, components []string) []*yaml.RNode {
	t.Helper()
	sort.Strings(resources)
	sort.Strings(components)
	k := map[string]any{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources}
	if len(components) > 0 {
		k["components"] = components
	}
	b, err := sigsyaml.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "kustomization.yaml"), b)
	return build(t, dir)
}

func build(t *testing.T, dir string, args ...string) []*yaml.RNode {
	t.Helper()
	cmd := exec.Command(tool(t, "kustomize"), append([]string{"build"}, append(args, dir)...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderr.String())
	}
	return readObjects(t, stdout.Bytes())
}

// mergeSnippet does what the user does with the snippet the function prints for
// spec.istio.managedBy: external: the istiod Helm values' meshConfig.extensionProviders merged
// (by name) into the mesh config istiod reads.
func mergeSnippet(t *testing.T, stream []*yaml.RNode, c api.AuthConfig) {
	t.Helper()
	snippet, err := generators.IstioInstallSnippet(c)
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(snippet, "\n---\n")
	var helm struct {
		MeshConfig struct {
			ExtensionProviders []map[string]any `json:"extensionProviders"`
		} `json:"meshConfig"`
		Pilot struct {
			Env map[string]string `json:"env"`
		} `json:"pilot"`
	}
	if err := sigsyaml.UnmarshalStrict([]byte(docs[len(docs)-1]), &helm); err != nil {
		t.Fatalf("the Helm values snippet does not parse: %v\n%s", err, snippet)
	}
	if helm.Pilot.Env["PILOT_JWT_PUB_KEY_REFRESH_INTERVAL"] != c.Spec.Istio.JWKSRefreshInterval {
		t.Errorf("the Helm values snippet sets pilot.env %v, want PILOT_JWT_PUB_KEY_REFRESH_INTERVAL=%s", helm.Pilot.Env, c.Spec.Istio.JWKSRefreshInterval)
	}
	m := c.Spec.Istio.Mesh
	for _, n := range stream {
		if n.GetKind() != "ConfigMap" || n.GetName() != m.ConfigMap.Name || n.GetNamespace() != m.ConfigMap.Namespace {
			continue
		}
		var mesh map[string]any
		if err := sigsyaml.Unmarshal([]byte(n.GetDataMap()[m.Key]), &mesh); err != nil {
			t.Fatal(err)
		}
		have, _ := mesh["extensionProviders"].([]any)
		for _, p := range helm.MeshConfig.ExtensionProviders {
			kept := have[:0]
			for _, h := range have {
				if hm, _ := h.(map[string]any); hm["name"] != p["name"] {
					kept = append(kept, h)
				}
			}
			have = append(kept, p)
		}
		mesh["extensionProviders"] = have
		out, err := sigsyaml.Marshal(mesh)
		if err != nil {
			t.Fatal(err)
		}
		data := n.GetDataMap()
		data[m.Key] = string(out)
		n.SetDataMap(data)
		return
	}
	t.Fatalf("no mesh ConfigMap %s/%s to merge the snippet into", m.ConfigMap.Namespace, m.ConfigMap.Name)
}

// istiodEnv is the feature flags istiod runs with, from its Deployment in the stream: ambient mode
// (PILOT_ENABLE_AMBIENT, which Kubeflow's ambient overlay sets) changes what istiod generates.
func istiodEnv(stream []*yaml.RNode, s api.Spec) []string {
	for _, n := range stream {
		if n.GetKind() != "Deployment" || n.GetNamespace() != s.Istio.Istiod.Namespace || n.GetName() != s.Istio.Istiod.Deployment {
			continue
		}
		c, _ := n.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name="+s.Istio.Istiod.Container+"]"))
		env, _ := c.Pipe(yaml.Lookup("env"))
		els, _ := env.Elements()
		for _, e := range els {
			if name := yaml.GetValue(e.Field("name").Value); name == "PILOT_ENABLE_AMBIENT" && e.Field("value") != nil {
				return []string{name + "=" + yaml.GetValue(e.Field("value").Value)}
			}
		}
	}
	return nil
}
