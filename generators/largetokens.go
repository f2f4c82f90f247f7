package generators

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
)

// LargeTokens is the large-tokens component, emitted with
// spec.oidc.largeTokens.stripCookieRoutes: the session cookie (several KB
// with an Entra token) is removed before the gRPC backends named there,
// which otherwise fail with "received initial metadata size exceeds limit"
// (the Kubeflow doc's known issue; the identity travels in the headers the
// gateway set, not in the cookie).
func LargeTokens(c api.AuthConfig) *Component {
	lt := c.Spec.OIDC.LargeTokens
	if lt == nil || len(lt.StripCookieRoutes) == 0 {
		return nil
	}
	comp := &Component{
		Doc: "large-tokens: the session cookie is removed before gRPC backends with small metadata limits",
	}
	for _, r := range lt.StripCookieRoutes {
		comp.Patches = append(comp.Patches, stripCookiePatch{Target{"networking.istio.io/v1", "VirtualService", r.Namespace, r.Name}})
	}
	return comp
}

type stripCookiePatch struct{ target Target }

func (p stripCookiePatch) Target() Target { return p.target }
func (p stripCookiePatch) Summary() string {
	return "removes the Cookie request header on every route of the VirtualService"
}

// Apply adds cookie to headers.request.remove of every route destination.
func (p stripCookiePatch) Apply(obj *yaml.RNode) error {
	http := obj.Field("spec")
	if http != nil {
		http = http.Value.Field("http")
	}
	if http == nil || http.Value.YNode().Kind != yaml.SequenceNode {
		return fmt.Errorf("%s: spec.http must be a list of routes", p.target)
	}
	for _, route := range http.Value.YNode().Content {
		remove, err := yaml.NewRNode(route).Pipe(yaml.LookupCreate(yaml.SequenceNode, "headers", "request", "remove"))
		if err != nil {
			return fmt.Errorf("%s: %w", p.target, err)
		}
		have := false
		for _, n := range remove.YNode().Content {
			have = have || n.Value == "cookie" || n.Value == "Cookie"
		}
		if !have {
			remove.YNode().Content = append(remove.YNode().Content, yaml.NewStringRNode("cookie").YNode())
		}
	}
	return nil
}

// Kustomize reaches every route through a replacement: "*" selects each
// route and "[=cookie]" the cookie entry of its remove list, created where
// missing and never doubled (a JSON patch could name only the first route).
func (p stripCookiePatch) Kustomize() (KustomizePatch, error) {
	sel := Fields("group", group(p.target.APIVersion), "kind", p.target.Kind, "namespace", p.target.Namespace, "name", p.target.Name)
	r, err := yaml.Parse(`source:
  kind: ConfigMap
  name: ` + largeTokensValues + `
  fieldPath: data.cookie
targets:
- fieldPaths:
  - spec.http.*.headers.request.remove.[=cookie]
  options:
    create: true
`)
	if err != nil {
		return KustomizePatch{}, err
	}
	if err := r.PipeE(yaml.Lookup("targets", "0"), yaml.SetField("select", sel)); err != nil {
		return KustomizePatch{}, err
	}
	src, err := yaml.Parse(`apiVersion: v1
kind: ConfigMap
metadata:
  name: ` + largeTokensValues + `
  annotations:
    # kustomize drops it from the output: only the replacements read it.
    config.kubernetes.io/local-config: "true"
data:
  cookie: cookie
`)
	return KustomizePatch{Target: p.target, Replacement: r, Source: src}, err
}

// largeTokensValues is the local-config ConfigMap the replacements copy
// the header name from.
const largeTokensValues = "meshauth-large-tokens-values"
