package helmcheck

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/outputcheck"
	"meshauth.dev/meshauth/internal/versions"
)

// TestChartsArePinned: the charts the tests template are the versions
// internal/versions pins (and the only ones render --helm accepts).
func TestChartsArePinned(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the vendored charts and the istio module")
	}
	for _, c := range []struct{ dir, version, app string }{
		{filepath.Join(chartsDir(t), "oauth2-proxy"), versions.OAuth2ProxyChart, strings.TrimPrefix(versions.OAuth2Proxy, "v")},
		{filepath.Join(chartsDir(t), "dex"), versions.DexChart, ""},
		{istiodChartDir(t), versions.IstiodChart, ""},
	} {
		b, err := os.ReadFile(filepath.Join(c.dir, "Chart.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var ch struct{ Version, AppVersion string }
		if err := sigsyaml.Unmarshal(b, &ch); err != nil {
			t.Fatal(err)
		}
		if ch.Version != c.version || (c.app != "" && ch.AppVersion != c.app) {
			t.Errorf("%s: chart %s (app %s), internal/versions pins %s (app %s)", c.dir, ch.Version, ch.AppVersion, c.version, c.app)
		}
	}
}

// helmCases are the golden cases the function accepts: every one with Dex,
// and the no-Dex providers (keycloak, entra, okta, generic, external-idp).
func helmCases(t *testing.T) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(repo, "testdata/cases/*/authconfig.yaml"))
	out := map[string][]byte{}
	dex, noDex := 0, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, errs := api.Load(b)
		if len(errs) > 0 {
			continue // the invalid cases: refused before any output
		}
		if c.Spec.Dex != nil {
			dex++
		} else {
			noDex++
		}
		out[filepath.Base(filepath.Dir(f))] = b
	}
	if dex < 5 || noDex < 1 {
		t.Fatalf("found %d golden cases with Dex and %d without, want at least 5 and 1", dex, noDex)
	}
	return out
}

// TestHelmReleases templates the three charts with the values of every
// case and checks the release: the function's output checks, the same
// effective stack as the kustomize components, and oauth2-proxy's own
// --config-test on the config the chart mounts.
func TestHelmReleases(t *testing.T) {
	binary(t, "helm", "make helm")
	o2p := binary(t, "oauth2-proxy", "make upstream")
	for name, doc := range helmCases(t) {
		t.Run(name, func(t *testing.T) {
			r := installRelease(t, doc)
			t.Logf("helm template: istiod %s, dex %s, oauth2-proxy %s", r.took["istiod"], r.took["dex"], r.took["oauth2-proxy"])
			checkRelease(t, r)
			sameStack(t, r, renderComponents(t, doc))
			configTest(t, o2p, r)
		})
	}
}

// checkRelease runs the function's own output checks over the release and
// makes sure they had the objects to compare: the mesh config with the
// provider, the CUSTOM policy, oauth2-proxy's config and Service, Dex's config.
func checkRelease(t *testing.T, r *release) {
	t.Helper()
	for _, p := range outputcheck.Objects(r.forChecks(t)) {
		t.Errorf("output check: %s", p)
	}
	s := r.spec
	meshCM := "istio"
	if rev, ok := strings.CutPrefix(s.Istio.Istiod.Deployment, "istiod-"); ok {
		meshCM += "-" + rev
	}
	// The secrets rule: no chart makes a Secret of its own values, except
	// Dex's config (which holds secretEnv references only, checked by the
	// output checks' Dex schema and TestEveryCaseRendersDeterministicallyWithoutSecrets).
	for chart, objs := range r.charts {
		for _, o := range objs {
			if o.GetKind() != "Secret" {
				continue
			}
			if chart == "dex" && strings.Contains(o.MustString(), "config.yaml:") && len(o.GetDataMap()) == 1 {
				continue
			}
			t.Errorf("the %s chart renders Secret %s/%s: values must only reference Secrets", chart, o.GetNamespace(), o.GetName())
		}
	}
	for _, want := range []struct {
		chart, kind, ns, name string
	}{
		{"istiod", "ConfigMap", s.Istio.Istiod.Namespace, meshCM},
		{"oauth2-proxy", "ConfigMap", s.OAuth2Proxy.Namespace, "oauth2-proxy"},
		{"oauth2-proxy", "Service", s.OAuth2Proxy.Namespace, "oauth2-proxy"},
		{"oauth2-proxy", "Deployment", s.OAuth2Proxy.Namespace, "oauth2-proxy"},
		{"oauth2-proxy", routeKind(s), s.OAuth2Proxy.Namespace, "oauth2-proxy"},
		{"extras", "AuthorizationPolicy", s.Gateway.Namespace, "istio-ingressgateway-" + s.Istio.ProviderName},
	} {
		objs := r.charts[want.chart]
		if want.chart == "extras" {
			objs = r.extras
		}
		if find(objs, want.kind, want.ns, want.name) == nil {
			t.Errorf("the %s output has no %s %s/%s", want.chart, want.kind, want.ns, want.name)
		}
	}
}

// TestChecksSeeTheRelease: the output checks are not vacuous on a chart
// release: breaking the rendered mesh provider, Dex's client or
// oauth2-proxy's client id is each reported.
func TestChecksSeeTheRelease(t *testing.T) {
	binary(t, "helm", "make helm")
	doc, err := os.ReadFile(filepath.Join(repo, "testdata/cases/default/authconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := installRelease(t, doc)
	for _, m := range []struct {
		name, kind, ns, obj, key, from, to string
	}{
		{"provider renamed in the istiod chart's mesh", "ConfigMap", "istio-system", "istio", "mesh", "name: oauth2-proxy", "name: other-provider"},
		{"oauth2-proxy's client dropped from Dex's config", "ConfigMap", "auth", "dex", "config.yaml", "- id: oauth2-proxy", "- id: someone-else"},
		{"client_id changed in the chart's oauth2_proxy.cfg", "ConfigMap", "oauth2-proxy", "oauth2-proxy", "oauth2_proxy.cfg", `client_id = "oauth2-proxy"`, `client_id = "other"`},
	} {
		t.Run(m.name, func(t *testing.T) {
			objs := r.forChecks(t)
			o := find(objs, m.kind, m.ns, m.obj)
			if o == nil {
				t.Fatalf("no %s %s/%s in the release", m.kind, m.ns, m.obj)
			}
			text := o.GetDataMap()[m.key]
			if !strings.Contains(text, m.from) {
				t.Fatalf("%s %s/%s data[%s] has no %q", m.kind, m.ns, m.obj, m.key, m.from)
			}
			data := o.GetDataMap()
			data[m.key] = strings.Replace(text, m.from, m.to, 1)
			o.SetDataMap(data)
			ps := outputcheck.Objects(objs)
			if len(ps) == 0 {
				t.Fatal("the output checks found nothing wrong")
			}
			t.Logf("reported: %s", ps[0])
		})
	}
}

// TestRefusalsThroughTheCLI: a chart version that is not pinned and a
// value the chart cannot take make render --helm exit 1 with the chart key,
// writing nothing.
func TestRefusalsThroughTheCLI(t *testing.T) {
	doc := []byte("apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: t}\nspec:\n  publicURL: https://kubeflow.example.com\n  oauth2Proxy:\n    image: quay.io/oauth2-proxy/oauth2-proxy@sha256:" + strings.Repeat("0", 64) + "\n")
	dir, code, stderr := renderCLI(t, doc, "--dex-chart", "0.19.0")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, stderr)
	}
	for _, want := range []string{"error: dex chart: version 0.19.0 is not supported", "error: oauth2-proxy chart: image.tag: spec.oauth2Proxy.image"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused render wrote %s", dir)
	}
}

// TestUserValuesThroughTheCharts: the user's own Dex values (a GitHub
// connector, another client, their env) and istiod values (another
// provider) survive into the templated release next to meshauth's.
func TestUserValuesThroughTheCharts(t *testing.T) {
	binary(t, "helm", "make helm")
	dir := t.TempDir()
	dexValues := filepath.Join(dir, "my-dex.yaml")
	istiodValues := filepath.Join(dir, "my-istiod.yaml")
	if err := os.WriteFile(dexValues, []byte(`config:
  issuer: http://dex.auth.svc.cluster.local:5556/dex
  storage: {type: kubernetes, config: {inCluster: true}}
  web: {http: 0.0.0.0:5556}
  connectors:
  - type: github
    id: github
    name: GitHub
    config:
      clientID: my-github-app
      clientSecret: $GITHUB_CLIENT_SECRET
      redirectURI: https://kubeflow.example.com/dex/callback
  staticClients:
  - id: grafana
    name: Grafana
    secretEnv: GRAFANA_CLIENT_SECRET
    redirectURIs: [https://kubeflow.example.com/grafana/login/generic_oauth]
envVars:
- name: GITHUB_CLIENT_SECRET
  valueFrom: {secretKeyRef: {name: github-app, key: client-secret}}
- name: GRAFANA_CLIENT_SECRET
  valueFrom: {secretKeyRef: {name: grafana-oidc, key: client-secret}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(istiodValues, []byte("meshConfig:\n  accessLogFile: /dev/stdout\n  extensionProviders:\n  - name: otel\n    opentelemetry: {service: otel.observability.svc.cluster.local, port: 4317}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := []byte("apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: t}\nspec:\n  publicURL: https://kubeflow.example.com\n")
	r := installRelease(t, doc, "--dex-values", dexValues, "--istiod-values", istiodValues)
	checkRelease(t, r)
	var cfg struct {
		Connectors    []struct{ ID string }
		StaticClients []struct{ ID string }
	}
	if err := sigsyaml.Unmarshal([]byte(r.dexConfigText(t)), &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Connectors) != 1 || cfg.Connectors[0].ID != "github" || len(cfg.StaticClients) != 2 {
		t.Errorf("Dex's rendered config lost the user's connector or client: %+v", cfg)
	}
	env := map[string]bool{}
	for _, e := range r.dexContainer(t)["env"].([]any) {
		env[e.(map[string]any)["name"].(string)] = true
	}
	for _, want := range []string{"GITHUB_CLIENT_SECRET", "GRAFANA_CLIENT_SECRET", "OAUTH2_PROXY_CLIENT_SECRET"} {
		if !env[want] {
			t.Errorf("Dex's Deployment lacks env %s: %v", want, env)
		}
	}
	mesh := find(r.charts["istiod"], "ConfigMap", "istio-system", "istio").GetDataMap()["mesh"]
	for _, want := range []string{"name: otel", "name: oauth2-proxy", "accessLogFile: /dev/stdout"} {
		if !strings.Contains(mesh, want) {
			t.Errorf("the istiod chart's mesh config lacks %q:\n%s", want, mesh)
		}
	}
}

// dexContainer is the Dex container of the chart's Deployment.
func (r *release) dexContainer(t testing.TB) map[string]any {
	t.Helper()
	m := toMap(t, r.dexDeployment(t))
	cs := m["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)
	return cs[0].(map[string]any)
}

// deepEqual compares two decoded objects, reporting the first.
func deepEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := sigsyaml.Marshal(got)
		w, _ := sigsyaml.Marshal(want)
		t.Errorf("%s differs from the components:\n--- chart release\n%s--- components\n%s", what, g, w)
	}
}

// routeKind is the /oauth2/ route's kind in the gateway mode s chooses.
func routeKind(s api.Spec) string {
	if s.Gateway.GatewayAPI() {
		return "HTTPRoute"
	}
	return "VirtualService"
}
