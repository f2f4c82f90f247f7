package outputcheck

import "testing"

func TestParseServiceHost(t *testing.T) {
	tests := map[string]struct {
		host, defaultNS string
		want            serviceRef
		ok              bool
	}{
		"fqdn":             {"oauth2-proxy.oauth2-proxy.svc.cluster.local", "", serviceRef{"oauth2-proxy", "oauth2-proxy"}, true},
		"svc":              {"dex.auth.svc", "", serviceRef{"dex", "auth"}, true},
		"name.namespace":   {"dex.auth", "", serviceRef{"dex", "auth"}, true},
		"istio ns/host":    {"auth/dex.auth.svc.cluster.local", "", serviceRef{"dex", "auth"}, true},
		"bare name":        {"dex", "auth", serviceRef{"dex", "auth"}, true},
		"bare name, no ns": {"dex", "", serviceRef{}, false},
		"external host":    {"sso.example.com", "auth", serviceRef{}, false},
		"wildcard":         {"*.example.com", "auth", serviceRef{}, false},
		"empty":            {"", "auth", serviceRef{}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := parseServiceHost(tc.host, tc.defaultNS)
			if got != tc.want || ok != tc.ok {
				t.Errorf("parseServiceHost(%q, %q) = %v, %v; want %v, %v", tc.host, tc.defaultNS, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestCrossProviders(t *testing.T) {
	mesh := configMap("istio-system", "istio", "mesh", validMesh+"- name: otel\n  opentelemetry: {service: otel.obs.svc.cluster.local, port: 4317}\n")
	const meshObj = "ConfigMap istio-system/istio: data[mesh].extensionProviders[0]"
	const ap = "AuthorizationPolicy istio-system/ingressgateway-oauth2-proxy: spec.provider.name: "
	tests := map[string]problemCase{
		"consistent":                  {docs: []string{mesh, validPolicy, service("oauth2-proxy", "oauth2-proxy", "80")}},
		"policy alone is not checked": {docs: []string{replace(validPolicy, "name: oauth2-proxy", "name: nobody")}},
		"provider missing from the mesh config": {
			docs: []string{mesh, replace(validPolicy, "name: oauth2-proxy", "name: oauth2proxy")},
			want: []string{ap + `provider "oauth2proxy" is not in the mesh config's extensionProviders "oauth2-proxy, otel"`},
		},
		"provider is not an ext_authz provider": {
			docs: []string{mesh, replace(validPolicy, "name: oauth2-proxy", "name: otel")},
			want: []string{ap + `provider "otel" is not an envoyExtAuthzHttp or envoyExtAuthzGrpc provider`},
		},
		"CUSTOM without provider": {
			docs: []string{mesh, replace(validPolicy, "  provider:\n    name: oauth2-proxy\n", "")},
			want: []string{ap + "a CUSTOM policy needs a provider"},
		},
		"ALLOW policies name no provider": {
			docs: []string{mesh, replace(replace(validPolicy, "CUSTOM", "ALLOW"), "  provider:\n    name: oauth2-proxy\n", "")},
		},
		"provider service missing": {
			docs: []string{mesh, service("oauth2-proxy", "oauth2-proxy-v2", "80")},
			want: []string{meshObj + ".service: no Service oauth2-proxy in namespace oauth2-proxy"},
		},
		"provider port missing": {
			docs: []string{mesh, service("oauth2-proxy", "oauth2-proxy", "4180")},
			want: []string{meshObj + ".port: Service oauth2-proxy/oauth2-proxy has no port 80"},
		},
		"provider namespace not in the set": {docs: []string{mesh, service("elsewhere", "x", "80")}},
	}
	checkProblems(t, tests)
}

func TestCrossRoutes(t *testing.T) {
	const vs = "VirtualService oauth2-proxy/oauth2-proxy: spec.http[0].route[0].destination.host: "
	tests := map[string]problemCase{
		"resolves":                 {docs: []string{validVirtualService, service("oauth2-proxy", "oauth2-proxy", "80")}},
		"namespace not in the set": {docs: []string{validVirtualService, service("auth", "dex", "5556")}},
		"no such service": {
			docs: []string{validVirtualService, service("oauth2-proxy", "oauth2-proxy-redis", "6379")},
			want: []string{vs + "no Service oauth2-proxy in namespace oauth2-proxy"},
		},
		"no such port": {
			docs: []string{validVirtualService, service("oauth2-proxy", "oauth2-proxy", "4180")},
			want: []string{vs + "Service oauth2-proxy/oauth2-proxy has no port 80"},
		},
		"short host resolves in the VirtualService's namespace": {
			docs: []string{replace(validVirtualService, "host: oauth2-proxy.oauth2-proxy.svc.cluster.local", "host: oauth2-proxy"), service("oauth2-proxy", "oauth2-proxy", "80")},
		},
		"no port and several on the service": {
			docs: []string{replace(validVirtualService, "        port: {number: 80}\n", ""), service("oauth2-proxy", "oauth2-proxy", "80", "44180")},
			want: []string{vs + "Service oauth2-proxy/oauth2-proxy has several ports: set destination.port.number"},
		},
	}
	checkProblems(t, tests)
}

const validRequestAuthentication = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: dex-jwt
  namespace: istio-system
spec:
  selector:
    matchLabels: {app: istio-ingressgateway}
  jwtRules:
  - issuer: http://dex.auth.svc.cluster.local:5556/dex
    audiences: [oauth2-proxy]
    forwardOriginalToken: true
    outputClaimToHeaders:
    - {header: kubeflow-userid, claim: email}
`

func TestCrossIdentity(t *testing.T) {
	dex := configMap("auth", "dex", "config.yaml", validDex)
	o2p := configMap("oauth2-proxy", "oauth2-proxy", "oauth2_proxy.cfg", validOAuth2ProxyCfg)
	const dexObj = "ConfigMap auth/dex: data[config.yaml].issuer: "
	const o2pObj = "ConfigMap oauth2-proxy/oauth2-proxy: data[oauth2_proxy.cfg]."
	tests := map[string]problemCase{
		"consistent": {docs: []string{dex, o2p, validRequestAuthentication}},
		"issuers are only compared when a RequestAuthentication is present": {
			docs: []string{configMap("auth", "dex", "config.yaml", replace(validDex, "5556/dex", "5556/dexx")), o2p},
		},
		"issuer without a jwtRule": {
			docs: []string{dex, o2p, replace(validRequestAuthentication, "5556/dex", "5556/dex/")},
			want: []string{
				dexObj + `no RequestAuthentication jwtRule has issuer "http://dex.auth.svc.cluster.local:5556/dex"`,
				o2pObj + `oidc_issuer_url: no RequestAuthentication jwtRule has issuer "http://dex.auth.svc.cluster.local:5556/dex"`,
			},
		},
		"absolute redirect_url registered": {
			docs: []string{dex, configMap("oauth2-proxy", "oauth2-proxy", "oauth2_proxy.cfg", replace(validOAuth2ProxyCfg, `"/oauth2/callback"`, `"https://kubeflow.example.com/oauth2/callback"`))},
		},
		"absolute redirect_url not registered": {
			docs: []string{dex, configMap("oauth2-proxy", "oauth2-proxy", "oauth2_proxy.cfg", replace(validOAuth2ProxyCfg, `"/oauth2/callback"`, `"https://kubeflow.example.org/oauth2/callback"`))},
			want: []string{o2pObj + `redirect_url: "https://kubeflow.example.org/oauth2/callback" is not among the redirectURIs of Dex client "oauth2-proxy"`},
		},
		"relative redirect_url matches an absolute URI's path": {
			docs: []string{configMap("auth", "dex", "config.yaml", replace(validDex, `"/oauth2/callback", `, "")), o2p},
		},
		"relative redirect_url with another path": {
			docs: []string{dex, configMap("oauth2-proxy", "oauth2-proxy", "oauth2_proxy.cfg", replace(validOAuth2ProxyCfg, `"/oauth2/callback"`, `"/oauth2/callbak"`))},
			want: []string{o2pObj + `redirect_url: "/oauth2/callbak" is not among the redirectURIs of Dex client "oauth2-proxy"`},
		},
		"client_id without a Dex client": {
			docs: []string{dex, configMap("oauth2-proxy", "oauth2-proxy", "oauth2_proxy.cfg", replace(validOAuth2ProxyCfg, `client_id = "oauth2-proxy"`, `client_id = "kubeflow"`))},
			want: []string{o2pObj + `client_id: no Dex static client with id "kubeflow"`},
		},
		"a client with idEnv may carry the id": {
			docs: []string{configMap("auth", "dex", "config.yaml", replace(validDex, "- id: oauth2-proxy", "- idEnv: OIDC_CLIENT_ID")), o2p},
		},
	}
	checkProblems(t, tests)
}
