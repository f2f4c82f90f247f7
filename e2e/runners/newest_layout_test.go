package runners_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The newest Kubeflow layout (issue 25): the dashboard is kubeflow/dashboard,
// not kubeflow/centraldashboard (testdata/newest-layout).

// newestLayout writes a kustomization over the newest layout's objects with
// extra appended to it, and returns its folder.
func newestLayout(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "e2e", "runners", "testdata", "newest-layout", "kubeflow.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kubeflow.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- kubeflow.yaml\n" + extra
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeAuthConfig writes an exec-function AuthConfig with spec (YAML, indented
// by two) into dir.
func writeAuthConfig(t *testing.T, dir, spec string) {
	t.Helper()
	ac := "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata:\n  name: kubeflow\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: " +
		tool(t, "authconfig-fn") + "\nspec:\n" + spec
	if err := os.WriteFile(filepath.Join(dir, "authconfig.yaml"), []byte(ac), 0o644); err != nil {
		t.Fatal(err)
	}
}

func object(t *testing.T, out, kind, namespace, name string) *yaml.RNode {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.GetKind() == kind && n.GetNamespace() == namespace && n.GetName() == name {
			return n
		}
	}
	t.Fatalf("the build holds no %s %s/%s", kind, namespace, name)
	return nil
}

// firstRouteName is the name of the first HTTP route of a VirtualService.
func firstRouteName(t *testing.T, vs *yaml.RNode) string {
	t.Helper()
	n, err := vs.Pipe(yaml.Lookup("spec", "http", "0", "name"))
	if err != nil || n == nil {
		return ""
	}
	return yaml.GetValue(n)
}

// TestNewestLayoutDefaultAuthConfig: the default AuthConfig (publicURL
// only) as a kustomize transformer over the newest layout finds the
// dashboard's VirtualService by what it serves and puts the logout route
// first in it; the mesh provider, Dex's client and istiod's env land too.
func TestNewestLayoutDefaultAuthConfig(t *testing.T) {
	dir := newestLayout(t, "transformers:\n- authconfig.yaml\n")
	writeAuthConfig(t, dir, "  publicURL: https://kubeflow.example.com\n")
	out := build(t, dir)
	if got := firstRouteName(t, object(t, out, "VirtualService", "kubeflow", "dashboard")); got != "meshauth-logout" {
		t.Errorf("kubeflow/dashboard's first route is %q, want meshauth-logout", got)
	}
	if got := firstRouteName(t, object(t, out, "VirtualService", "kubeflow", "profiles-kfam")); got == "meshauth-logout" {
		t.Errorf("the logout route went into profiles-kfam, which does not serve /logout")
	}
	mesh := object(t, out, "ConfigMap", "istio-system", "istio").GetDataMap()["mesh"]
	if !strings.Contains(mesh, "envoyExtAuthzHttp") {
		t.Errorf("the mesh config lacks the ext_authz provider:\n%s", mesh)
	}
	if dex := object(t, out, "ConfigMap", "auth", "dex").GetDataMap()["config.yaml"]; !strings.Contains(dex, "/oauth2/callback") {
		t.Errorf("Dex's config lacks oauth2-proxy's client:\n%s", dex)
	}
}

// TestNewestLayoutComponentsFailLoudly: the components rendered for the
// kubeflow/manifests layout (components/, logout into centraldashboard)
// over the newest layout make kustomize fail, naming the VirtualService;
// before, the logout patch's target selector matched nothing and the build
// exited 0 without a logout route. With spec.logout.virtualService naming
// the dashboard, the same components build with the route first.
func TestNewestLayoutComponentsFailLoudly(t *testing.T) {
	root := repoRoot(t)
	comps := func(dir, spec string) {
		f := filepath.Join(t.TempDir(), "ac.yaml")
		ac := "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata:\n  name: kubeflow\nspec:\n" + spec
		if err := os.WriteFile(f, []byte(ac), 0o644); err != nil {
			t.Fatal(err)
		}
		must(t, run(t, root, nil, tool(t, "authconfig-fn"), "render", "-f", f, "-o", filepath.Join(dir, "components")), "render")
	}
	list := "components:\n- components/oauth2-proxy\n- components/dex-clients\n- components/istio-external-auth\n- components/istiod-jwt-refresh\n- components/logout\n"

	dir := newestLayout(t, list)
	comps(dir, "  publicURL: https://kubeflow.example.com\n")
	r := run(t, dir, nil, tool(t, "kustomize"), "build", ".")
	if r.err == nil || !strings.Contains(r.stderr, "centraldashboard") {
		t.Errorf("components for kubeflow/centraldashboard over the newest layout: want a failed build naming it, got err=%v\n%s", r.err, clip(r.stderr))
	}

	dir = newestLayout(t, list)
	comps(dir, "  publicURL: https://kubeflow.example.com\n  logout:\n    virtualService: {namespace: kubeflow, name: dashboard}\n")
	out := must(t, run(t, dir, nil, tool(t, "kustomize"), "build", "."), "kustomize build").stdout
	if got := firstRouteName(t, object(t, out, "VirtualService", "kubeflow", "dashboard")); got != "meshauth-logout" {
		t.Errorf("with logout.virtualService kubeflow/dashboard the first route is %q, want meshauth-logout", got)
	}
}

// TestLargeTokensEveryRoute: the kustomize form of
// oidc.largeTokens.stripCookieRoutes removes the cookie on every route of
// the VirtualService (it removed it on the first one only), keeps what a
// route already removes, adds nothing twice, and leaves no helper object.
func TestLargeTokensEveryRoute(t *testing.T) {
	root := repoRoot(t)
	dir := newestLayout(t, "components:\n- components/large-tokens\n")
	vs := `---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: metadata-grpc, namespace: kubeflow}
spec:
  gateways: [kubeflow-gateway]
  hosts: ['*']
  http:
  - match: [{uri: {prefix: /ml_metadata}}]
    route: [{destination: {host: metadata-envoy-service.kubeflow.svc.cluster.local}}]
  - match: [{uri: {prefix: /ml_metadata2}}]
    headers: {request: {remove: [x-extra, cookie]}}
    route: [{destination: {host: metadata-envoy-service.kubeflow.svc.cluster.local}}]
  - headers: {request: {remove: [x-other]}}
    route: [{destination: {host: metadata-envoy-service.kubeflow.svc.cluster.local}}]
`
	appendFile(t, filepath.Join(dir, "kubeflow.yaml"), vs)
	f := filepath.Join(t.TempDir(), "ac.yaml")
	ac := "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata:\n  name: kubeflow\nspec:\n  publicURL: https://kubeflow.example.com\n  oidc:\n    largeTokens:\n      stripCookieRoutes: [{namespace: kubeflow, name: metadata-grpc}]\n"
	if err := os.WriteFile(f, []byte(ac), 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, run(t, root, nil, tool(t, "authconfig-fn"), "render", "-f", f, "-o", filepath.Join(dir, "components")), "render")
	out := must(t, run(t, dir, nil, tool(t, "kustomize"), "build", "."), "kustomize build").stdout
	routes, err := object(t, out, "VirtualService", "kubeflow", "metadata-grpc").Pipe(yaml.Lookup("spec", "http"))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"cookie"}, {"x-extra", "cookie"}, {"x-other", "cookie"}}
	for i, r := range routes.YNode().Content {
		rm, _ := yaml.NewRNode(r).Pipe(yaml.Lookup("headers", "request", "remove"))
		var got []string
		if rm != nil {
			for _, n := range rm.YNode().Content {
				got = append(got, n.Value)
			}
		}
		if strings.Join(got, ",") != strings.Join(want[i], ",") {
			t.Errorf("route %d removes %v, want %v", i, got, want[i])
		}
	}
	if strings.Contains(out, "meshauth-large-tokens-values") {
		t.Errorf("the replacements' local-config source is in the build output")
	}
}
