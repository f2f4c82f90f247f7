package realapi

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"meshauth.dev/meshauth/checkserver"
	"meshauth.dev/meshauth/checkserver/config"
)

// checker builds a Checker on the real API server: the cluster's
// service-account issuer as a JWT issuer when asJWT (discovery and JWKS
// fetched with check-server's own token and the cluster CA, as the
// function configures an in-cluster issuer), TokenReview with ownToken.
func (f *fixture) checker(t *testing.T, asJWT bool, ownToken string, log *bytes.Buffer) *checkserver.Checker {
	t.Helper()
	cfg := config.Default()
	cfg.OAuth2Proxy.URL = ""
	cfg.APIRoutes = []string{"^/"}
	cfg.Kubernetes.TokenReview = f.tokenReview(ownToken)
	if asJWT {
		cfg.Issuers = []config.Issuer{{Issuer: f.s.Issuer, Discovery: true, CAFile: f.s.CAFile, BearerTokenFile: f.emittedToken,
			Audiences: []string{audience}, UserClaim: "sub", Required: true}}
	}
	lg := slog.New(slog.DiscardHandler)
	if log != nil {
		lg = slog.New(slog.NewJSONHandler(log, nil))
	}
	c, err := checkserver.NewChecker(cfg, nil, lg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c.Run(ctx)
	poll(t, "check-server has the issuer's keys", 30*time.Second, func() (bool, string) { return c.Ready(), "not ready" })
	return c
}

func check(c *checkserver.Checker, tok string) checkserver.Decision {
	return c.Check(context.Background(), "http", &checkserver.Request{Method: http.MethodGet, Path: "/api/v1/runs", Host: "kubeflow.example.com",
		Header: http.Header{"Authorization": {"Bearer " + tok}, "Accept": {"application/json"}}})
}

// TestServiceAccountIssuerAsJWTIssuer: a real ServiceAccount token is
// verified by check-server's JWT path against the keys it fetched from the
// API server itself; the wrong audience and an expired token are refused.
func TestServiceAccountIssuerAsJWTIssuer(t *testing.T) {
	f, ctx := setup(t)
	c := f.checker(t, true, f.emittedToken, nil)
	good := f.callerToken(t, ctx, callerSA, audience)
	d := check(c, good)
	if want := "system:serviceaccount:" + ns + ":" + callerSA; !d.Allow || d.AuthMethod != "jwt" || d.User != want {
		t.Fatalf("real SA token: %+v, want an allow by jwt as %s", d, want)
	}
	for name, tok := range map[string]string{
		"wrong audience": f.callerToken(t, ctx, callerSA, "someone-else"),
		"expired":        f.expired(t, good),
		"tampered":       tamper(good),
	} {
		if d := check(c, tok); d.Allow || d.Status != http.StatusUnauthorized {
			t.Errorf("%s: %+v, want 401", name, d)
		}
	}
}

// TestServiceAccountTokenThroughTokenReview: with the issuer not
// configured, the token goes to TokenReview and is allowed as the account.
func TestServiceAccountTokenThroughTokenReview(t *testing.T) {
	f, ctx := setup(t)
	c := f.checker(t, false, f.emittedToken, nil)
	d := check(c, f.callerToken(t, ctx, callerSA, audience))
	if !d.Allow || d.AuthMethod != "tokenreview" || d.User != "system:serviceaccount:"+ns+":"+callerSA {
		t.Fatalf("real SA token through TokenReview: %+v", d)
	}
	if d := check(c, f.callerToken(t, ctx, callerSA, "someone-else")); d.Allow || d.Status != http.StatusUnauthorized {
		t.Errorf("wrong audience through TokenReview: %+v, want 401", d)
	}
}

// TestMissingRBACIs503: check-server's account without the TokenReview
// binding gets 403 from the API server: the check answers 503 (an error to
// Envoy, never an allow) and the log line says which binding is missing.
func TestMissingRBACIs503(t *testing.T) {
	f, ctx := setup(t)
	var log bytes.Buffer
	c := f.checker(t, false, f.unboundToken, &log)
	d := check(c, f.callerToken(t, ctx, callerSA, audience))
	if d.Allow || d.Status != http.StatusServiceUnavailable {
		t.Fatalf("TokenReview forbidden: %+v, want 503", d)
	}
	if !strings.Contains(log.String(), "system:auth-delegator") || !strings.Contains(log.String(), "403") {
		t.Fatalf("the log does not say what to fix:\n%s", log.String())
	}
	t.Logf("log line: %s", strings.TrimSpace(log.String()))
}
