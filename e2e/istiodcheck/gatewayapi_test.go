package istiodcheck

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/generators"
	"meshauth.dev/meshauth/internal/gatewayapicase"
)

// isClassicIngress: the corpus objects of the classic Istio ingress — its gateway Deployment and
// Service, the networking.istio.io Gateway and the VirtualServices bound to it.
func isClassicIngress(n *yaml.RNode) bool {
	switch {
	case n.GetNamespace() == "istio-system" && strings.HasPrefix(n.GetName(), "istio-ingressgateway") && (n.GetKind() == "Deployment" || n.GetKind() == "Service"):
		return true
	case strings.HasPrefix(n.GetApiVersion(), "networking.istio.io/") && (n.GetKind() == "Gateway" || n.GetKind() == "VirtualService"):
		return true
	}
	return false
}

// gatewayAPILayout is what a platform on a Kubernetes Gateway holds besides the rendered stack:
// the class-istio Gateway the AuthConfig names (HTTP :80, routes from every namespace; a Gateway
// in the stream replaces it), the central dashboard's catch-all as an HTTPRoute on it, and the
// ALLOW policy on the Gateway that Kubeflow's global-deny-all needs (the function refuses a
// stream without it), as the migration in docs/gateway-api.md makes them.
func gatewayAPILayout(t *testing.T, s api.Spec) []*yaml.RNode {
	t.Helper()
	g := s.Gateway
	parent := fmt.Sprintf("{group: %s, kind: Gateway, namespace: %s, name: %s}", generators.GatewayAPIGroup, g.Namespace, g.GatewayName())
	text := fmt.Sprintf(`apiVersion: %[1]s/v1
kind: Gateway
metadata: {name: %[2]s, namespace: %[3]s}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: %[1]s/v1
kind: HTTPRoute
metadata: {name: centraldashboard, namespace: kubeflow}
spec:
  parentRefs: [%[4]s]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{group: "", kind: Service, name: centraldashboard, port: 80, weight: 1}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: %[2]s-allow, namespace: %[3]s}
spec:
  action: ALLOW
  rules: [{}]
  targetRefs: [{group: %[1]s, kind: Gateway, name: %[2]s}]
`, generators.GatewayAPIGroup, g.GatewayName(), g.Namespace, parent)
	nodes, err := kio.FromBytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

// autoDeployed is what Istio's deployment controller makes for a class-istio Gateway without
// addresses, which the fake discovery server does not run: the Service <gateway>-istio (every
// listener's port, targetPort written out — the fake clientset applies no defaults, and a port
// without it listens on 0) and the gateway Deployment with the pod labels Istio gives it. The
// Gateway is the one in the stream (or the layout's).
func autoDeployed(t *testing.T, stream []*yaml.RNode, s api.Spec) []*yaml.RNode {
	t.Helper()
	g := s.Gateway
	name := g.GatewayName()
	var gw *yaml.RNode
	for _, n := range stream {
		if n.GetKind() == "Gateway" && strings.HasPrefix(n.GetApiVersion(), generators.GatewayAPIGroup+"/") && n.GetName() == name && n.GetNamespace() == g.Namespace {
			gw = n
		}
		if n.GetKind() == "Service" && n.GetName() == name+"-istio" && n.GetNamespace() == g.Namespace {
			return nil // deployed by hand, or by the test
		}
	}
	if gw == nil {
		t.Fatalf("no Gateway %s in the stream or the layout", g.Name)
	}
	if addrs, _ := gw.Pipe(yaml.Lookup("spec", "addresses")); addrs != nil && len(addrs.YNode().Content) > 0 {
		return nil // deployed by hand: its Service and Deployment are the stream's (Istio deploys nothing)
	}
	listeners, _ := gw.Pipe(yaml.Lookup("spec", "listeners"))
	els, _ := listeners.Elements()
	var ports []string
	var secrets []*yaml.RNode
	seen := map[string]bool{}
	for _, l := range els {
		secrets = append(secrets, listenerCertificates(t, l, g.Namespace)...)
		port := yaml.GetValue(l.Field("port").Value)
		if !seen[port] {
			seen[port] = true
			ports = append(ports, fmt.Sprintf("  - {name: %s-%s, port: %s, targetPort: %s, protocol: TCP}", strings.ToLower(yaml.GetValue(l.Field("protocol").Value)), port, port, port))
		}
	}
	labels := fmt.Sprintf("{%s: %s, gateway.networking.k8s.io/gateway-class-name: istio, gateway.istio.io/managed: istio.io-gateway-controller, service.istio.io/canonical-name: %s-istio}", api.GatewayNameLabel, name, name)
	text := fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: %[1]s-istio, namespace: %[2]s, labels: %[3]s}
spec:
  type: ClusterIP
  selector: {%[4]s: %[1]s}
  ports:
%[5]s
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s-istio, namespace: %[2]s}
spec:
  selector: {matchLabels: {%[4]s: %[1]s}}
  template:
    metadata: {labels: %[3]s}
    spec: {containers: [{name: istio-proxy, image: auto}]}
`, name, g.Namespace, labels, api.GatewayNameLabel, strings.Join(ports, "\n"))
	nodes, err := kio.FromBytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return append(nodes, secrets...)
}

// listenerCertificates are the TLS Secrets an HTTPS listener's certificateRefs name, with a
// self-signed certificate for its hostname: the platform's certificates, which istiod needs to
// see (it drops an HTTPS listener whose Secret is missing).
func listenerCertificates(t *testing.T, l *yaml.RNode, gwNamespace string) []*yaml.RNode {
	t.Helper()
	refs, _ := l.Pipe(yaml.Lookup("tls", "certificateRefs"))
	if refs == nil {
		return nil
	}
	host := "*.example.com"
	if h := l.Field("hostname"); h != nil {
		host = yaml.GetValue(h.Value)
	}
	certPEM, keyPEM := selfSigned(t, host)
	els, _ := refs.Elements()
	var out []*yaml.RNode
	for _, r := range els {
		ns := gwNamespace
		if n := r.Field("namespace"); n != nil {
			ns = yaml.GetValue(n.Value)
		}
		secret := fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: %s}\ntype: kubernetes.io/tls\ndata: {tls.crt: %s, tls.key: %s}\n",
			yaml.GetValue(r.Field("name").Value), ns, base64.StdEncoding.EncodeToString(certPEM), base64.StdEncoding.EncodeToString(keyPEM))
		n, err := yaml.Parse(secret)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func selfSigned(t *testing.T, host string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	k, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k})
}

// TestGatewayAPIMutations: on a Kubernetes Gateway, each way the policies or routes can silently
// miss the gateway must be caught by the istiod check (the function refuses what it can see of
// these; this proves the check itself would notice). The stack is overlays/gateway-api's build.
func TestGatewayAPIMutations(t *testing.T) {
	istiodBin(t)
	tool(t, "authconfig-fn")
	dir := filepath.Join(repoRoot(t), "overlays", "gateway-api")
	c, ok := loadAuthConfig(t, filepath.Join(dir, "authconfig.yaml"))
	if !ok || !c.Spec.Gateway.GatewayAPI() {
		t.Fatal("overlays/gateway-api must be a valid AuthConfig with gateway.api: gateway-api")
	}
	built := build(t, dir, "--enable-alpha-plugins", "--enable-exec")
	base := func(t *testing.T) []*yaml.RNode {
		var copied []*yaml.RNode
		for _, n := range built {
			copied = append(copied, n.Copy())
		}
		return withContext(t, copied, c.Spec)
	}
	g := c.Spec.Gateway
	custom := func(n *yaml.RNode) bool {
		a, _ := n.Pipe(yaml.Lookup("spec", "action"))
		return n.GetKind() == "AuthorizationPolicy" && a != nil && yaml.GetValue(a) == "CUSTOM"
	}
	must := func(t *testing.T, err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	manualLabels := map[string]string{"app": "manual-gateway"}
	mutations := []struct {
		name   string
		match  func(*yaml.RNode) bool
		mutate func(*testing.T, *yaml.RNode)
		proxy  map[string]string // the gateway pod's labels after the mutation; nil = unchanged
	}{
		{"the CUSTOM policy by selector (the classic one) instead of targetRefs", custom, func(t *testing.T, n *yaml.RNode) {
			must(t, n.PipeE(yaml.Lookup("spec"), yaml.Clear("targetRefs")))
			sel := map[string]string{"app": "istio-ingressgateway"}
			must(t, n.PipeE(yaml.LookupCreate(yaml.MappingNode, "spec", "selector"), yaml.SetField("matchLabels", yaml.NewMapRNode(&sel))))
		}, nil},
		{"the CUSTOM policy in another namespace than the Gateway", custom, func(t *testing.T, n *yaml.RNode) {
			must(t, n.SetNamespace("kubeflow"))
		}, nil},
		{"gateway pods deployed by hand without the gateway-name label", func(n *yaml.RNode) bool {
			return n.GetKind() == "Service" && n.GetName() == g.GatewayName()+"-istio" && n.GetNamespace() == g.Namespace
		}, func(t *testing.T, n *yaml.RNode) {
			must(t, n.PipeE(yaml.Lookup("spec"), yaml.SetField("selector", yaml.NewMapRNode(&manualLabels))))
		}, manualLabels},
		{"a listener that does not admit the routes' namespaces", func(n *yaml.RNode) bool {
			return n.GetKind() == "Gateway" && strings.HasPrefix(n.GetApiVersion(), generators.GatewayAPIGroup+"/") && n.GetName() == g.GatewayName()
		}, func(t *testing.T, n *yaml.RNode) {
			must(t, n.PipeE(yaml.Lookup("spec", "listeners", "[name=http]", "allowedRoutes", "namespaces"), yaml.SetField("from", yaml.NewStringRNode("Same"))))
		}, nil},
	}
	t.Run("unmutated", func(t *testing.T) { verify(t, base(t), c) })
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			stream := base(t)
			mutateOne(t, stream, m.match, m.mutate)
			gw := gatewayOf(t, base(t), c.Spec)
			if m.proxy != nil {
				gw.labels = m.proxy
			}
			p := problemsFor(t, stream, c, gw)
			if len(p) == 0 {
				t.Fatal("the istiod check did not catch the mutation")
			}
			t.Logf("caught: %s", strings.Join(p, "\n  "))
		})
	}
}

// TestGoldenCasesInGatewayAPIMode: every golden case's AuthConfig, moved to a Kubernetes Gateway
// as docs/gateway-api.md's migration says (gateway.api: gateway-api, no classic selector, no
// logout VirtualService), renders in components mode and passes istiod on that Gateway — or is
// refused by the AuthConfig's rules with a field path and a reason (a field that only acts on
// VirtualServices).
func TestGoldenCasesInGatewayAPIMode(t *testing.T) {
	istiodBin(t)
	tool(t, "kustomize")
	dirs, _ := filepath.Glob(filepath.Join(repoRoot(t), "testdata", "cases", "*"))
	for _, dir := range dirs {
		file := filepath.Join(dir, "authconfig.yaml")
		if _, ok := loadAuthConfig(t, file); !ok {
			continue // invalid in any mode
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, rl := gatewayapicase.Render(t, readFile(t, file))
			if refused(rl) {
				t.Fatalf("the function refuses it: %v", rl.Results)
			}
			verify(t, componentsStream(t, rl, c), c)
		})
	}
}

func readFile(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGatewayAPIAmbient: overlays/gateway-api on an ambient install, as Kubeflow's ambient overlay
// makes it (istiod with PILOT_ENABLE_AMBIENT, the app and auth namespaces enrolled with
// istio.io/dataplane-mode: ambient; the corpus's root-namespace global-deny-all) with the ALLOW
// policy the function asks for on the Gateway (the layout's): istiod generates the same ingress authentication on the
// Gateway — header filter, ext_authz, CUSTOM and DENY rules, jwt_authn, the routes. Without the
// ALLOW policy every request is denied, and the check says so.
func TestGatewayAPIAmbient(t *testing.T) {
	dir, c := overlayCase(t, "gateway-api")
	g := c.Spec.Gateway
	built := build(t, dir, "--enable-alpha-plugins", "--enable-exec")
	ambient := func(t *testing.T, allow bool) []*yaml.RNode {
		var stream []*yaml.RNode
		for _, n := range built {
			stream = append(stream, n.Copy())
		}
		stream = withContext(t, stream, c.Spec)
		enrolled := map[string]bool{c.Spec.OAuth2Proxy.Namespace: true, c.Spec.Dex.Namespace: true, "kubeflow": true}
		for _, n := range stream {
			switch {
			case n.GetKind() == "Deployment" && n.GetNamespace() == c.Spec.Istio.Istiod.Namespace && n.GetName() == c.Spec.Istio.Istiod.Deployment:
				env, err := n.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name="+c.Spec.Istio.Istiod.Container+"]"), yaml.LookupCreate(yaml.SequenceNode, "env"))
				if err != nil {
					t.Fatal(err)
				}
				if err := env.PipeE(yaml.Append(yaml.NewMapRNode(&map[string]string{"name": "PILOT_ENABLE_AMBIENT", "value": "true"}).YNode())); err != nil {
					t.Fatal(err)
				}
			case n.GetKind() == "Namespace" && enrolled[n.GetName()]:
				labels := n.GetLabels()
				labels["istio.io/dataplane-mode"] = "ambient"
				if err := n.SetLabels(labels); err != nil {
					t.Fatal(err)
				}
				delete(enrolled, n.GetName())
			case n.GetKind() == "Gateway" && strings.HasPrefix(n.GetApiVersion(), generators.GatewayAPIGroup+"/") && n.GetName() == g.GatewayName():
				// The ambient index needs the Gateway's address, which Istio's status writer sets.
				st, err := yaml.Parse("addresses: [{type: IPAddress, value: 10.96.0.80}]")
				if err != nil {
					t.Fatal(err)
				}
				if err := n.PipeE(yaml.SetField("status", st)); err != nil {
					t.Fatal(err)
				}
			}
		}
		var extra strings.Builder
		for ns := range enrolled {
			fmt.Fprintf(&extra, "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {istio.io/dataplane-mode: ambient}}\n", ns)
		}
		more, err := kio.FromBytes([]byte(extra.String()))
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, more...)
		if allow {
			return stream
		}
		var kept []*yaml.RNode
		for _, n := range stream {
			if !(n.GetKind() == "AuthorizationPolicy" && n.GetName() == g.GatewayName()+"-allow") {
				kept = append(kept, n)
			}
		}
		return kept
	}
	t.Run("with the ALLOW policy on the Gateway", func(t *testing.T) {
		stream := ambient(t, true)
		if env := istiodEnv(stream, c.Spec); len(env) != 1 || env[0] != "PILOT_ENABLE_AMBIENT=true" {
			t.Fatalf("istiod runs with %v, want PILOT_ENABLE_AMBIENT=true", env)
		}
		verify(t, stream, c)
	})
	t.Run("without it, global-deny-all denies everything", func(t *testing.T) {
		p := strings.Join(problems(t, ambient(t, false), c), "\n")
		if !strings.Contains(p, "every request is denied") {
			t.Errorf("the istiod check did not see the deny-all; problems:\n%s", p)
		}
	})
}

// TestGatewayAPIManualDeployment: a Gateway whose pods are deployed by hand (spec.addresses names
// their Service, Istio's "manual deployment"), labelled with the gateway-name label as the
// function requires: istiod binds the Gateway to those pods through the Service and every
// targetRefs policy applies. (Without the label the function refuses the stream; the istiod check
// catches it too: TestGatewayAPIMutations.)
func TestGatewayAPIManualDeployment(t *testing.T) {
	dir, c := overlayCase(t, "gateway-api")
	g := c.Spec.Gateway
	stream := build(t, dir, "--enable-alpha-plugins", "--enable-exec")
	for _, n := range stream {
		if n.GetKind() == "Gateway" && n.GetName() == g.GatewayName() {
			a, err := yaml.Parse(fmt.Sprintf("[{type: Hostname, value: ingress.%s.svc.cluster.local}]", g.Namespace))
			if err != nil {
				t.Fatal(err)
			}
			if err := n.PipeE(yaml.Lookup("spec"), yaml.SetField("addresses", a)); err != nil {
				t.Fatal(err)
			}
		}
	}
	manual, err := kio.FromBytes([]byte(fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: ingress, namespace: %[1]s}
spec:
  selector: {app: ingress}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress, namespace: %[1]s}
spec:
  selector: {matchLabels: {app: ingress}}
  template:
    metadata: {labels: {app: ingress, %[2]s: %[3]s}}
    spec: {containers: [{name: istio-proxy, image: auto}]}
`, g.Namespace, api.GatewayNameLabel, g.GatewayName())))
	if err != nil {
		t.Fatal(err)
	}
	stream = withContext(t, append(stream, manual...), c.Spec)
	for _, n := range stream {
		if n.GetName() == g.GatewayName()+"-istio" {
			t.Fatalf("the layout deployed %s %s for a Gateway with addresses", n.GetKind(), n.GetName())
		}
	}
	verify(t, stream, c)
}

// TestOverlaysInGatewayAPIMode: every overlay moved to a Kubernetes Gateway as docs/gateway-api.md's
// migration says — gateway.api: gateway-api, no classic selector or logout VirtualService, and the
// VirtualServices bound to the classic gateway taken out (the layout holds the dashboard's route
// as an HTTPRoute) — builds with kustomize and the function, and passes istiod. Left in, such a
// VirtualService must make the function refuse the build, naming it.
func TestOverlaysInGatewayAPIMode(t *testing.T) {
	istiodBin(t)
	fnBin := tool(t, "authconfig-fn")
	kustomize := tool(t, "kustomize")
	dirs, _ := filepath.Glob(filepath.Join(repoRoot(t), "overlays", "*", "kustomization.yaml"))
	for _, k := range dirs {
		src := filepath.Dir(k)
		t.Run(filepath.Base(src), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			ac := filepath.Join(dir, "authconfig.yaml")
			var m map[string]any
			if err := sigsyaml.Unmarshal(readFile(t, ac), &m); err != nil {
				t.Fatal(err)
			}
			m["metadata"].(map[string]any)["annotations"].(map[string]any)["config.kubernetes.io/function"] = "exec:\n  path: " + fnBin + "\n"
			if err := api.MoveToGatewayAPI(m); err != nil {
				t.Fatal(err)
			}
			b, err := sigsyaml.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(ac, b, 0o644); err != nil {
				t.Fatal(err)
			}
			c, errs := api.Load(b)
			if len(errs) > 0 {
				t.Skipf("refused in gateway-api mode: %v", errs)
			}
			kfile := filepath.Join(dir, "kustomization.yaml")
			var kust map[string]any
			if err := sigsyaml.Unmarshal(readFile(t, kfile), &kust); err != nil {
				t.Fatal(err)
			}
			var kept, dropped []any
			for _, r := range kust["resources"].([]any) {
				if strings.Contains(string(readFile(t, filepath.Join(dir, r.(string)))), "kind: VirtualService") {
					dropped = append(dropped, r)
					continue
				}
				kept = append(kept, r)
			}
			if len(dropped) > 0 {
				// Left in, the VirtualService serving the same host is refused, by name.
				out, err := exec.Command(kustomize, "build", "--enable-alpha-plugins", "--enable-exec", dir).CombinedOutput()
				if err == nil || !strings.Contains(string(out), "VirtualService") || !strings.Contains(string(out), "spec.gateway.api: gateway-api") {
					t.Errorf("with %v left in, want the build refused naming the VirtualService; got err %v:\n%.2000s", dropped, err, out)
				}
			}
			kust["resources"] = kept
			if b, err = sigsyaml.Marshal(kust); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(kfile, b, 0o644); err != nil {
				t.Fatal(err)
			}
			verify(t, withContext(t, build(t, dir, "--enable-alpha-plugins", "--enable-exec"), c.Spec), c)
		})
	}
}

// overlayCase is overlays/<name> and its AuthConfig, with istiod and the
// function at hand to build it.
func overlayCase(t *testing.T, name string) (string, api.AuthConfig) {
	t.Helper()
	istiodBin(t)
	tool(t, "authconfig-fn")
	dir := filepath.Join(repoRoot(t), "overlays", name)
	c, ok := loadAuthConfig(t, filepath.Join(dir, "authconfig.yaml"))
	if !ok {
		t.Fatalf("overlays/%s: invalid AuthConfig", name)
	}
	return dir, c
}
