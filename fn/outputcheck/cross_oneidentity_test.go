package outputcheck

import "testing"

const validCheckServerConfig = `issuers:
- issuer: http://dex.auth.svc.cluster.local:5556/dex
  jwksURI: http://dex.auth.svc.cluster.local:5556/dex/keys
  allowHTTP: true
  audiences: [oauth2-proxy]
  userClaim: email
  groupsClaim: groups
oauth2Proxy:
  url: http://oauth2-proxy.oauth2-proxy.svc.cluster.local
identity:
  userHeader: kubeflow-userid
  groupsHeader: kubeflow-groups
`

func TestCrossOneIdentity(t *testing.T) {
	o2p := configMap("oauth2-proxy", "oauth2-proxy", "oauth2_proxy.cfg", validOAuth2ProxyCfg)
	cs := func(text string) string { return configMap("oauth2-proxy", "check-server", "config.yaml", text) }
	const ra = "RequestAuthentication istio-system/dex-jwt: spec.jwtRules[0]."
	const csObj = "ConfigMap oauth2-proxy/check-server: data[config.yaml]."
	tests := map[string]problemCase{
		"consistent": {docs: []string{o2p, validRequestAuthentication, cs(validCheckServerConfig)}},
		"login rule without audiences": {
			docs: []string{o2p, replace(validRequestAuthentication, "    audiences: [oauth2-proxy]\n", "")},
			want: []string{ra + `audiences: is empty: any token of "http://dex.auth.svc.cluster.local:5556/dex", minted for any client, is accepted; pin it to oauth2-proxy's client_id "oauth2-proxy"`},
		},
		"istio reads another user claim": {
			docs: []string{o2p, replace(validRequestAuthentication, "claim: email", "claim: preferred_username")},
			want: []string{ra + `outputClaimToHeaders[0].claim: "preferred_username" for header "kubeflow-userid", but oauth2-proxy identifies the user by "email" and groups by "groups": one person would get two ids`},
		},
		"oauth2-proxy reads the claim istio reads": {
			docs: []string{
				configMap("oauth2-proxy", "oauth2-proxy", "oauth2_proxy.cfg", replace(validOAuth2ProxyCfg, `client_id = "oauth2-proxy"`, "client_id = \"oauth2-proxy\"\noidc_email_claim = \"preferred_username\"")),
				replace(validRequestAuthentication, "claim: email", "claim: preferred_username"),
			},
		},
		"check-server bearer path reads another claim": {
			docs: []string{o2p, cs(replace(validCheckServerConfig, "userClaim: email", "userClaim: sub"))},
			want: []string{csObj + `issuers[0].userClaim: "sub" but oauth2-proxy's session user comes from "email": the cookie and bearer paths would give one person two user ids`},
		},
		"check-server cookie path reads X-Auth-Request-User": {
			docs: []string{o2p, cs(replace(validCheckServerConfig, "oauth2Proxy:\n", "oauth2Proxy:\n  userHeader: X-Auth-Request-User\n"))},
			want: []string{csObj + `oauth2Proxy.userHeader: "X-Auth-Request-User": oauth2-proxy puts the "email" claim in X-Auth-Request-Email (X-Auth-Request-User is always sub)`},
		},
		"check-server without the client id": {
			docs: []string{o2p, cs(replace(validCheckServerConfig, "audiences: [oauth2-proxy]", "audiences: [other]"))},
			want: []string{csObj + `issuers[0].audiences: does not hold oauth2-proxy's client_id "oauth2-proxy"`},
		},
		"two groups formats in one header": {
			docs: []string{o2p, validRequestAuthentication + "    - {header: kubeflow-groups, claim: groups}\n", cs(validCheckServerConfig)},
			want: []string{csObj + `identity.groupsFormat: is csv but RequestAuthentication istio-system/dex-jwt spec.jwtRules[0].outputClaimToHeaders[1] writes "kubeflow-groups" as Envoy does (base64 of JSON for a list): set groupsFormat: json-base64`},
		},
	}
	checkProblems(t, tests)
}
