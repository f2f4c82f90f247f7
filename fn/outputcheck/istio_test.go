package outputcheck

import "testing"

const validPolicy = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ingressgateway-oauth2-proxy
  namespace: istio-system
spec:
  action: CUSTOM
  provider:
    name: oauth2-proxy
  selector:
    matchLabels:
      app: istio-ingressgateway
  rules:
  - to:
    - operation:
        notPaths: ["/dex/*"]
`

const validVirtualService = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: oauth2-proxy
  namespace: oauth2-proxy
spec:
  gateways: [kubeflow/kubeflow-gateway]
  hosts: ["*"]
  http:
  - match:
    - uri: {prefix: /oauth2/}
    timeout: 10s
    route:
    - destination:
        host: oauth2-proxy.oauth2-proxy.svc.cluster.local
        port: {number: 80}
`

func TestIstio(t *testing.T) {
	const ap = "AuthorizationPolicy istio-system/ingressgateway-oauth2-proxy: "
	const vs = "VirtualService oauth2-proxy/oauth2-proxy: "
	tests := map[string]problemCase{
		"valid policy":          {doc: validPolicy},
		"valid virtual service": {doc: validVirtualService},
		"v1beta1 is served":     {doc: replace(validPolicy, "security.istio.io/v1", "security.istio.io/v1beta1")},
		"unknown field with a suggestion": {
			doc:  replace(validPolicy, "notPaths", "notPath"),
			want: []string{ap + "spec.rules[0].to[0].operation.notPath: unknown field (did you mean notPaths?)"},
		},
		"snake_case name that protojson would accept": {
			doc:  replace(validPolicy, "notPaths", "not_paths"),
			want: []string{ap + "spec.rules[0].to[0].operation.not_paths: snake_case name: write notPaths"},
		},
		"deprecated field": {
			doc:  replace(validVirtualService, "timeout: 10s", "timeout: 10s\n    mirrorPercent: 5"),
			want: []string{vs + "spec.http[0].mirrorPercent: deprecated field"},
		},
		"bad enum value": {
			doc:  replace(validPolicy, "action: CUSTOM", "action: EXTERNAL"),
			want: []string{ap + `spec: invalid value for enum field action: "EXTERNAL"`},
		},
		"bad duration": {
			doc:  replace(validVirtualService, "timeout: 10s", "timeout: 10 seconds"),
			want: []string{vs + `spec: invalid google.protobuf.Duration value "10 seconds"`},
		},
		"unknown top-level key": {
			doc:  validPolicy + "rules: []\n",
			want: []string{ap + "rules: unknown field"},
		},
		"spec required": {
			doc:  "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: a, namespace: b}\n",
			want: []string{"Gateway b/a: spec: required"},
		},
		"version not served": {
			doc:  replace(validPolicy, "security.istio.io/v1", "security.istio.io/v1alpha1"),
			want: []string{ap + "apiVersion: version v1alpha1 of AuthorizationPolicy is not served; use one of security.istio.io/v1beta1, v1"},
		},
		"free-form Struct in an EnvoyFilter is not walked": {
			doc: "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: a, namespace: b}\nspec:\n  configPatches:\n  - applyTo: HTTP_FILTER\n    patch:\n      operation: MERGE\n      value: {any_thing: {goes: here}}\n",
		},
	}
	checkProblems(t, tests)
}
