package kubeapi

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"meshauth.dev/meshauth/internal/testissuer"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestServer checks what every user of the package relies on: admin
// access, strict server-side validation, namespaces, ServiceAccount tokens
// from the TokenRequest API, and RBAC for everyone else.
func TestServer(t *testing.T) {
	s := Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.EnsureNamespace(ctx, "kubeapi-test"); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureNamespace(ctx, "kubeapi-test"); err != nil {
		t.Fatalf("a second EnsureNamespace: %v", err)
	}
	cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "x", "namespace": "kubeapi-test"}, "data": map[string]any{"a": "b"}}
	if err := s.Apply(ctx, cm, true); err != nil {
		t.Fatalf("dry-run of a valid ConfigMap: %v", err)
	}
	if _, err := s.Do(ctx, http.MethodGet, "/api/v1/namespaces/kubeapi-test/configmaps/x", "", nil); !IsStatus(err, http.StatusNotFound) {
		t.Fatalf("a dry-run stored the ConfigMap (GET: %v)", err)
	}
	cm["dataa"] = map[string]any{}
	err := s.Apply(ctx, cm, true)
	if err == nil || !strings.Contains(err.Error(), "dataa") {
		t.Fatalf("dry-run of a ConfigMap with an unknown field = %v, want an error naming it", err)
	}
	if err := s.Apply(ctx, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x"}}, true); err == nil {
		t.Fatal("a namespaced object without a namespace was accepted")
	}

	sa := map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "robot", "namespace": "kubeapi-test"}}
	if err := s.Apply(ctx, sa, false); err != nil {
		t.Fatal(err)
	}
	tok, err := s.TokenRequest(ctx, "kubeapi-test", "robot", []string{"meshauth"}, 600)
	if err != nil {
		t.Fatal(err)
	}
	c, err := testissuer.Payload(tok)
	if err != nil || c["iss"] != s.Issuer || c["sub"] != "system:serviceaccount:kubeapi-test:robot" {
		t.Fatalf("token claims = %v (%v), want iss %s and the robot's sub", c, err, s.Issuer)
	}
	// RBAC is on: the robot may not list namespaces.
	if _, err := s.DoAs(ctx, tok, http.MethodGet, "/api/v1/namespaces", nil); !IsStatus(err, http.StatusForbidden) && !IsStatus(err, http.StatusUnauthorized) {
		t.Fatalf("an unbound ServiceAccount listed namespaces: %v", err)
	}
	// Resign signs with the server's own key: the server authenticates a
	// token for its own audience re-signed (403, not 401), and refuses it
	// once tampered with.
	apiTok, err := s.TokenRequest(ctx, "kubeapi-test", "robot", nil, 600)
	if err != nil {
		t.Fatal(err)
	}
	resigned, err := s.Resign(apiTok, func(c map[string]any) { c["exp"] = c["exp"].(float64) - 60 })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DoAs(ctx, resigned, http.MethodGet, "/api/v1/namespaces", nil); !IsStatus(err, http.StatusForbidden) {
		t.Fatalf("a re-signed token was not authenticated: %v", err)
	}
	if _, err := s.DoAs(ctx, testissuer.Tamper(t, resigned, "exp", 0), http.MethodGet, "/api/v1/namespaces", nil); !IsStatus(err, http.StatusUnauthorized) {
		t.Fatalf("a tampered token = %v, want 401", err)
	}
}
