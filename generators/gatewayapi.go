package generators

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
)

// Gateway API mode (spec.gateway.api: gateway-api, docs/gateway-api.md): the
// same components as the classic mode, built by the same generators; only
// the attachment differs. Routes are HTTPRoutes whose parentRefs name the
// user's Kubernetes Gateway, and the policies and the identity-header filter
// attach to that Gateway by targetRefs instead of selecting its pods. Every
// field whose default would come from the Gateway API CRDs is written out:
// istiod's converter does not apply CRD defaults (a redirect without
// statusCode becomes a 301 there).

// GatewayAPIGroup is the API group of the Kubernetes Gateway API.
const GatewayAPIGroup = "gateway.networking.k8s.io"

// forGatewayAPI picks a component's generator by spec.gateway.api.
func forGatewayAPI(classic, gatewayAPI func(api.AuthConfig) (*Component, error)) func(api.AuthConfig) (*Component, error) {
	return func(c api.AuthConfig) (*Component, error) {
		if c.Spec.Gateway.GatewayAPI() {
			return gatewayAPI(c)
		}
		return classic(c)
	}
}

// httpRoute is an HTTPRoute attached to the Gateway. Like the classic
// VirtualServices (hosts "*") it names no hostnames: it serves every hostname
// the Gateway's listeners accept, in the same virtual host as the apps'
// hostname-less routes. Istio builds one virtual host per hostname and Envoy
// picks the most specific, so a route naming the publicURL host would be the
// only one served there (the dashboard's "/" would 404), and an app route
// naming it would hide these (refused in fn/process).
func httpRoute(s api.Spec, namespace, name string, rules ...gwv1.HTTPRouteRule) (*yaml.RNode, error) {
	gw := s.Gateway
	route := &gwv1.HTTPRoute{
		TypeMeta:   metav1.TypeMeta{APIVersion: GatewayAPIGroup + "/v1", Kind: "HTTPRoute"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: managedBy},
		Spec: gwv1.HTTPRouteSpec{
			CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: []gwv1.ParentReference{{
				Group:     new(gwv1.Group(GatewayAPIGroup)),
				Kind:      new(gwv1.Kind("Gateway")),
				Namespace: new(gwv1.Namespace(gw.Namespace)),
				Name:      gwv1.ObjectName(gw.GatewayName()),
			}}},
			Rules: rules,
		},
	}
	n, err := fromTyped(route)
	if err != nil {
		return nil, fmt.Errorf("HTTPRoute %s/%s: %w", namespace, name, err)
	}
	return n, nil
}

// prefixRule sends a path prefix to a Service port in the route's namespace.
func prefixRule(prefix, service string, port int32) gwv1.HTTPRouteRule {
	return gwv1.HTTPRouteRule{
		Matches: []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{
			Type: new(gwv1.PathMatchPathPrefix), Value: new(prefix),
		}}},
		BackendRefs: []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{
			BackendObjectReference: gwv1.BackendObjectReference{
				Group: new(gwv1.Group("")), Kind: new(gwv1.Kind("Service")),
				Name: gwv1.ObjectName(service), Port: new(gwv1.PortNumber(port)),
			},
			Weight: new(int32(1)),
		}}},
	}
}

// oauth2ProxyRoute is the /oauth2/ route of the oauth2-proxy component.
func oauth2ProxyRoute(s api.Spec) (*yaml.RNode, error) {
	return httpRoute(s, s.OAuth2Proxy.Namespace, oauth2ProxyName, prefixRule("/oauth2/", oauth2ProxyName, 80))
}

// dexClientsGatewayAPI is the dex-clients component plus Dex's /dex/ route,
// which the classic layout leaves to Kubeflow's own Dex VirtualService.
func dexClientsGatewayAPI(c api.AuthConfig) (*Component, error) {
	comp, err := DexClients(c)
	if err != nil || comp == nil {
		return comp, err
	}
	service, port := dexService(c.Spec.Dex, c.Spec.URLs().DexIssuer)
	route, err := httpRoute(c.Spec, c.Spec.Dex.Namespace, "dex", prefixRule("/dex/", service, port))
	if err != nil {
		return nil, err
	}
	comp.Doc += "; Dex's /dex/ HTTPRoute"
	comp.Resources = append(comp.Resources, route)
	return comp, nil
}

// dexService is the Service browsers reach Dex through: the issuer's host
// and port when the issuer is a Service of Dex's namespace
// (http://dex.auth.svc.cluster.local:5556/dex), else the Service named like
// Dex's Deployment on Dex's default port, 5556.
func dexService(d *api.Dex, issuer *url.URL) (string, int32) {
	if issuer != nil {
		parts := strings.Split(issuer.Hostname(), ".")
		inCluster := len(parts) == 2 || (len(parts) >= 3 && parts[2] == "svc")
		if inCluster && parts[1] == d.Namespace {
			port := int32(80)
			if issuer.Scheme == "https" {
				port = 443
			}
			if p, err := strconv.ParseInt(issuer.Port(), 10, 32); err == nil {
				port = int32(p)
			}
			return parts[0], port
		}
	}
	return d.Deployment, 5556
}

// logoutGatewayAPI is the logout component as an HTTPRoute of its own,
// translated from the classic route (Logout): the same paths, the same
// sign-out URI and code. Exact path matches outrank the dashboard's prefix
// routes in Gateway API, so no route of the dashboard is patched.
// RequestRedirect has no query field: the sign-out URI with its ?rd= goes
// into replaceFullPath, which Istio passes through to Envoy unchanged
// (Istio-specific; docs/gateway-api.md).
func logoutGatewayAPI(c api.AuthConfig) (*Component, error) {
	classic, err := Logout(c)
	if err != nil {
		return nil, err
	}
	lp, ok := classic.Patches[0].(logoutPatch)
	if !ok {
		return nil, fmt.Errorf("logout: the classic component's patch is a %T, not the logout route", classic.Patches[0])
	}
	uri, err := lp.route.GetString("redirect.uri")
	if err != nil {
		return nil, fmt.Errorf("logout: the classic route has no redirect.uri: %w", err)
	}
	codeNode, err := lp.route.Pipe(yaml.Lookup("redirect", "redirectCode"))
	if err != nil || codeNode == nil {
		return nil, fmt.Errorf("logout: the classic route has no redirect.redirectCode")
	}
	code, err := strconv.Atoi(codeNode.YNode().Value)
	if err != nil {
		return nil, fmt.Errorf("logout: the classic route's redirect.redirectCode: %w", err)
	}
	var matches []gwv1.HTTPRouteMatch
	for _, p := range c.Spec.Logout.Paths {
		matches = append(matches, gwv1.HTTPRouteMatch{Path: &gwv1.HTTPPathMatch{Type: new(gwv1.PathMatchExact), Value: new(p)}})
	}
	public := c.Spec.URLs().Public
	route, err := httpRoute(c.Spec, c.Spec.OAuth2Proxy.Namespace, logoutRouteName, gwv1.HTTPRouteRule{
		Matches: matches,
		Filters: []gwv1.HTTPRouteFilter{{
			Type: gwv1.HTTPRouteFilterRequestRedirect,
			RequestRedirect: &gwv1.HTTPRequestRedirectFilter{
				Scheme:   new(public.Scheme),
				Hostname: new(gwv1.PreciseHostname(public.Hostname())),
				// Without a port the Location would carry the listener's
				// (:8080 on a gateway that listens there); 80 and 443 are
				// left out of it for their schemes.
				Port:       new(gwv1.PortNumber(publicPort(public))),
				Path:       &gwv1.HTTPPathModifier{Type: gwv1.FullPathHTTPPathModifier, ReplaceFullPath: new(uri)},
				StatusCode: new(code),
			},
		}},
	})
	if err != nil {
		return nil, err
	}
	return &Component{
		Doc:       "logout: /logout and the legacy /authservice/logout redirect to oauth2-proxy's sign-out (an HTTPRoute on the Gateway)",
		Resources: []*yaml.RNode{route},
	}, nil
}

// publicPort is the publicURL's port, or its scheme's.
func publicPort(u *url.URL) int32 {
	if p, err := strconv.ParseInt(u.Port(), 10, 32); err == nil {
		return int32(p)
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}

// oauth2ProxyGatewayAPI is the oauth2-proxy component with its /oauth2/
// route as an HTTPRoute in place of the VirtualService.
func oauth2ProxyGatewayAPI(c api.AuthConfig) (*Component, error) {
	comp, err := OAuth2Proxy(c)
	if err != nil {
		return nil, err
	}
	route, err := oauth2ProxyRoute(c.Spec)
	if err != nil {
		return nil, err
	}
	replaced := false
	for i, r := range comp.Resources {
		if r.GetKind() == "VirtualService" && r.GetName() == oauth2ProxyName {
			comp.Resources[i], replaced = route, true
		}
	}
	if !replaced {
		return nil, fmt.Errorf("oauth2-proxy: no VirtualService %s to replace with the HTTPRoute", oauth2ProxyName)
	}
	return &comp, nil
}

// istioExternalAuthGatewayAPI is the istio-external-auth component with
// every gateway policy (the CUSTOM and DENY AuthorizationPolicies, the
// RequestAuthentications, the identity-header EnvoyFilter) attached to the
// Gateway by targetRefs instead of a pod selector. The rules are the
// classic ones, untouched. Istio matches targetRefs only in the policy's
// own namespace, which the AuthConfig's validation guarantees.
func istioExternalAuthGatewayAPI(c api.AuthConfig) (*Component, error) {
	comp, err := IstioExternalAuth(c)
	if err != nil {
		return nil, err
	}
	for i, r := range comp.Resources {
		if comp.Resources[i], err = targetGateway(r, c.Spec.Gateway); err != nil {
			return nil, err
		}
	}
	return &comp, nil
}

// selectorFields are the fields by which each gateway policy kind picks pods.
var selectorFields = map[string]string{
	"AuthorizationPolicy":   "selector",
	"RequestAuthentication": "selector",
	"EnvoyFilter":           "workloadSelector",
}

// targetGateway replaces a policy's pod selector with a targetRefs to the
// Gateway; other objects are returned as they are.
func targetGateway(obj *yaml.RNode, gw api.Gateway) (*yaml.RNode, error) {
	field, ok := selectorFields[obj.GetKind()]
	if !ok || obj.GetNamespace() != gw.Namespace {
		return obj, nil
	}
	m, err := obj.Map()
	if err != nil {
		return nil, err
	}
	spec, _ := m["spec"].(map[string]any)
	if _, ok := spec[field]; !ok {
		return nil, fmt.Errorf("%s %s/%s: no spec.%s to replace with targetRefs", obj.GetKind(), obj.GetNamespace(), obj.GetName(), field)
	}
	delete(spec, field)
	spec["targetRefs"] = []any{map[string]any{"group": GatewayAPIGroup, "kind": "Gateway", "name": gw.GatewayName()}}
	return fromMap(m)
}

// IdentityHeaderFilterName is the HTTP filter the identity-header EnvoyFilter
// inserts first on the gateway, for the checks of the generated xDS.
const IdentityHeaderFilterName = identityHeaderFilterName
