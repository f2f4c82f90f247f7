package helmcheck

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/cli"
	"meshauth.dev/meshauth/fn/helmvalues"
	"meshauth.dev/meshauth/fn/outputcheck"
	"meshauth.dev/meshauth/internal/helmrelease"
)

const repo = "../.."

// binary is ./bin/<name>; missing, the test fails naming the make target.
func binary(t testing.TB, name, target string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("helmcheck runs real programs: skipped under -short")
	}
	p, _ := filepath.Abs(filepath.Join(repo, "bin", name))
	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		t.Fatalf("helmcheck needs %s: run `%s` first (CI does, before the tests)", p, target)
	}
	return p
}

// chartsDir is the folder of the vendored upstream charts.
func chartsDir(t testing.TB) string {
	t.Helper()
	d, err := helmrelease.ChartsDir(repo)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// istiodChartDir is istiod's chart in the istio.io/istio module.
func istiodChartDir(t testing.TB) string {
	t.Helper()
	d, err := helmrelease.IstiodChart()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// oauth2ProxyChart is the vendored chart without its missing redis-ha
// dependency entry (helmrelease.OAuth2ProxyChart says why).
func oauth2ProxyChart(t testing.TB) string {
	t.Helper()
	d, err := helmrelease.OAuth2ProxyChart(chartsDir(t))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// release is one AuthConfig installed through the charts, as `helm
// template` renders it, plus the files no chart carries.
type release struct {
	spec   api.Spec
	files  map[string]string        // what render --helm wrote
	charts map[string][]*yaml.RNode // chart name → rendered objects
	extras []*yaml.RNode            // meshauth-extras.yaml
	routes *yaml.RNode              // routes/kustomization.yaml, or nil
	took   map[string]time.Duration // helm template per chart
}

// all is every object of the release, the routes Component included.
func (r *release) all() []*yaml.RNode {
	var out []*yaml.RNode
	for _, name := range []string{"istiod", "dex", "oauth2-proxy"} {
		out = append(out, r.charts[name]...)
	}
	out = append(out, r.extras...)
	if r.routes != nil {
		out = append(out, r.routes)
	}
	return out
}

// find is the object of kind ns/name in objs, or nil.
func find(objs []*yaml.RNode, kind, ns, name string) *yaml.RNode {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetNamespace() == ns && o.GetName() == name {
			return o
		}
	}
	return nil
}

// renderCLI runs `authconfig-fn render -f FILE --helm DIR [args]` in process
// (fn/cli.Main is the binary's main) and returns the written files, or the
// exit code and stderr.
func renderCLI(t testing.TB, doc []byte, args ...string) (dir string, code int, stderr string) {
	t.Helper()
	dir = t.TempDir()
	in := filepath.Join(dir, "authconfig.yaml")
	if err := os.WriteFile(in, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "helm")
	var so, se bytes.Buffer
	code = cli.Main(append([]string{"render", "-f", in, "--helm", out}, args...), nil, &so, &se)
	return out, code, se.String()
}

// helmTemplate runs `helm template RELEASE CHART -n NS -f VALUES`.
func helmTemplate(t testing.TB, release, chart, ns, values string) ([]*yaml.RNode, time.Duration) {
	t.Helper()
	helm := binary(t, "helm", "make helm")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	out, err := helmrelease.Template(ctx, helm, release, chart, ns, values)
	took := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := outputcheck.Parse(out)
	if err != nil {
		t.Fatalf("helm template %s: %v", release, err)
	}
	return objs, took
}

// installRelease renders the AuthConfig's Helm files and templates the
// three charts with them, in the namespaces the README's commands name.
func installRelease(t testing.TB, doc []byte, args ...string) *release {
	t.Helper()
	c, errs := api.Load(doc)
	if len(errs) > 0 {
		t.Fatalf("the AuthConfig does not load: %v", errs)
	}
	dir, code, stderr := renderCLI(t, doc, args...)
	if code != 0 {
		t.Fatalf("authconfig-fn render --helm exited %d:\n%s", code, stderr)
	}
	r := &release{spec: c.Spec, files: map[string]string{}, charts: map[string][]*yaml.RNode{}, took: map[string]time.Duration{}}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		r.files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s := c.Spec
	type chart struct{ name, release, dir, ns, values string }
	charts := []chart{
		{"istiod", "istiod", istiodChartDir(t), s.Istio.Istiod.Namespace, helmvalues.IstiodValuesFile},
		{"oauth2-proxy", "oauth2-proxy", oauth2ProxyChart(t), s.OAuth2Proxy.Namespace, helmvalues.OAuth2ProxyValuesFile},
	}
	if s.Dex != nil {
		charts = append(charts, chart{"dex", "dex", filepath.Join(chartsDir(t), "dex"), s.Dex.Namespace, helmvalues.DexValuesFile})
	}
	for _, ch := range charts {
		if _, ok := r.files[ch.values]; !ok {
			t.Fatalf("render --helm wrote no %s", ch.values)
		}
		objs, took := helmTemplate(t, ch.release, ch.dir, ch.ns, filepath.Join(dir, ch.values))
		r.charts[ch.name], r.took[ch.name] = objs, took
	}
	if text, ok := r.files[helmvalues.ExtrasFile]; ok {
		if r.extras, err = outputcheck.Parse([]byte(text)); err != nil {
			t.Fatalf("%s: %v", helmvalues.ExtrasFile, err)
		}
	}
	if text, ok := r.files[helmvalues.RoutesDir+"/kustomization.yaml"]; ok {
		if r.routes, err = yaml.Parse(text); err != nil {
			t.Fatal(err)
		}
		// outputcheck names a nameless kustomization by its file.
		_ = r.routes.PipeE(yaml.SetAnnotation(kioutil.PathAnnotation, helmvalues.RoutesDir+"/kustomization.yaml"))
	}
	return r
}

// dexConfigText is Dex's config.yaml as the chart renders it (in a Secret).
func (r *release) dexConfigText(t testing.TB) string {
	t.Helper()
	text, err := helmrelease.DexConfig(r.charts["dex"])
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// dexDeployment is the chart's one Dex Deployment.
func (r *release) dexDeployment(t testing.TB) *yaml.RNode {
	t.Helper()
	var deps []*yaml.RNode
	for _, o := range r.charts["dex"] {
		if o.GetKind() == "Deployment" {
			deps = append(deps, o)
		}
	}
	if len(deps) != 1 {
		t.Fatalf("the Dex chart rendered %d Deployments, want 1", len(deps))
	}
	return deps[0]
}

// forChecks is the release as fn/outputcheck reads it. One translation: the
// checks read Dex's config from a ConfigMap named dex (how kubeflow/manifests
// and the components ship it); the chart keeps the same bytes in a Secret,
// so they are handed over as that ConfigMap, in Dex's namespace.
func (r *release) forChecks(t testing.TB) []*yaml.RNode {
	t.Helper()
	var out []*yaml.RNode
	for _, o := range r.all() {
		out = append(out, o.Copy())
	}
	if r.spec.Dex != nil {
		cm := yaml.MustParse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dex\n")
		_ = cm.PipeE(yaml.SetK8sNamespace(r.spec.Dex.Namespace))
		_ = cm.PipeE(yaml.LookupCreate(yaml.MappingNode, "data"), yaml.SetField("config.yaml", yaml.NewStringRNode(r.dexConfigText(t))))
		out = append(out, cm)
	}
	return out
}

// toMap decodes a node as the API server would see it.
func toMap(t testing.TB, n *yaml.RNode) map[string]any {
	t.Helper()
	var m map[string]any
	text, err := n.String()
	if err == nil {
		err = sigsyaml.Unmarshal([]byte(text), &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}
