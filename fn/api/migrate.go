package api

import "fmt"

// MoveToGatewayAPI is docs/gateway-api.md's migration of a decoded
// AuthConfig document: spec.gateway.api becomes gateway-api, and the
// classic pod selector and logout VirtualService, which that mode derives
// or refuses, are dropped. Everything else stays as written.
func MoveToGatewayAPI(doc map[string]any) error {
	spec, ok := doc["spec"].(map[string]any)
	if !ok {
		return fmt.Errorf("spec: not a mapping")
	}
	gw, _ := spec["gateway"].(map[string]any)
	if gw == nil {
		gw = map[string]any{}
	}
	gw["api"] = GatewayAPI
	delete(gw, "selector")
	spec["gateway"] = gw
	if l, ok := spec["logout"].(map[string]any); ok {
		delete(l, "virtualService")
	}
	return nil
}
