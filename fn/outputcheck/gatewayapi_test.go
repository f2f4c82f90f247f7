package outputcheck

import "testing"

const validHTTPRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: oauth2-proxy
  namespace: oauth2-proxy
spec:
  hostnames: [kubeflow.example.com]
  parentRefs:
  - {group: gateway.networking.k8s.io, kind: Gateway, name: kubeflow-gateway, namespace: istio-system}
  rules:
  - backendRefs:
    - {group: "", kind: Service, name: oauth2-proxy, port: 80, weight: 1}
    matches:
    - path: {type: PathPrefix, value: /oauth2/}
`

const oauth2ProxyService = `apiVersion: v1
kind: Service
metadata: {name: oauth2-proxy, namespace: oauth2-proxy}
spec:
  ports:
  - {name: http, port: 80, targetPort: http}
`

func TestGatewayAPIKinds(t *testing.T) {
	checkProblems(t, map[string]problemCase{
		"valid HTTPRoute":               {doc: validHTTPRoute},
		"valid HTTPRoute and Service":   {doc: validHTTPRoute + "---\n" + oauth2ProxyService},
		"HTTPRoute of an unserved kind": {doc: replace(validHTTPRoute, "gateway.networking.k8s.io/v1\n", "gateway.networking.k8s.io/v1alpha9\n"), want: []string{"HTTPRoute oauth2-proxy/oauth2-proxy: apiVersion: version v1alpha9 of HTTPRoute is not served; use gateway.networking.k8s.io/v1"}},
		"misspelled redirect field": {
			doc:  replace(validHTTPRoute, "    matches:", "    filters:\n    - type: RequestRedirect\n      requestRedirect: {statusCode: 302, replaceFullPath: /x}\n    matches:"),
			want: []string{"HTTPRoute oauth2-proxy/oauth2-proxy: spec.rules[0].filters[0].requestRedirect.replaceFullPath: unknown field"},
		},
		"backend port the Service lacks": {
			doc:  replace(validHTTPRoute, "port: 80,", "port: 4180,") + "---\n" + oauth2ProxyService,
			want: []string{"HTTPRoute oauth2-proxy/oauth2-proxy: spec.rules[0].backendRefs[0]: Service oauth2-proxy/oauth2-proxy has no port 4180"},
		},
		"backend Service missing in its namespace": {
			doc:  replace(validHTTPRoute, "name: oauth2-proxy, port", "name: oauth2-proxi, port") + "---\n" + oauth2ProxyService,
			want: []string{"HTTPRoute oauth2-proxy/oauth2-proxy: spec.rules[0].backendRefs[0]: no Service oauth2-proxi in namespace oauth2-proxy"},
		},
		"Gateway listener typo": {
			doc:  "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g, namespace: istio-system}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - {name: http, port: 80, protocol: HTTP, allowedRoute: {}}\n",
			want: []string{"Gateway istio-system/g: spec.listeners[0].allowedRoute: unknown field"},
		},
	})
}
