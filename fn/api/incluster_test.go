package api

import (
	"strings"
	"testing"
)

// TestInClusterIssuerNeedsAFetcher: a machine issuer on the in-cluster API
// server works with check-server, or with a JWKS proxy under Dex; otherwise
// the function refuses it and names the fix.
func TestInClusterIssuerNeedsAFetcher(t *testing.T) {
	const k8s = "https://kubernetes.default.svc.cluster.local"
	for name, tc := range map[string]struct {
		spec Spec
		want string // "" = valid; else a path + a word of the fix
	}{
		"istiod cannot fetch": {Spec{MachineIssuers: []MachineIssuer{{Issuer: k8s}}}, "spec.machineIssuers[0].jwksURI: " + "*" + JWKSProxyExample},
		"jwksURI on the API server": {Spec{MachineIssuers: []MachineIssuer{{Issuer: k8s, JWKSURI: "https://kubernetes.default.svc/openid/v1/jwks"}}},
			"spec.machineIssuers[0].jwksURI: *authorizer: check-server"},
		"through the JWKS proxy": {Spec{MachineIssuers: []MachineIssuer{{Issuer: k8s, JWKSURI: JWKSProxyExample}}}, ""},
		"proxy without Dex": {Spec{OIDC: OIDC{IssuerURL: "https://idp.example.com"}, MachineIssuers: []MachineIssuer{{Issuer: k8s, JWKSURI: JWKSProxyExample, Audiences: []string{"x"}}}},
			"spec.machineIssuers[0].issuer: *authorizer: check-server"},
		"check-server fetches itself": {Spec{Authorizer: AuthorizerCheckServer, MachineIssuers: []MachineIssuer{{Issuer: k8s, Audiences: []string{"kubeflow"}}}}, ""},
		"other issuers untouched":     {Spec{MachineIssuers: []MachineIssuer{{Issuer: "https://token.actions.githubusercontent.com"}}}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			tc.spec.PublicURL = "https://kubeflow.example.com"
			errs := Validate(Defaulted(AuthConfig{APIVersion: APIVersion, Kind: Kind, Metadata: ObjectMeta{Name: "x"}, Spec: tc.spec}))
			got := errs.Error()
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("refused: %s", got)
				}
				return
			}
			path, fix, _ := strings.Cut(tc.want, "*")
			if !strings.HasPrefix(got, path) || !strings.Contains(got, fix) || len(errs) != 1 {
				t.Fatalf("errors:\n%s\nwant one starting %q naming %q", got, path, fix)
			}
		})
	}
}
