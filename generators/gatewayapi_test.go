package generators

import (
	"reflect"
	"strconv"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
)

// byKindName indexes a render's resources, and says which component each
// came from.
func byKindName(t *testing.T, c api.AuthConfig) (map[string]*yaml.RNode, []Component) {
	t.Helper()
	comps, err := All(c)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*yaml.RNode{}
	for _, comp := range comps {
		for _, r := range comp.Resources {
			out[r.GetKind()+" "+r.GetNamespace()+"/"+r.GetName()] = r
		}
	}
	return out, comps
}

func specOf(t *testing.T, n *yaml.RNode) map[string]any {
	t.Helper()
	m, err := n.Map()
	if err != nil {
		t.Fatal(err)
	}
	return m["spec"].(map[string]any)
}

// Gateway API mode: the same policies as the classic mode, rule for rule;
// only the attachment differs (targetRefs to the Gateway, no selector).
func TestGatewayAPIPoliciesAreTheClassicOnesAttachedByTargetRefs(t *testing.T) {
	for _, authorizer := range []string{api.AuthorizerOAuth2Proxy, api.AuthorizerCheckServer} {
		t.Run(authorizer, func(t *testing.T) {
			classic, _ := byKindName(t, loaded(t, func(s *api.Spec) { s.Authorizer = authorizer }))
			gw, _ := byKindName(t, loaded(t, func(s *api.Spec) {
				s.Authorizer = authorizer
				s.Gateway = api.Gateway{API: api.GatewayAPI, Name: "istio-system/kubeflow-gateway"}
			}))
			wantRefs := []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "kubeflow-gateway"}}
			policies := 0
			for id, c := range classic {
				field, ok := selectorFields[c.GetKind()]
				if !ok {
					continue
				}
				policies++
				g, ok := gw[id]
				if !ok {
					t.Errorf("%s: missing in gateway-api mode", id)
					continue
				}
				cs, gs := specOf(t, c), specOf(t, g)
				if _, has := gs[field]; has {
					t.Errorf("%s: still has spec.%s", id, field)
				}
				if !reflect.DeepEqual(gs["targetRefs"], wantRefs) {
					t.Errorf("%s: targetRefs = %v, want %v", id, gs["targetRefs"], wantRefs)
				}
				delete(cs, field)
				delete(gs, "targetRefs")
				if !reflect.DeepEqual(cs, gs) {
					t.Errorf("%s: rules differ from the classic mode's:\nclassic %v\ngateway %v", id, cs, gs)
				}
			}
			if policies < 2 {
				t.Fatalf("only %d gateway policies in the classic render", policies)
			}
		})
	}
}

func TestGatewayAPIRoutes(t *testing.T) {
	objs, comps := byKindName(t, loaded(t, func(s *api.Spec) {
		s.PublicURL = "https://kf.example.com:8443"
		s.Gateway = api.Gateway{API: api.GatewayAPI, Name: "ingress/edge"}
		s.Logout.AfterLogoutURL = "/after"
	}))
	for _, c := range comps {
		for _, p := range c.Patches {
			if p.Target().Kind == "VirtualService" {
				t.Errorf("%s patches %s", c.Name, p.Target())
			}
		}
		for _, r := range c.Resources {
			if r.GetKind() == "VirtualService" {
				t.Errorf("%s emits VirtualService %s/%s", c.Name, r.GetNamespace(), r.GetName())
			}
		}
	}
	parent := []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge", "namespace": "ingress"}}
	for id, want := range map[string]string{
		"HTTPRoute oauth2-proxy/oauth2-proxy": `- backendRefs:
  - group: ""
    kind: Service
    name: oauth2-proxy
    port: 80
    weight: 1
  matches:
  - path:
      type: PathPrefix
      value: /oauth2/
`,
		"HTTPRoute auth/dex": `- backendRefs:
  - group: ""
    kind: Service
    name: dex
    port: 5556
    weight: 1
  matches:
  - path:
      type: PathPrefix
      value: /dex/
`,
		"HTTPRoute oauth2-proxy/meshauth-logout": `- filters:
  - requestRedirect:
      hostname: kf.example.com
      path:
        replaceFullPath: /oauth2/sign_out?rd=%2Fafter
        type: ReplaceFullPath
      port: 8443
      scheme: https
      statusCode: 302
    type: RequestRedirect
  matches:
  - path:
      type: Exact
      value: /logout
  - path:
      type: Exact
      value: /authservice/logout
`,
	} {
		r, ok := objs[id]
		if !ok {
			t.Errorf("no %s", id)
			continue
		}
		s := specOf(t, r)
		if !reflect.DeepEqual(s["parentRefs"], parent) {
			t.Errorf("%s: parentRefs %v, want %v", id, s["parentRefs"], parent)
		}
		if h, ok := s["hostnames"]; ok {
			t.Errorf("%s: hostnames %v, want none (every hostname of the listeners, like the classic hosts \"*\")", id, h)
		}
		rules, err := r.Pipe(yaml.Lookup("spec", "rules"))
		if err != nil {
			t.Fatal(err)
		}
		if got := rules.MustString(); got != want {
			t.Errorf("%s: rules\n%s\nwant\n%s", id, got, want)
		}
	}
}

func TestDexServiceFromIssuer(t *testing.T) {
	for issuer, want := range map[string]string{
		"http://dex.auth.svc.cluster.local:5556/dex": "dex:5556",
		"http://idp.auth.svc:8080/dex":               "idp:8080",
		"https://dex.auth/dex":                       "dex:443",
		"https://login.example.com/dex":              "dex:5556", // not a Service: Dex's Deployment name, default port
		"http://dex.other.svc.cluster.local/dex":     "dex:5556", // another namespace than spec.dex.namespace
	} {
		c := loaded(t, func(s *api.Spec) { s.Dex = &api.Dex{IssuerURL: issuer} })
		name, port := dexService(c.Spec.Dex, c.Spec.URLs().DexIssuer)
		if got := name + ":" + strconv.Itoa(int(port)); got != want {
			t.Errorf("%s: %s, want %s", issuer, got, want)
		}
	}
}
