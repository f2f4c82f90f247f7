package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// spoofedIdentity are identity-named headers a client may send, in both
// spellings: none of their values may reach an upstream (issue 11 part 4:
// with authorizer oauth2-proxy a bearer request skips ext_authz and these
// passed through; on a cookie allow a header oauth2-proxy's answer omits
// passed through).
var spoofedIdentity = []string{
	"X-Auth-Request-Email", "X-Auth-Request-User", "X-Auth-Request-Groups", "X-Auth-Request-Preferred-Username",
	"X-Forwarded-Email", "X-Forwarded-User", "X-Forwarded-Groups", "X-Forwarded-Preferred-Username", "Gap-Auth",
	"x_auth_request_email", "x_forwarded_user",
	// Not identity, but a path some frameworks route on (issue 22).
	"X-Original-URL", "X-Rewrite-URL",
}

const spoofValue = "spoofed-admin@example.com"

// flowSpoofedIdentity sends every identity-named header with a session
// cookie, with a bearer token, and anonymously on oauth2-proxy's own route;
// the dashboard (and oauth2-proxy) must see none of the client's values.
func (e *env) flowSpoofedIdentity(t *testing.T) {
	spoof := func(extra map[string]string) map[string]string {
		h := map[string]string{"Accept": "application/json", e.userHeader: spoofValue, e.groupsHeader: "spoofed-admins"}
		for _, n := range spoofedIdentity {
			h[n] = spoofValue
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	check := func(t *testing.T, what string, seen http.Header) {
		t.Helper()
		for name, vals := range seen {
			for _, v := range vals {
				if strings.Contains(v, "spoofed-") {
					t.Errorf("%s: the dashboard received the client's %s: %q", what, name, v)
				}
			}
		}
		if got := seen.Values(e.userHeader); len(got) != 1 || strings.Contains(got[0], "spoofed") {
			t.Errorf("%s: %s = %q, want only the verified user", what, e.userHeader, got)
		}
	}
	t.Run("session", func(t *testing.T) {
		b := e.browser(t)
		if r := b.login(); r.status != 200 {
			t.Fatalf("login: %d", r.status)
		}
		r := b.do("GET", "/api/whoami", nil, spoof(nil))
		check(t, "session", dashboardSaw(t, r))
		if g := dashboardSaw(t, r).Values(e.groupsHeader); slices.ContainsFunc(g, func(v string) bool { return strings.Contains(v, "spoofed") }) {
			t.Errorf("session: %s = %q", e.groupsHeader, g)
		}
	})
	t.Run("bearer", func(t *testing.T) {
		b := e.browser(t)
		tok := e.issuer.Token(t, e.issuer.Fresh(10*time.Minute, map[string]any{"sub": "system:serviceaccount:e2e:robot", "aud": "e2e-machines"}))
		r := b.do("GET", "/api/whoami", nil, spoof(map[string]string{"Authorization": "Bearer " + tok}))
		check(t, "bearer", dashboardSaw(t, r))
	})
	t.Run("anonymous", func(t *testing.T) {
		b := e.browser(t)
		r := b.do("GET", "/api/whoami", nil, spoof(nil))
		if r.status == 200 {
			t.Errorf("anonymous request with spoofed identity headers = 200 %s", r.body)
		}
	})
}
