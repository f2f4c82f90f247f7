package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/internal/helmrelease"
)

// TestHelmChartsLogin is the login flows on the Helm install: Dex and
// oauth2-proxy start from the configuration the upstream charts render
// (`helm template` of the Dex 0.24.0 and oauth2-proxy 10.7.0 charts and
// istiod's chart with the values of `authconfig-fn render --helm`), not from
// the kustomize components: Dex's config.yaml out of the Dex chart's Secret
// and the env of its Deployment; oauth2-proxy's oauth2_proxy.cfg out of the
// chart's ConfigMap with the args and env of the chart's Deployment (the
// loopback overrides of internal/loopback on top, as for the components);
// the gateway on istiod's xDS for the mesh config of the istiod chart, the
// /oauth2/ route the oauth2-proxy chart carries as an extra object, the
// policies of meshauth-extras.yaml and the routes Component's logout patch.
func TestHelmChartsLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
	if _, err := os.Stat(binPath("helm")); err != nil {
		t.Fatalf("e2e needs %s: run `make helm` first (CI does, before the tests)", binPath("helm"))
	}
	e := newEnvWith(t, "oauth2-proxy", envOptions{render: renderThroughCharts})
	t.Run("1_config_test_and_start", func(t *testing.T) { e.flowStart(t) })
	t.Run("2_browser_login", func(t *testing.T) { e.flowLogin(t) })
	t.Run("3_no_session", func(t *testing.T) { e.flowNoSession(t) })
	t.Run("4_logout", func(t *testing.T) { e.flowLogout(t) })
	t.Run("5_machine_tokens", func(t *testing.T) { e.flowMachineTokens(t) })
	t.Run("8_spoofed_identity_headers", func(t *testing.T) { e.flowSpoofedIdentity(t) })
}

// renderThroughCharts is renderAuthConfig for the Helm install: `authconfig-fn
// render --helm`, then `helm template` of the three charts. The rendered set
// the harness boots from holds:
//   - everything the oauth2-proxy chart renders (ConfigMap, Deployment,
//     Service, ServiceAccount, PodDisruptionBudget, the VirtualService);
//   - the Dex chart's Deployment, and its config.yaml (which the chart keeps
//     in a Secret) as the ConfigMap the harness reads Dex's config from;
//   - the istiod chart's mesh ConfigMap (istiod itself is bin/istiod-xds);
//   - meshauth-extras.yaml and routes/kustomization.yaml as written.
//
// Dex's Service is the harness's stand-in, as for the components (e2e/helmcheck
// checks that the chart's Service is the one the issuer names).
func renderThroughCharts(t testing.TB, ctx context.Context, ac map[string]any) (*rendered, error) {
	t.Helper()
	fnBin := binary(t, "authconfig-fn")
	dir, in := authConfigFile(t, ac)
	values := filepath.Join(dir, "helm")
	if msg, code := run(ctx, 30*time.Second, fnBin, []string{"render", "-f", in, "--helm", values}, nil); code != 0 {
		return nil, fmt.Errorf("authconfig-fn render --helm exited %d:\n%s", code, msg)
	}
	spec := ac["spec"].(map[string]any)
	nsOf := func(key, def string, path ...string) string {
		m, _ := spec[key].(map[string]any)
		for _, p := range path {
			m, _ = m[p].(map[string]any)
		}
		return strOr(m, "namespace", def)
	}
	o2pNS, dexNS, istiodNS := nsOf("oauth2Proxy", "oauth2-proxy"), nsOf("dex", "auth"), nsOf("istio", "istio-system", "istiod")
	dexCM := strOr(spec["dex"].(map[string]any), "configMap", "dex")

	charts, err := helmrelease.Find(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	template := func(release, chart, ns, file string) []*kyaml.RNode {
		out, err := helmrelease.Template(ctx, binPath("helm"), release, chart, ns, filepath.Join(values, file))
		if err != nil {
			t.Fatal(err)
		}
		objs, err := kio.FromBytes(out)
		if err != nil {
			t.Fatalf("helm template %s: %v", release, err)
		}
		return objs
	}
	o2p := template("oauth2-proxy", charts.OAuth2Proxy, o2pNS, "oauth2-proxy-values.yaml")
	dex := template("dex", charts.Dex, dexNS, "dex-values.yaml")
	istiod := template("istiod", charts.Istiod, istiodNS, "istiod-values.yaml")

	dexConfig, err := helmrelease.DexConfig(dex)
	if err != nil {
		t.Fatal(err)
	}
	keep := o2p
	for _, o := range dex {
		if o.GetKind() == "Deployment" {
			keep = append(keep, o)
		}
	}
	cm := kyaml.MustParse("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")
	if err := cm.PipeE(kyaml.SetK8sName(dexCM)); err != nil {
		t.Fatal(err)
	}
	if err := cm.PipeE(kyaml.SetK8sNamespace(dexNS)); err != nil {
		t.Fatal(err)
	}
	cm.SetDataMap(map[string]string{"config.yaml": dexConfig})
	keep = append(keep, cm)
	for _, o := range istiod {
		if o.GetKind() == "ConfigMap" && o.GetName() == "istio" {
			keep = append(keep, o)
		}
	}
	out := filepath.Join(dir, "release")
	if err := os.MkdirAll(filepath.Join(out, "routes"), 0o755); err != nil {
		t.Fatal(err)
	}
	text, err := kio.StringAll(keep)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"charts.yaml": text}
	for _, f := range []string{"meshauth-extras.yaml", "routes/kustomization.yaml"} {
		if b, err := os.ReadFile(filepath.Join(values, f)); err == nil {
			files[f] = string(b)
		}
	}
	r := &rendered{dir: out}
	for name, text := range files {
		p := filepath.Join(out, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := r.load(p); err != nil {
			t.Fatalf("reading the chart release: %v", err)
		}
	}
	if !strings.Contains(files["charts.yaml"], "helm.sh/chart: oauth2-proxy-") {
		t.Fatalf("the release holds no object of the oauth2-proxy chart")
	}
	return r, nil
}

// TestHelmChartsCheckServer is flow 6 on the Helm install: the check-server
// of meshauth-extras.yaml in front of oauth2-proxy and Dex started from the
// chart-rendered configuration, the gateway on the istiod chart's mesh.
func TestHelmChartsCheckServer(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
	if _, err := os.Stat(binPath("helm")); err != nil {
		t.Fatalf("e2e needs %s: run `make helm` first (CI does, before the tests)", binPath("helm"))
	}
	e := newEnvWith(t, "check-server", envOptions{render: renderThroughCharts})
	t.Run("6_session_delegated", func(t *testing.T) { e.flowLogin(t) })
	t.Run("6_no_session", func(t *testing.T) { e.flowNoSession(t) })
	t.Run("6_logout", func(t *testing.T) { e.flowLogout(t) })
	t.Run("6_bearer_verified", func(t *testing.T) { e.flowMachineTokens(t) })
	t.Run("6_spoofed_identity_headers", func(t *testing.T) { e.flowSpoofedIdentity(t) })
}
