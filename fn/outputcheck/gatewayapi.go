package outputcheck

import (
	"strconv"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// gatewayAPIGroup is the Kubernetes Gateway API's group. Its kinds are
// strictly decoded into sigs.k8s.io/gateway-api (v1.6, the version istiod's
// module requires) like the built-in kinds: see kubeKinds.
const gatewayAPIGroup = "gateway.networking.k8s.io"

func init() {
	for k, versions := range map[string]map[string]func() any{
		"Gateway":        {"v1": func() any { return &gwv1.Gateway{} }},
		"GatewayClass":   {"v1": func() any { return &gwv1.GatewayClass{} }},
		"HTTPRoute":      {"v1": func() any { return &gwv1.HTTPRoute{} }},
		"GRPCRoute":      {"v1": func() any { return &gwv1.GRPCRoute{} }},
		"ReferenceGrant": {"v1": func() any { return &gwv1.ReferenceGrant{} }, "v1beta1": func() any { return &gwv1beta1.ReferenceGrant{} }},
	} {
		kubeKinds[gk{gatewayAPIGroup, k}] = versions
	}
}

// addHTTPRoute records an HTTPRoute's Service backends for checkRouteHosts,
// as addRoutes does for a VirtualService's destinations.
func (f *facts) addHTTPRoute(o *object, route *gwv1.HTTPRoute) {
	for i, rule := range route.Spec.Rules {
		for j, b := range rule.BackendRefs {
			if (b.Group != nil && *b.Group != "") || (b.Kind != nil && *b.Kind != "Service") {
				continue
			}
			ns := o.namespace
			if b.Namespace != nil {
				ns = string(*b.Namespace)
			}
			var port uint32
			if b.Port != nil {
				port = uint32(*b.Port)
			}
			f.routes = append(f.routes, routeDest{
				obj:   o,
				field: "spec.rules[" + strconv.Itoa(i) + "].backendRefs[" + strconv.Itoa(j) + "]",
				host:  string(b.Name) + "." + ns, port: port,
			})
		}
	}
}
