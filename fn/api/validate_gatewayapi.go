package api

import "strings"

// validateKubernetesGateway checks spec.gateway with api: gateway-api. Istio
// applies a targetRefs policy only when the policy sits in the Gateway's own
// namespace and only on pods labelled with the Gateway's name
// (pilot/pkg/model/policyattachment.go); anything else is ignored silently,
// which here means oauth2-proxy is never called.
func validateKubernetesGateway(g Gateway, errs *FieldErrors) {
	if ns, name, ok := strings.Cut(g.Name, "/"); ok && ns != g.Namespace {
		errs.add("spec.gateway.name", "names the Gateway %s/%s, but the policies go to spec.gateway.namespace %s and Istio applies targetRefs only to a Gateway in the policy's own namespace (cross-namespace refs never match); name a Gateway in %s (%s/%s), or set spec.gateway.namespace: %s", ns, name, g.Namespace, g.Namespace, g.Namespace, name, ns)
	}
	if v, ok := g.Selector[GatewayNameLabel]; !ok || v != g.GatewayName() {
		errs.add("spec.gateway.selector", "must carry %s: %s (the label Istio puts on the Gateway's pods and the only one it attaches targetRefs policies by); remove spec.gateway.selector to derive it", GatewayNameLabel, g.GatewayName())
	}
}

// validateGatewayAPIOnly refuses the fields that act on VirtualServices, which
// a Kubernetes Gateway does not route through.
func validateGatewayAPIOnly(s Spec, errs *FieldErrors) {
	if !s.Gateway.GatewayAPI() {
		return
	}
	if lt := s.OIDC.LargeTokens; lt != nil && len(lt.StripCookieRoutes) > 0 {
		errs.add("spec.oidc.largeTokens.stripCookieRoutes", "patches VirtualServices, which spec.gateway.api: gateway-api does not route through; remove it (drop the Cookie header in those HTTPRoutes' RequestHeaderModifier instead)")
	}
}
