package generators

import (
	"fmt"
	"net/url"

	networking "istio.io/api/networking/v1alpha3"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
)

// logoutRouteName marks the route meshauth owns in the dashboard's
// VirtualService, so re-running replaces it instead of adding another.
const logoutRouteName = "meshauth-logout"

// Logout is the logout component: the dashboard's logout links (and the
// legacy oidc-authservice path) redirect to oauth2-proxy's sign-out, which
// clears the session cookie and redirects to the after-logout URL.
func Logout(c api.AuthConfig) (Component, error) {
	l := c.Spec.Logout
	public := c.Spec.URLs().Public
	route := &networking.HTTPRoute{
		Name: logoutRouteName,
		Redirect: &networking.HTTPRedirect{
			Uri: "/oauth2/sign_out?rd=" + url.QueryEscape(l.AfterLogoutURL),
			// The public URL's scheme and host, never the request's: Envoy
			// keeps what the client sent (Host, or an absolute-form target)
			// for any part of the redirect left unset.
			Scheme:    public.Scheme,
			Authority: public.Host,
			// 302, not Istio's default 301: a browser caches a 301 and would
			// skip the gateway on the next logout.
			RedirectCode: 302,
		},
	}
	for _, p := range l.Paths {
		route.Match = append(route.Match, &networking.HTTPMatchRequest{Uri: exactMatch(p)})
	}
	m, err := protoToMap(route)
	if err != nil {
		return Component{}, err
	}
	node, err := fromMap(m)
	if err != nil {
		return Component{}, err
	}
	return Component{
		Doc: "logout: /logout and the legacy /authservice/logout redirect to oauth2-proxy's sign-out",
		Patches: []Patch{logoutPatch{
			target: Target{"networking.istio.io/v1", "VirtualService", l.VirtualService.Namespace, l.VirtualService.Name},
			route:  node,
		}},
	}, nil
}

type logoutPatch struct {
	target Target
	route  *yaml.RNode
}

func (p logoutPatch) Target() Target { return p.target }
func (p logoutPatch) Summary() string {
	return "puts the logout route before the other routes of the VirtualService"
}

// Apply puts the route first, before the catch-all, dropping an earlier copy.
func (p logoutPatch) Apply(obj *yaml.RNode) error {
	http, err := obj.Pipe(yaml.LookupCreate(yaml.SequenceNode, "spec", "http"))
	if err != nil || http.YNode().Kind != yaml.SequenceNode {
		return fmt.Errorf("%s: spec.http must be a list", p.target)
	}
	routes := []*yaml.Node{p.route.Copy().YNode()}
	for _, r := range http.YNode().Content {
		if n := yaml.NewRNode(r).Field("name"); n != nil && yaml.GetValue(n.Value) == logoutRouteName {
			continue
		}
		routes = append(routes, r)
	}
	http.YNode().Content = routes
	return nil
}

func (p logoutPatch) Kustomize() (KustomizePatch, error) {
	op := Fields("op", "add", "path", "/spec/http/0")
	if err := op.PipeE(yaml.SetField("value", p.route.Copy())); err != nil {
		return KustomizePatch{}, err
	}
	list := yaml.NewListRNode()
	list.YNode().Content = append(list.YNode().Content, op.YNode())
	text, err := list.String()
	return KustomizePatch{Target: p.target, Patch: text}, err
}
