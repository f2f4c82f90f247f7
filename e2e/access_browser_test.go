package e2e

import (
	"strconv"
	"strings"
	"testing"
)

// TestBrowserAccess: in headless Chromium over TLS (the browser
// environment), a signed-in person without app B's group opens app B: the
// page is the access rule's 403 — status 403 on that URL, not the sign-in
// page or Dex's form — and app B's path never reaches the dashboard; both authorizers.
func TestBrowserAccess(t *testing.T) {
	for _, authorizer := range []string{"oauth2-proxy", "check-server"} {
		t.Run(authorizer, func(t *testing.T) {
			be := newBrowserEnv(t, authorizer, func(spec map[string]any) {
				spec["access"] = map[string]any{"rules": []any{
					map[string]any{"name": "pipelines", "paths": []any{"/pipeline/"}, "groups": []any{"team-b"}},
				}}
			})
			be.flowAccessDeniedPage(t)
		})
	}
}

// flowAccessDeniedPage: sign in (Dex's form), then one navigation to app B.
func (be *browserEnv) flowAccessDeniedPage(t *testing.T) {
	p := be.chrome.person(t)
	be.login(p, "/", be.userEmail)
	const appB = "/pipeline/runs"
	m := be.dash.mark()
	p.open(be.publicURL + appB)
	p.waitFor("the navigation to app B to finish", func(string, string) bool { return p.readyState() == "complete" })
	status := p.navigationStatus()
	u, text := p.url(), p.text()
	want := "RBAC: access denied"
	if be.spec()["authorizer"] == "check-server" {
		want = "forbidden: access rule pipelines:"
	}
	if status != 403 || u != be.publicURL+appB || !strings.Contains(text, want) {
		t.Errorf("a person without group team-b opening %s: status %d at %s showing %.300q; want 403 at that URL showing %q", appB, status, u, text, want)
	}
	if strings.Contains(text, "Sign in with") || strings.Contains(text, "Password") || strings.Contains(text, signedIn) {
		t.Errorf("the page is the sign-in or the app, not the 403: %.300q", text)
	}
	for _, r := range be.dash.since(m) {
		if strings.HasPrefix(r.uri, "/pipeline") {
			t.Errorf("the dashboard got %s %s (%s %q)", r.method, r.uri, be.userHeader, r.user)
		}
	}
}

// navigationStatus is the HTTP status of the page's document (the
// Navigation Timing entry's responseStatus).
func (p *person) navigationStatus() int {
	p.t.Helper()
	s := p.eval(`String(performance.getEntriesByType("navigation")[0].responseStatus)`)
	n, err := strconv.Atoi(s)
	if err != nil {
		p.t.Fatalf("the page's responseStatus: %q", s)
	}
	return n
}
