package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/internal/gateway"
	"meshauth.dev/meshauth/internal/kubeapi"
)

// The gateway: istiod generates the ingress gateway's xDS from the emitted
// Istio objects (bin/istiod-xds, istiod's own code), and internal/gateway
// serves it (Envoy does not run here; that package follows Envoy's
// documented behaviour and refuses what it does not implement).

// newGateway runs istiod-xds over what the cluster would hold — the emitted
// objects, the merged mesh config, the stand-ins of overrides_test.go — and
// builds the gateway on the result, with the registry (Service FQDN:port →
// loopback address) as the cluster endpoints.
func (e *env) newGateway(registry map[string]string) http.Handler {
	t := e.t
	objs, labels := e.istiodInput()
	var b strings.Builder
	for _, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "istio.yaml"), filepath.Join(dir, "xds.json")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	gw, _ := e.spec()["gateway"].(map[string]any)
	args := []string{"-proxy-namespace", strOr(gw, "namespace", "istio-system"), "-proxy-labels", labels, "-o", out}
	// The Gateway API's CRDs (schema and CEL), which Istio's bundle lacks.
	crds, err := kubeapi.GatewayAPICRDFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range crds {
		args = append(args, "-crds", f)
	}
	args = append(args, in)
	start := time.Now()
	msg, code := run(e.ctx, readyTimeout, binary(t, "istiod-xds"), args, nil)
	e.xdsTime = time.Since(start)
	e.lg.printf("istiod-xds", "exit %d in %v\n%s\n--- input ---\n%s", code, e.xdsTime, msg, b.String())
	raw, err := os.ReadFile(out)
	if code != 0 || err != nil {
		t.Fatalf("istiod-xds refuses the emitted Istio objects (exit %d, %v):\n%s", code, err, msg)
	}
	if d := os.Getenv("E2E_XDS_SAVE"); d != "" {
		// internal/gateway's tests on real istiod output are refreshed from
		// here: E2E_XDS_SAVE=$PWD/internal/gateway/testdata/istiod go test ./e2e/
		name := strings.ReplaceAll(t.Name(), "/", "_")
		os.WriteFile(filepath.Join(d, name+".input.yaml"), []byte(b.String()), 0o644)
		os.WriteFile(filepath.Join(d, name+".xds.json"), raw, 0o644)
	}
	x, err := gateway.ParseXDS(raw)
	if err != nil {
		t.Fatalf("istiod's xDS does not decode: %v", err)
	}
	for _, m := range x.Messages {
		e.lg.printf("istiod-xds", "%s: %s: %s", m.Severity, m.Object, m.Message)
	}
	clusters := map[string]string{}
	for hp, addr := range registry {
		i := strings.LastIndex(hp, ":")
		clusters[fmt.Sprintf("outbound|%s||%s", hp[i+1:], hp[:i])] = addr
	}
	g, err := gateway.New(x, gateway.Options{Clusters: clusters,
		Log: func(format string, args ...any) { e.lg.printf("gateway", format, args...) }})
	if err != nil {
		t.Fatalf("internal/gateway cannot implement istiod's xDS: %v", err)
	}
	t.Logf("istiod-xds generated the gateway's xDS in %v", e.xdsTime.Round(time.Millisecond))
	return g
}

// istiodInput is what the cluster holds that istiod reads: every emitted
// Istio object and Service (not the patches), the mesh ConfigMap with the
// merged mesh config, and the stand-ins; and the gateway pod's labels.
// meshConfig is the emitted mesh config, with the environment's
// pathNormalization when it sets one (a cluster's own choice).
func (e *env) meshConfig() string {
	mesh := e.r.configMapKey(e.t, "istio-system", "istio", "mesh")
	if e.opts.pathNormalization == "" {
		return mesh
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(mesh), &m); err != nil {
		e.t.Fatalf("the emitted mesh config: %v", err)
	}
	m["pathNormalization"] = map[string]any{"normalization": e.opts.pathNormalization}
	b, err := yaml.Marshal(m)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *env) istiodInput() ([]map[string]any, string) {
	t := e.t
	spec := e.spec()
	gw, _ := spec["gateway"].(map[string]any)
	gwName := strOr(gw, "name", "kubeflow/kubeflow-gateway")
	var objs []map[string]any
	for _, o := range e.r.objects {
		g := apiGroup(o.apiVersion())
		if o.patch || !(g == "security.istio.io" || g == "networking.istio.io" || g == gatewayAPIGroup || (g == "" && o.kind() == "Service")) {
			continue
		}
		objs = append(objs, o.m)
	}
	objs = append(objs, map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"namespace": "istio-system", "name": "istio"},
		"data":     map[string]any{"mesh": e.meshConfig()}})
	if strOr(gw, "api", "istio") == "gateway-api" {
		return e.gatewayAPIInput(objs)
	}

	// The dashboard's VirtualService with the emitted logout patches applied.
	lo, _ := spec["logout"].(map[string]any)
	vsRef, _ := lo["virtualService"].(map[string]any)
	dashNS, dashName := strOr(vsRef, "namespace", "kubeflow"), strOr(vsRef, "name", "centraldashboard")
	dash := standInDashboardVS(dashNS, dashName, gwName)
	for _, o := range e.r.all("networking.istio.io", "VirtualService", "") {
		switch {
		case o.patch && o.namespace() == dashNS && o.name() == dashName:
			mergePatch(dash, o.m)
		case o.patch:
			t.Fatalf("%s patches a VirtualService the harness has no stand-in for", o)
		}
	}
	for _, jp := range e.r.jsonPatches {
		if jp.target["kind"] == "VirtualService" && jp.target["name"] == dashName && strOr(jp.target, "namespace", dashNS) == dashNS {
			if err := applyJSONPatch(dash, jp.ops); err != nil {
				t.Fatalf("%s: applying the JSON patch to the dashboard VirtualService: %v", jp.where, err)
			}
		}
	}
	objs = append(objs, dash, standInDexVS(gwName))
	objs = append(objs, standInServices()...)

	selector := map[string]string{"app": "istio-ingressgateway"}
	if s, ok := gw["selector"].(map[string]any); ok {
		selector = map[string]string{}
		for k, v := range s {
			selector[k], _ = v.(string)
		}
	}
	labels := standInGatewayPodLabels(selector)
	objs = append(objs, standInGateway(gwName, labels))
	var kv []string
	for k, v := range labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return objs, strings.Join(kv, ",")
}

// gatewayAPIInput is istiodInput for gateway.api: gateway-api: the emitted HTTPRoutes and
// targetRefs policies on the stand-in Kubernetes Gateway, the dashboard's HTTPRoute, and the
// auto-deployed gateway's Service and pod labels (the proxy's).
func (e *env) gatewayAPIInput(objs []map[string]any) ([]map[string]any, string) {
	t := e.t
	c, errs := api.Load(mustYAML(t, e.ac))
	if len(errs) > 0 {
		t.Fatalf("the AuthConfig: %v", errs)
	}
	g := c.Spec.Gateway
	svc, labels := standInManagedGateway(g.Namespace, g.GatewayName())
	objs = append(objs, standInK8sGateway(g.Namespace, g.GatewayName()), standInDashboardRoute(g.Namespace, g.GatewayName()), svc)
	objs = append(objs, standInServices()...)
	var kv []string
	for k, v := range labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return objs, strings.Join(kv, ",")
}

func mustYAML(t testing.TB, v any) []byte {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
