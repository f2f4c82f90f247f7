package outputcheck

import "testing"

const validMesh = `accessLogFile: /dev/stdout
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
extensionProviders:
- name: oauth2-proxy
  envoyExtAuthzHttp:
    service: oauth2-proxy.oauth2-proxy.svc.cluster.local
    port: 80
    timeout: 5s
    includeRequestHeadersInCheck: [authorization, cookie]
    headersToUpstreamOnAllow: [authorization, x-auth-request-email]
    headersToDownstreamOnDeny: [content-type, set-cookie]
`

func TestMeshConfig(t *testing.T) {
	const obj = "ConfigMap istio-system/istio: data[mesh]."
	tests := map[string]problemCase{
		"valid": {doc: configMap("istio-system", "istio", "mesh", validMesh)},
		"revisioned name": {
			doc:  configMap("istio-system", "istio-1-31", "mesh", "enableTracing: maybe\n"),
			want: []string{"ConfigMap istio-system/istio-1-31: data[mesh]: invalid value for bool field enableTracing: \"maybe\""},
		},
		"misspelled ext_authz field": {
			doc:  configMap("istio-system", "istio", "mesh", replace(validMesh, "headersToUpstreamOnAllow", "headersToUpstreamOnAlow")),
			want: []string{obj + "extensionProviders[0].envoyExtAuthzHttp.headersToUpstreamOnAlow: unknown field (did you mean headersToUpstreamOnAllow?)"},
		},
		"snake_case": {
			doc:  configMap("istio-system", "istio", "mesh", replace(validMesh, "includeRequestHeadersInCheck", "include_request_headers_in_check")),
			want: []string{obj + "extensionProviders[0].envoyExtAuthzHttp.include_request_headers_in_check: snake_case name: write includeRequestHeadersInCheck"},
		},
		"deprecated includeHeadersInCheck": {
			doc:  configMap("istio-system", "istio", "mesh", replace(validMesh, "includeRequestHeadersInCheck", "includeHeadersInCheck")),
			want: []string{obj + "extensionProviders[0].envoyExtAuthzHttp.includeHeadersInCheck: deprecated field"},
		},
		"grpc provider checked too": {
			doc:  configMap("istio-system", "istio", "mesh", "extensionProviders:\n- name: check\n  envoyExtAuthzGrpc:\n    service: check.x.svc.cluster.local\n    port: 9000\n    failOpen: no\n    statusOnErr: \"403\"\n"),
			want: []string{obj + "extensionProviders[0].envoyExtAuthzGrpc.statusOnErr: unknown field (did you mean statusOnError?)"},
		},
		"duplicate key inside the string": {
			doc:  configMap("istio-system", "istio", "mesh", "accessLogFile: a\naccessLogFile: b\n"),
			want: []string{obj + "accessLogFile: duplicate field (line 2)"},
		},
		"invalid YAML inside the string": {
			doc:  configMap("istio-system", "istio", "mesh", "extensionProviders: [\n"),
			want: []string{"ConfigMap istio-system/istio: data[mesh]: invalid YAML: yaml: line 1: did not find expected node content"},
		},
		"other ConfigMaps with a mesh key are not mesh configs": {
			doc: configMap("default", "notes", "mesh", "whatever: 1\n"),
		},
	}
	checkProblems(t, tests)
}
