package process

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/generators"
)

// Gateway API mode (spec.gateway.api: gateway-api) attaches everything to a
// Gateway the user owns. What would then silently not work is refused here,
// from the objects in the stream, each problem naming its object and the
// fix, all at once (docs/gateway-api.md):
//   - a Gateway of a class Istio does not run as an ingress;
//   - an emitted HTTPRoute that no listener of the Gateway admits (istiod
//     leaves it unattached: attachedRoutes=0, a 404 vhost);
//   - a manually deployed gateway (the Gateway's address names a Service)
//     whose pods lack gateway.networking.k8s.io/gateway-name: <name>, the
//     only label Istio attaches targetRefs policies by;
//   - a VirtualService bound to a gateway that routes the publicURL host too:
//     the classic gateway's pods carry none of the targetRefs policies.
// The AuthConfig's own rules (fn/api) already refuse a Gateway in another
// namespace than the policies.

// istioGatewayController is the controllerName of Istio's ingress classes.
const istioGatewayController = "istio.io/gateway-controller"

// gatewayStreamKinds are the kinds the checks read (by kind alone: the fast
// path decodes these items too).
var gatewayStreamKinds = map[string]bool{
	"Gateway": true, "GatewayClass": true, "Service": true, "Namespace": true, "Deployment": true, "VirtualService": true, "HTTPRoute": true,
	"AuthorizationPolicy": true, "ConfigMap": true,
}

// gatewayStream is what the checks read of the stream, decoded once.
type gatewayStream struct {
	gateways       map[string]*gwv1.Gateway // "namespace/name"
	classes        map[string]*gwv1.GatewayClass
	services       map[string]*corev1.Service
	namespaces     map[string]map[string]string // name -> labels
	deployments    []*appsv1.Deployment
	virtualService []virtualServiceRoutes
	httpRoutes     []*gwv1.HTTPRoute // the stream's own, not the ones meshauth emits
	policies       []authorizationPolicy
	rootNamespace  string // the mesh config's rootNamespace, when the mesh ConfigMap is in the stream
}

// authorizationPolicy is what checkDenyAll reads of an AuthorizationPolicy.
type authorizationPolicy struct {
	namespace, name string
	Spec            struct {
		Selector *struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		TargetRefs []struct {
			Group string `json:"group"`
			Kind  string `json:"kind"`
			Name  string `json:"name"`
		} `json:"targetRefs"`
		TargetRef *struct {
			Group string `json:"group"`
			Kind  string `json:"kind"`
			Name  string `json:"name"`
		} `json:"targetRef"`
		Action string           `json:"action"`
		Rules  []map[string]any `json:"rules"`
	} `json:"spec"`
}

type virtualServiceRoutes struct {
	namespace, name string
	Spec            struct {
		Hosts    []string `json:"hosts"`
		Gateways []string `json:"gateways"`
	} `json:"spec"`
}

// gatewayAPIRefusals checks the stream against the Gateway the AuthConfig
// names; it returns error results (nothing is to be written) and warnings.
func gatewayAPIRefusals(s *stream, comps []generators.Component, c api.AuthConfig, mode Mode) (fn.Results, error) {
	gs, err := readGatewayStream(s, comps, c.Spec.Istio.Mesh)
	if err != nil {
		return nil, err
	}
	g := c.Spec.Gateway
	host := c.Spec.URLs().Public.Hostname()
	var routes []*gwv1.HTTPRoute
	for _, comp := range comps {
		for _, r := range comp.Resources {
			if r.GetKind() == "HTTPRoute" {
				var route gwv1.HTTPRoute
				if err := decode(r, &route); err != nil {
					return nil, err
				}
				routes = append(routes, &route)
			}
		}
	}
	var out fn.Results
	gw := gs.gateways[g.Name]
	if gw == nil {
		out = append(out, &fn.Result{Severity: fn.Warning, ResourceRef: gatewayRef(g.Namespace, g.GatewayName()),
			Message: fmt.Sprintf("Gateway %s is not in the %s, so its class, its listeners' allowedRoutes and its pods' labels are not checked; the HTTPRoutes name it as parent and the policies target it (spec.gateway.name): create it with gatewayClassName: istio and a listener that admits routes from %s", g.Name, where(mode), routeNamespaces(routes))})
	} else {
		out = append(out, checkGatewayClass(gw, gs)...)
		for _, r := range routes {
			out = append(out, checkAdmitted(gw, r, host, gs)...)
		}
		out = append(out, checkManualGateway(gw, gs)...)
		out = append(out, checkRouteHostnames(gw, gs, host)...)
		out = append(out, checkAccessHosts(gw, c.Spec.Access.Hosts)...)
	}
	root := gs.rootNamespace
	if root == "" {
		root = c.Spec.Istio.Istiod.Namespace // istiod's default root namespace is its own
	}
	out = append(out, checkDenyAll(gs, g, root)...)
	out = append(out, checkVirtualServices(gs, host, g.Name, routes)...)
	return out, nil
}

func readGatewayStream(s *stream, comps []generators.Component, mesh api.Mesh) (*gatewayStream, error) {
	gs := &gatewayStream{gateways: map[string]*gwv1.Gateway{}, classes: map[string]*gwv1.GatewayClass{},
		services: map[string]*corev1.Service{}, namespaces: map[string]map[string]string{}}
	nodes := []*yaml.RNode{}
	for _, e := range s.entries {
		if e.orig != nil {
			nodes = append(nodes, e.orig.CopyToResourceNode())
		}
	}
	for _, comp := range comps {
		nodes = append(nodes, comp.Resources...) // the oauth2-proxy Namespace and its labels
	}
	for _, n := range nodes {
		group := strings.Split(n.GetApiVersion(), "/")[0]
		if !strings.Contains(n.GetApiVersion(), "/") {
			group = ""
		}
		var err error
		switch group + "/" + n.GetKind() {
		case generators.GatewayAPIGroup + "/Gateway":
			v := &gwv1.Gateway{}
			err = decode(n, v)
			gs.gateways[v.Namespace+"/"+v.Name] = v
		case generators.GatewayAPIGroup + "/GatewayClass":
			v := &gwv1.GatewayClass{}
			err = decode(n, v)
			gs.classes[v.Name] = v
		case "/Service":
			v := &corev1.Service{}
			err = decode(n, v)
			gs.services[v.Namespace+"/"+v.Name] = v
		case "/Namespace":
			gs.namespaces[n.GetName()] = n.GetLabels()
		case "apps/Deployment":
			v := &appsv1.Deployment{}
			err = decode(n, v)
			gs.deployments = append(gs.deployments, v)
		case generators.GatewayAPIGroup + "/HTTPRoute":
			v := &gwv1.HTTPRoute{}
			err = decode(n, v)
			gs.httpRoutes = append(gs.httpRoutes, v)
		case "security.istio.io/AuthorizationPolicy":
			v := authorizationPolicy{namespace: n.GetNamespace(), name: n.GetName()}
			err = decode(n, &v)
			gs.policies = append(gs.policies, v)
		case "/ConfigMap":
			if n.GetNamespace() == mesh.ConfigMap.Namespace && n.GetName() == mesh.ConfigMap.Name {
				var m struct {
					RootNamespace string `json:"rootNamespace"`
				}
				if sigsyaml.Unmarshal([]byte(n.GetDataMap()[mesh.Key]), &m) == nil {
					gs.rootNamespace = m.RootNamespace
				}
			}
		case "networking.istio.io/VirtualService":
			v := virtualServiceRoutes{namespace: n.GetNamespace(), name: n.GetName()}
			err = decode(n, &v)
			gs.virtualService = append(gs.virtualService, v)
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s/%s: %w", n.GetKind(), n.GetNamespace(), n.GetName(), err)
		}
	}
	return gs, nil
}

func decode(n *yaml.RNode, v any) error {
	text, err := n.String()
	if err != nil {
		return err
	}
	return sigsyaml.Unmarshal([]byte(text), v)
}

func gatewayRef(ns, name string) *fn.ResourceRef {
	return &fn.ResourceRef{APIVersion: generators.GatewayAPIGroup + "/v1", Kind: "Gateway", Namespace: ns, Name: name}
}

func routeNamespaces(routes []*gwv1.HTTPRoute) string {
	var ns []string
	for _, r := range routes {
		if !slices.Contains(ns, r.Namespace) {
			ns = append(ns, r.Namespace)
		}
	}
	slices.Sort(ns)
	return strings.Join(ns, ", ")
}

// checkGatewayClass: Istio programs only Gateways of its own classes; class
// istio is the ingress (istio-waypoint, istio-east-west and istio-remote are
// not). A GatewayClass in the stream whose controller is Istio's counts too.
func checkGatewayClass(gw *gwv1.Gateway, gs *gatewayStream) fn.Results {
	class := string(gw.Spec.GatewayClassName)
	if class == "istio" {
		return nil
	}
	if gc := gs.classes[class]; gc != nil && gc.Spec.ControllerName == istioGatewayController && !strings.HasPrefix(class, "istio-") {
		return nil
	}
	return fn.Results{{Severity: fn.Error, ResourceRef: gatewayRef(gw.Namespace, gw.Name), Field: &fn.Field{Path: "spec.gatewayClassName"},
		Message: fmt.Sprintf("Gateway %s/%s has gatewayClassName %q, which Istio does not run as an ingress gateway: no Istio proxy serves it, so the targetRefs policies (the CUSTOM ext_authz check among them) and the HTTPRoutes meshauth attaches to it would never take effect; set gatewayClassName: istio, or point spec.gateway.name at a Gateway of class istio", gw.Namespace, gw.Name, class)}}
}

// checkAdmitted: some listener of the Gateway must admit the route — its
// protocol carries HTTPRoutes, its allowedRoutes admit the kind and the
// route's namespace, its hostname matches the publicURL host.
func checkAdmitted(gw *gwv1.Gateway, r *gwv1.HTTPRoute, host string, gs *gatewayStream) fn.Results {
	var why []string
	severity := fn.Warning // until a listener surely refuses: an unknown Namespace's labels
	for _, l := range gw.Spec.Listeners {
		reason := refuses(l, gw.Namespace, r.Namespace, host, gs)
		if reason == "" {
			return nil
		}
		if !strings.HasPrefix(reason, unknownNamespace) {
			severity = fn.Error
		}
		why = append(why, fmt.Sprintf("listener %s: %s", l.Name, reason))
	}
	if len(why) == 0 {
		why = append(why, "it has no listeners")
		severity = fn.Error
	}
	return fn.Results{{Severity: severity, ResourceRef: gatewayRef(gw.Namespace, gw.Name), Field: &fn.Field{Path: "spec.listeners"},
		Message: fmt.Sprintf("HTTPRoute %s/%s is not admitted by Gateway %s/%s (%s): istiod would leave it unattached (attachedRoutes 0, a 404 for its paths); add or change a listener (protocol HTTP or HTTPS, allowedRoutes.namespaces from: All or a selector matching namespace %s, hostname unset or matching %s)",
			r.Namespace, r.Name, gw.Namespace, gw.Name, strings.Join(why, "; "), r.Namespace, host)}}
}

// checkAccessHosts: each further host the AuthConfig names (spec.access.hosts)
// is served by a listener of the Gateway the policies target; on another
// Gateway meshauth's rules would not hold, on none it answers nothing.
func checkAccessHosts(gw *gwv1.Gateway, hosts []api.Host) fn.Results {
	var out fn.Results
	for i, h := range hosts {
		if slices.ContainsFunc(gw.Spec.Listeners, func(l gwv1.Listener) bool {
			return (l.Protocol == gwv1.HTTPProtocolType || l.Protocol == gwv1.HTTPSProtocolType) &&
				(l.Hostname == nil || hostMatches(string(*l.Hostname), h.Name))
		}) {
			continue
		}
		out = append(out, &fn.Result{Severity: fn.Error, ResourceRef: gatewayRef(gw.Namespace, gw.Name), Field: &fn.Field{Path: "spec.listeners"},
			Message: fmt.Sprintf("spec.access.hosts[%d]: Gateway %s/%s has no HTTP or HTTPS listener for %s, so meshauth's policies (which target this Gateway) would not hold on it; add a listener with hostname %s (or unset), or remove the host from spec.access.hosts", i, gw.Namespace, gw.Name, h.Name, h.Name)})
	}
	return out
}

// refuses says why a listener would not admit an HTTPRoute, "" when it would.
func refuses(l gwv1.Listener, gwNS, routeNS, host string, gs *gatewayStream) string {
	if l.Protocol != gwv1.HTTPProtocolType && l.Protocol != gwv1.HTTPSProtocolType {
		return fmt.Sprintf("protocol %s carries no HTTPRoutes", l.Protocol)
	}
	if l.Hostname != nil && !hostMatches(string(*l.Hostname), host) {
		return fmt.Sprintf("hostname %s does not match %s", *l.Hostname, host)
	}
	ar := l.AllowedRoutes
	if ar == nil {
		ar = &gwv1.AllowedRoutes{}
	}
	if len(ar.Kinds) > 0 && !slices.ContainsFunc(ar.Kinds, func(k gwv1.RouteGroupKind) bool {
		return k.Kind == "HTTPRoute" && (k.Group == nil || string(*k.Group) == generators.GatewayAPIGroup)
	}) {
		return "allowedRoutes.kinds does not list HTTPRoute"
	}
	from := gwv1.NamespacesFromSame
	if ar.Namespaces != nil && ar.Namespaces.From != nil {
		from = *ar.Namespaces.From
	}
	switch from {
	case gwv1.NamespacesFromAll:
		return ""
	case gwv1.NamespacesFromSame:
		if routeNS == gwNS {
			return ""
		}
		return "allowedRoutes.namespaces.from Same admits only routes in " + gwNS
	case gwv1.NamespacesFromSelector:
		var sel *metav1.LabelSelector
		if ar.Namespaces != nil {
			sel = ar.Namespaces.Selector
		}
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil || sel == nil {
			return "allowedRoutes.namespaces.selector is missing or invalid"
		}
		// The API server labels every Namespace with its name.
		nsLabels := labels.Set{metadataNameLabel: routeNS}
		if l, ok := gs.namespaces[routeNS]; ok {
			maps.Copy(nsLabels, l)
		} else if !s.Matches(nsLabels) {
			return unknownNamespace + fmt.Sprintf(" %s is not in the stream, so allowedRoutes.namespaces.selector %s cannot be checked against its labels (add it, select it by %s, or use from: All)", routeNS, s, metadataNameLabel)
		}
		if s.Matches(nsLabels) {
			return ""
		}
		return fmt.Sprintf("allowedRoutes.namespaces.selector %s does not match namespace %s", s, routeNS)
	}
	return fmt.Sprintf("allowedRoutes.namespaces.from %s is not All, Same or Selector", from)
}

// metadataNameLabel is the label the API server puts on every Namespace, with its name.
const metadataNameLabel = "kubernetes.io/metadata.name"

// unknownNamespace starts the reason of a listener whose selector cannot be
// checked: the route's Namespace is not in the stream (a warning, not a refusal).
const unknownNamespace = "Namespace"

// hostMatches is Gateway API's listener hostname match: exact, or a
// leading "*." matching one or more labels.
func hostMatches(pattern, host string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	return strings.EqualFold(pattern, host)
}

// checkManualGateway: a Gateway whose address is a Service host uses that
// Service's pods instead of a deployment Istio makes (Istio's "manual
// deployment"). Istio labels the pods it deploys itself; pods deployed by
// hand must carry the Gateway's name in gateway.networking.k8s.io/gateway-name
// or every targetRefs policy is ignored on them, silently: oauth2-proxy is
// never called (kubeflow/manifests#2676).
func checkManualGateway(gw *gwv1.Gateway, gs *gatewayStream) fn.Results {
	var out fn.Results
	for i, a := range gw.Spec.Addresses {
		if a.Type == nil || *a.Type != gwv1.HostnameAddressType {
			continue
		}
		parts := strings.Split(a.Value, ".")
		if len(parts) < 2 {
			continue
		}
		svc := gs.services[parts[1]+"/"+parts[0]]
		if svc == nil || len(svc.Spec.Selector) == 0 {
			continue
		}
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		for _, d := range gs.deployments {
			podLabels := d.Spec.Template.Labels
			if d.Namespace != svc.Namespace || !sel.Matches(labels.Set(podLabels)) || podLabels[api.GatewayNameLabel] == gw.Name {
				continue
			}
			out = append(out, &fn.Result{Severity: fn.Error,
				ResourceRef: &fn.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: d.Namespace, Name: d.Name},
				Field:       &fn.Field{Path: "spec.template.metadata.labels"},
				Message: fmt.Sprintf("Deployment %s/%s runs the pods of Gateway %s/%s (its spec.addresses[%d] is Service %s/%s), but its pod template lacks the label %s: %s; Istio attaches targetRefs policies only to pods with that label, so the CUSTOM ext_authz check, the JWT rules and the header filter would be silently ignored there and oauth2-proxy never called; add the label to spec.template.metadata.labels (or let Istio deploy the gateway: remove spec.addresses)",
					d.Namespace, d.Name, gw.Namespace, gw.Name, i, svc.Namespace, svc.Name, api.GatewayNameLabel, gw.Name)})
		}
	}
	return out
}

// checkVirtualServices: with gateway-api the publicURL host is routed by the
// HTTPRoutes on the Kubernetes Gateway; a VirtualService bound to a (classic)
// gateway for the same host would serve it a second time, from pods none of
// the targetRefs policies apply to.
func checkVirtualServices(gs *gatewayStream, host, gateway string, routes []*gwv1.HTTPRoute) fn.Results {
	var ours []string
	for _, r := range routes {
		ours = append(ours, r.Namespace+"/"+r.Name)
	}
	var out fn.Results
	for _, vs := range gs.virtualService {
		var bound []string
		for _, g := range vs.Spec.Gateways {
			if g != "mesh" {
				bound = append(bound, g)
			}
		}
		if len(bound) == 0 {
			continue // sidecar routing only
		}
		for _, h := range vs.Spec.Hosts {
			if h != "*" && !hostMatches(h, host) {
				continue
			}
			out = append(out, &fn.Result{Severity: fn.Error,
				ResourceRef: &fn.ResourceRef{APIVersion: "networking.istio.io/v1", Kind: "VirtualService", Namespace: vs.namespace, Name: vs.name},
				Field:       &fn.Field{Path: "spec.hosts"},
				Message: fmt.Sprintf("VirtualService %s/%s routes host %s through gateway %s, and with spec.gateway.api: gateway-api the same host is routed by HTTPRoutes on Gateway %s (%s): the host would be served twice, and the classic gateway's pods carry none of the targetRefs policies (no ext_authz check there); convert it to an HTTPRoute whose parentRefs name %s, or delete it",
					vs.namespace, vs.name, h, strings.Join(bound, ", "), gateway, strings.Join(ours, ", "), gateway)})
			break
		}
	}
	return out
}

// checkRouteHostnames: meshauth's HTTPRoutes name no hostname (as the classic
// VirtualServices serve "*"), so they land in the virtual host of each
// listener's hostname. Istio gives a hostname an HTTPRoute names a virtual
// host of its own, and Envoy picks the most specific: an app route on the
// Gateway naming the publicURL host (on a listener whose hostname is not that
// host) takes the host away from /oauth2/, /dex/ and the logout paths.
func checkRouteHostnames(gw *gwv1.Gateway, gs *gatewayStream, host string) fn.Results {
	listenerHost := map[string]bool{}
	for _, l := range gw.Spec.Listeners {
		if l.Hostname != nil {
			listenerHost[strings.ToLower(string(*l.Hostname))] = true
		}
	}
	var out fn.Results
	for _, r := range gs.httpRoutes {
		if !attachedTo(r, gw) {
			continue
		}
		for _, h := range r.Spec.Hostnames {
			if !hostMatches(string(h), host) || listenerHost[strings.ToLower(string(h))] {
				continue
			}
			out = append(out, &fn.Result{Severity: fn.Error,
				ResourceRef: &fn.ResourceRef{APIVersion: generators.GatewayAPIGroup + "/v1", Kind: "HTTPRoute", Namespace: r.Namespace, Name: r.Name},
				Field:       &fn.Field{Path: "spec.hostnames"},
				Message: fmt.Sprintf("HTTPRoute %s/%s on Gateway %s/%s names hostname %s, which covers the publicURL host %s: Istio serves that host from a virtual host holding only the routes that name it, so meshauth's HTTPRoutes (/oauth2/, /dex/, the logout paths; they name no hostname, like the classic VirtualServices' \"*\") would not be served there and login would answer 404; remove spec.hostnames from it, or give the Gateway a listener with hostname %s",
					r.Namespace, r.Name, gw.Namespace, gw.Name, h, host, h)})
			break
		}
	}
	return out
}

// attachedTo reports whether the route names the Gateway among its parents.
func attachedTo(r *gwv1.HTTPRoute, gw *gwv1.Gateway) bool {
	for _, p := range r.Spec.ParentRefs {
		ns := r.Namespace
		if p.Namespace != nil {
			ns = string(*p.Namespace)
		}
		group, kind := generators.GatewayAPIGroup, "Gateway"
		if p.Group != nil {
			group = string(*p.Group)
		}
		if p.Kind != nil {
			kind = string(*p.Kind)
		}
		if group == generators.GatewayAPIGroup && kind == "Gateway" && ns == gw.Namespace && string(p.Name) == gw.Name {
			return true
		}
	}
	return false
}

// checkDenyAll: an AuthorizationPolicy with neither selector nor targetRefs and
// no rules (Kubeflow's global-deny-all) in the root namespace, or in the
// Gateway's, applies to the Gateway's pods too and denies every request there
// unless an ALLOW policy covers them. Kubeflow's install has one for the
// classic gateway's labels only; on a Kubernetes Gateway every request,
// login included, would answer "RBAC: access denied".
func checkDenyAll(gs *gatewayStream, g api.Gateway, root string) fn.Results {
	allowed := false
	var denyAll []authorizationPolicy
	for _, p := range gs.policies {
		if p.namespace != root && p.namespace != g.Namespace {
			continue
		}
		sp := p.Spec
		unscoped := sp.Selector == nil && len(sp.TargetRefs) == 0 && sp.TargetRef == nil
		isAllow := sp.Action == "" || sp.Action == "ALLOW"
		switch {
		case unscoped && isAllow && len(sp.Rules) == 0:
			denyAll = append(denyAll, p)
		case isAllow && len(sp.Rules) > 0 && coversGateway(p, g, root):
			allowed = true
		}
	}
	if allowed {
		return nil
	}
	var out fn.Results
	for _, p := range denyAll {
		out = append(out, &fn.Result{Severity: fn.Error,
			ResourceRef: &fn.ResourceRef{APIVersion: "security.istio.io/v1", Kind: "AuthorizationPolicy", Namespace: p.namespace, Name: p.name},
			Message: fmt.Sprintf("AuthorizationPolicy %s/%s allows nothing and selects no workload, so it applies to every workload of %s, the pods of Gateway %s included: with no ALLOW policy for them every request there, the login included, would answer \"RBAC: access denied\"; add an ALLOW policy for the Gateway (in %s: {action: ALLOW, rules: [{}], targetRefs: [{group: %s, kind: Gateway, name: %s}]}, as Kubeflow's istio-ingressgateway policy does for the classic gateway; the CUSTOM and DENY policies still decide who gets in)",
				p.namespace, p.name, scopeOf(p.namespace, root), g.Name, g.Namespace, generators.GatewayAPIGroup, g.GatewayName())})
	}
	return out
}

func scopeOf(ns, root string) string {
	if ns == root {
		return "the mesh (its namespace is the root namespace)"
	}
	return "namespace " + ns
}

// coversGateway: the policy targets the Gateway (in its namespace) or selects
// its pods (in its namespace or the root namespace).
func coversGateway(p authorizationPolicy, g api.Gateway, root string) bool {
	targets := p.Spec.TargetRefs
	if t := p.Spec.TargetRef; t != nil {
		targets = append(targets, *t)
	}
	for _, t := range targets {
		if p.namespace == g.Namespace && t.Kind == "Gateway" && t.Group == generators.GatewayAPIGroup && t.Name == g.GatewayName() {
			return true
		}
	}
	if sel := p.Spec.Selector; sel != nil && len(sel.MatchLabels) > 0 && (p.namespace == g.Namespace || p.namespace == root) {
		for k, v := range sel.MatchLabels {
			if g.Selector[k] != v {
				return false
			}
		}
		return true
	}
	return false
}
