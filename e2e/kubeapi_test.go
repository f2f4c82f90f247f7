package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"meshauth.dev/meshauth/internal/kubeapi"
	"meshauth.dev/meshauth/internal/testissuer"
)

// Flow 8 (docs/e2e.md): the cluster's own service-account issuer as a
// machine issuer, on a real kube-apiserver (internal/kubeapi). A pod's
// projected token — here from the TokenRequest API, as the kubelet gets it
// — is a bearer token at the gateway. The issuer serves its JWKS only to
// authenticated callers, so, as in Kubeflow, the keys reach the gateway
// through cluster-jwks-proxy: `kubectl proxy` with Kubeflow's flags,
// authenticated as its own ServiceAccount (the default binding of
// system:service-account-issuer-discovery to every ServiceAccount).
//
// What a JWT verifier cannot see: a token of a deleted ServiceAccount
// stays valid until it expires (TokenReview refuses it; checkserver/realapi).

func TestMain(m *testing.M) { os.Exit(kubeapi.Main(m)) }

const (
	saNamespace = "e2e"
	saName      = "robot"
	saAudience  = "e2e-kubernetes"
)

func TestKubernetesServiceAccountIssuer(t *testing.T) {
	requireBinaries(t, "authconfig-fn", "oauth2-proxy", "dex", "check-server")
	s := kubeapi.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), envTimeout)
	defer cancel()
	lg := newLogs(t)
	for _, sa := range [][2]string{{saNamespace, saName}, {"istio-system", "cluster-jwks-proxy"}} {
		if err := s.EnsureNamespace(ctx, sa[0]); err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(ctx, map[string]any{"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": map[string]any{"namespace": sa[0], "name": sa[1]}}, false); err != nil {
			t.Fatal(err)
		}
	}
	proxy := startJWKSProxy(t, ctx, lg, s)
	issuer := map[string]any{"name": "kubernetes", "issuer": s.Issuer, "jwksURI": proxy + "/openid/v1/jwks", "audiences": []any{saAudience}}

	for _, authorizer := range []string{"oauth2-proxy", "check-server"} {
		t.Run(authorizer, func(t *testing.T) {
			e := newEnv(t, authorizer, func(spec map[string]any) {
				spec["machineIssuers"] = append(spec["machineIssuers"].([]any), issuer)
			})
			b := e.browser(t)
			bearer := func(tok string) response {
				return b.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json", "Authorization": "Bearer " + tok})
			}
			good, err := s.TokenRequest(ctx, saNamespace, saName, []string{saAudience}, 600)
			if err != nil {
				t.Fatal(err)
			}
			want := "system:serviceaccount:" + saNamespace + ":" + saName
			got := bearer(good)
			if got.status != http.StatusOK || dashboardSaw(t, got).Get(e.userHeader) != want {
				t.Fatalf("ServiceAccount token = %d %.300s, want 200 with %s: %s", got.status, got.body, e.userHeader, want)
			}
			spoofed := b.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json",
				"Authorization": "Bearer " + good, e.userHeader: "admin@example.com"})
			if got := dashboardSaw(t, spoofed).Values(e.userHeader); len(got) != 1 || got[0] != want {
				t.Errorf("ServiceAccount token with a spoofed %s: the dashboard saw %q, want only %q", e.userHeader, got, want)
			}
			other, err := s.TokenRequest(ctx, saNamespace, saName, []string{"someone-else"}, 600)
			if err != nil {
				t.Fatal(err)
			}
			expired, err := s.Resign(good, func(c map[string]any) {
				c["iat"], c["nbf"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
			})
			if err != nil {
				t.Fatal(err)
			}
			apiAudience, err := s.TokenRequest(ctx, saNamespace, saName, nil, 600)
			if err != nil {
				t.Fatal(err)
			}
			for name, tok := range map[string]string{"wrong_audience": other, "api_server_audience": apiAudience,
				"expired": expired, "tampered": testissuer.Tamper(t, good, "sub", "system:serviceaccount:kube-system:admin")} {
				if got := bearer(tok); got.status != http.StatusUnauthorized && got.status != http.StatusForbidden {
					t.Errorf("%s ServiceAccount token = %d %.300s, want 401 or 403", name, got.status, got.body)
				}
			}
		})
	}
}

// startJWKSProxy runs Kubeflow's cluster-jwks-proxy — kubectl proxy with
// its flags, on 127.0.0.1 — as the cluster-jwks-proxy ServiceAccount, and
// returns its URL. kubectl binds port 0 and reports the address.
func startJWKSProxy(t *testing.T, ctx context.Context, lg *logs, s *kubeapi.Server) string {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is not on PATH (the JWKS proxy is kubectl proxy, as in Kubeflow): %v", err)
	}
	tok, err := s.TokenRequest(ctx, "istio-system", "cluster-jwks-proxy", nil, 3600)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := s.WriteKubeconfig(kubeconfig, tok); err != nil {
		t.Fatal(err)
	}
	p := start(t, ctx, lg, "cluster-jwks-proxy", kubectl, []string{"proxy", "--kubeconfig=" + kubeconfig,
		"--address=127.0.0.1", "--port=0", "--accept-hosts=.*",
		"--accept-paths=^(?:/openid/v1/jwks)|(?:/.well-known/openid-configuration)$",
		"--reject-methods=^(POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE)$"}, nil)
	served := regexp.MustCompile(`Starting to serve on (127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(readyTimeout)
	for {
		if m := served.FindStringSubmatch(p.log.String()); m != nil {
			url := "http://" + m[1]
			waitReady(t, ctx, p, url+"/openid/v1/jwks")
			return url
		}
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("kubectl proxy did not report its address within %s:\n%s", readyTimeout, p.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
