package realapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"meshauth.dev/meshauth/internal/kubeapi"
)

// TestIssuerDiscovery: the API server's OIDC discovery and JWKS answer
// check-server's own token (the emitted issuer-discovery binding), refuse
// an anonymous caller, and answer one once system:service-account-issuer-
// discovery is bound to system:unauthenticated.
func TestIssuerDiscovery(t *testing.T) {
	f, ctx := setup(t)
	own, err := os.ReadFile(f.emittedToken)
	if err != nil {
		t.Fatal(err)
	}
	body, err := f.s.DoAs(ctx, string(own), http.MethodGet, "/.well-known/openid-configuration", nil)
	if err != nil {
		t.Fatalf("discovery with check-server's token: %v", err)
	}
	var disco struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &disco); err != nil || disco.Issuer != f.s.Issuer || disco.JWKSURI != f.s.Issuer+"/openid/v1/jwks" {
		t.Fatalf("discovery = %s (%v), want issuer %s and its /openid/v1/jwks", body, err, f.s.Issuer)
	}
	body, err = f.s.DoAs(ctx, string(own), http.MethodGet, "/openid/v1/jwks", nil)
	var jwks struct {
		Keys []struct{ Kid, Kty, Alg string } `json:"keys"`
	}
	if err != nil || json.Unmarshal(body, &jwks) != nil || len(jwks.Keys) == 0 || jwks.Keys[0].Kid == "" || jwks.Keys[0].Alg != "RS256" {
		t.Fatalf("JWKS with check-server's token = %s (%v), want an RS256 key with a kid", body, err)
	}

	if _, err := f.s.DoAs(ctx, "", http.MethodGet, "/openid/v1/jwks", nil); !kubeapi.IsStatus(err, http.StatusForbidden) && !kubeapi.IsStatus(err, http.StatusUnauthorized) {
		t.Fatalf("anonymous JWKS = %v, want 401/403 without the binding", err)
	}
	const binding = "realapi-issuer-discovery-anonymous"
	if err := f.s.Apply(ctx, map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": binding},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:service-account-issuer-discovery"},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:unauthenticated"}},
	}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.s.Delete(ctx, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", binding) })
	poll(t, "anonymous JWKS after the binding", 30*time.Second, func() (bool, string) {
		_, err := f.s.DoAs(ctx, "", http.MethodGet, "/openid/v1/jwks", nil)
		return err == nil, fmt.Sprint(err)
	})
}
