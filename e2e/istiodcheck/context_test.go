package istiodcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/process"
)

// The Kubeflow objects a rendered stack runs among: the istio install (mesh ConfigMap, istiod,
// the ingress gateway Deployment and Service), Dex, the central dashboard and the kubeflow
// Gateway, as kubeflow/manifests renders them.
var corpusFiles = []string{
	"e2e/runners/testdata/corpus-package/istio-install-base.yaml",
	"e2e/runners/testdata/corpus-package/dex-base.yaml",
	"e2e/runners/testdata/corpus-package/centraldashboard-upstream-kserve.yaml",
	"e2e/istiodcheck/testdata/kubeflow-gateway.yaml",
}

func readObjects(t *testing.T, data []byte) []*yaml.RNode {
	t.Helper()
	nodes, err := kio.FromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

func corpusRaw(t *testing.T) []*yaml.RNode {
	t.Helper()
	var out []*yaml.RNode
	for _, f := range corpusFiles {
		b, err := os.ReadFile(filepath.Join(repoRoot(t), f))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, readObjects(t, b)...)
	}
	return out
}

// layout is the corpus moved to where an AuthConfig says things are, so hidden layouts
// (other namespaces, names, keys, selectors) get the same surroundings as the Kubeflow one.
// The gateway pods keep their labels and gain the AuthConfig's selector.
func layout(t *testing.T, s api.Spec) []*yaml.RNode {
	t.Helper()
	var out []*yaml.RNode
	for _, n := range corpusRaw(t) {
		ns, name, kind := n.GetNamespace(), n.GetName(), n.GetKind()
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		if s.Gateway.GatewayAPI() {
			// On a Kubernetes Gateway the classic ingress is gone: its gateway, pods and
			// VirtualServices are replaced by what gatewayAPILayout adds.
			if isClassicIngress(n) {
				continue
			}
		}
		switch {
		case ns == "auth" && s.Dex == nil:
			continue // an external provider: no Dex
		case ns == "auth":
			must(n.SetNamespace(s.Dex.Namespace))
			switch {
			case kind == "ConfigMap" && name == "dex":
				must(n.SetName(s.Dex.ConfigMap))
			case kind == "Deployment" && name == "dex":
				must(n.SetName(s.Dex.Deployment))
				renameContainer(t, n, "dex", s.Dex.Container)
			}
		case kind == "ConfigMap" && ns == "istio-system" && name == "istio":
			must(n.SetNamespace(s.Istio.Mesh.ConfigMap.Namespace))
			must(n.SetName(s.Istio.Mesh.ConfigMap.Name))
			if s.Istio.Mesh.Key != "mesh" {
				data := n.Field("data").Value
				v := data.Field("mesh").Value
				must(data.PipeE(yaml.Clear("mesh")))
				must(data.PipeE(yaml.SetField(s.Istio.Mesh.Key, v)))
			}
		case kind == "Deployment" && ns == "istio-system" && name == "istiod":
			must(n.SetNamespace(s.Istio.Istiod.Namespace))
			must(n.SetName(s.Istio.Istiod.Deployment))
			renameContainer(t, n, "discovery", s.Istio.Istiod.Container)
		case ns == "istio-system" && strings.HasPrefix(name, "istio-ingressgateway") && (kind == "Deployment" || kind == "Service"):
			must(n.SetNamespace(s.Gateway.Namespace))
			path := []string{"spec", "template", "metadata", "labels"}
			if kind == "Service" {
				path = []string{"spec", "selector"}
			}
			for k, v := range s.Gateway.Selector {
				must(n.PipeE(yaml.LookupCreate(yaml.MappingNode, path...), yaml.SetField(k, yaml.NewStringRNode(v))))
			}
		case kind == "VirtualService" && ns == "kubeflow" && name == "centraldashboard":
			must(n.SetNamespace(s.Logout.VirtualService.Namespace))
			must(n.SetName(s.Logout.VirtualService.Name))
			must(n.PipeE(yaml.Lookup("spec"), yaml.SetField("gateways", yaml.NewListRNode(s.Gateway.Name))))
		case kind == "Gateway" && ns == "kubeflow" && name == "kubeflow-gateway":
			gns, gname, _ := strings.Cut(s.Gateway.Name, "/")
			must(n.SetNamespace(gns))
			must(n.SetName(gname))
			if !defaultSelector(s.Gateway.Selector) {
				sel := yaml.NewMapRNode(&s.Gateway.Selector)
				must(n.PipeE(yaml.Lookup("spec"), yaml.SetField("selector", sel)))
			}
		}
		out = append(out, n)
	}
	// The gRPC backends whose routes drop the cookie (largeTokens): a
	// VirtualService each on the gateway, as Kubeflow's metadata-grpc.
	if lt := s.OIDC.LargeTokens; lt != nil {
		for _, r := range lt.StripCookieRoutes {
			vs, err := yaml.Parse("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {namespace: " + r.Namespace + ", name: " + r.Name +
				"}\nspec:\n  gateways: [" + s.Gateway.Name + "]\n  hosts: ['*']\n  http:\n  - match: [{uri: {prefix: /" + r.Name + "/}}]\n    route: [{destination: {host: dashboard.kubeflow.svc.cluster.local}}]\n")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, vs)
		}
	}
	if s.Gateway.GatewayAPI() {
		out = append(out, gatewayAPILayout(t, s)...)
	}
	return out
}

// defaultSelector: the corpus gateway pods already carry these labels.
func defaultSelector(sel map[string]string) bool {
	pods := map[string]string{"app": "istio-ingressgateway", "istio": "ingressgateway"}
	for k, v := range sel {
		if pods[k] != v {
			return false
		}
	}
	return true
}

func renameContainer(t *testing.T, n *yaml.RNode, from, to string) {
	t.Helper()
	c, err := n.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name="+from+"]"))
	if err != nil || c == nil {
		t.Fatalf("%s %s has no container %s: %v", n.GetKind(), n.GetName(), from, err)
	}
	if err := c.PipeE(yaml.SetField("name", yaml.NewStringRNode(to))); err != nil {
		t.Fatal(err)
	}
}

// withContext appends the layout's objects the stream does not already hold (by identity).
func withContext(t *testing.T, stream []*yaml.RNode, s api.Spec) []*yaml.RNode {
	t.Helper()
	have := map[string]bool{}
	for _, n := range stream {
		have[process.Identity(n)] = true
	}
	out := append([]*yaml.RNode{}, stream...)
	for _, n := range layout(t, s) {
		if !have[process.Identity(n)] {
			out = append(out, n)
		}
	}
	if s.Gateway.GatewayAPI() {
		out = append(out, autoDeployed(t, out, s)...)
	}
	return out
}

// gatewayOf is the gateway pod istiod generates for: the Deployment in the gateway namespace
// whose pod labels carry the AuthConfig's selector.
func gatewayOf(t *testing.T, stream []*yaml.RNode, s api.Spec) gatewayProxy {
	t.Helper()
	for _, n := range stream {
		if n.GetKind() != "Deployment" || n.GetNamespace() != s.Gateway.Namespace {
			continue
		}
		labels := map[string]string{}
		l, _ := n.Pipe(yaml.Lookup("spec", "template", "metadata", "labels"))
		if l == nil {
			continue
		}
		_ = l.VisitFields(func(f *yaml.MapNode) error {
			labels[f.Key.YNode().Value] = f.Value.YNode().Value
			return nil
		})
		match := len(s.Gateway.Selector) > 0
		for k, v := range s.Gateway.Selector {
			match = match && labels[k] == v
		}
		if match {
			return gatewayProxy{namespace: s.Gateway.Namespace, labels: labels}
		}
	}
	t.Fatalf("no gateway Deployment in %s with pod labels %v", s.Gateway.Namespace, s.Gateway.Selector)
	return gatewayProxy{}
}

func toYAML(t *testing.T, nodes []*yaml.RNode) []byte {
	t.Helper()
	var b strings.Builder
	for _, n := range nodes {
		c := n.Copy()
		for _, a := range []string{"config.kubernetes.io/path", "internal.config.kubernetes.io/path",
			"config.kubernetes.io/index", "internal.config.kubernetes.io/index", "config.k8s.io/id", "internal.config.kubernetes.io/id"} {
			_, _ = c.Pipe(yaml.ClearAnnotation(a))
		}
		s, err := c.String()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n" + s)
	}
	return []byte(b.String())
}
