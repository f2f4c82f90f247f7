package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/internal/loopback"
	"meshauth.dev/meshauth/internal/testissuer"
	"meshauth.dev/meshauth/internal/versions"
)

// TestOAuth2ProxyAuthorizer boots real Dex and oauth2-proxy from the
// components rendered for authorizer: oauth2-proxy and walks flows 1–5.
func TestOAuth2ProxyAuthorizer(t *testing.T) {
	e := newEnv(t, "oauth2-proxy")

	t.Run("1_config_test_and_start", func(t *testing.T) { e.flowStart(t) })
	e.walk(t, oauth2ProxyFlows)
}

// flow is one user flow, run as a subtest of that name (e2e/mutations.sh
// and docs/e2e.md name them).
type flow struct {
	name string
	run  func(e *env, t *testing.T)
}

// oauth2ProxyFlows are flows 2–5 and 8–10, with authorizer oauth2-proxy in
// either gateway mode.
var oauth2ProxyFlows = []flow{
	{"2_browser_login", (*env).flowLogin},
	{"3_no_session", (*env).flowNoSession},
	{"4_logout", (*env).flowLogout},
	{"5_machine_tokens", (*env).flowMachineTokens},
	{"8_spoofed_identity_headers", (*env).flowSpoofedIdentity},
	{"9_public_path_tricks", (*env).flowPublicPathTricks},
	{"10_logout_host", (*env).flowLogoutHost},
}

// checkServerFlows are the same flows with authorizer check-server (flow 6).
var checkServerFlows = []flow{
	{"6_session_delegated", (*env).flowLogin},
	{"6_no_session", (*env).flowNoSession},
	{"6_logout", (*env).flowLogout},
	{"6_bearer_verified", (*env).flowMachineTokens},
	{"6_spoofed_identity_headers", (*env).flowSpoofedIdentity},
	{"6_public_path_tricks", (*env).flowPublicPathTricks},
	{"6_logout_host", (*env).flowLogoutHost},
}

func (e *env) walk(t *testing.T, flows []flow) {
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) { f.run(e, t) })
	}
}

// TestCheckServerAuthorizer is flow 6: with authorizer: check-server, the
// check-server built from this repository runs with its emitted config in
// front of the real oauth2-proxy. The same user flows must hold: cookie
// sessions are delegated to oauth2-proxy, bearer tokens are verified by the
// check-server itself (no RequestAuthentication is emitted), and identity
// headers a client sends are removed (x-envoy-auth-headers-to-remove).
func TestCheckServerAuthorizer(t *testing.T) {
	e := newEnv(t, "check-server")
	if len(e.r.all("security.istio.io", "RequestAuthentication", "")) > 0 {
		t.Errorf("authorizer check-server: RequestAuthentications are emitted; the check-server verifies tokens itself")
	}
	t.Run("6_start", func(t *testing.T) { e.flowStart(t) })
	e.walk(t, checkServerFlows)
	t.Run("6_spoofed_headers_removed", func(t *testing.T) {
		b := e.browser(t)
		anon := b.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json", e.userHeader: "admin@example.com"})
		if anon.status != http.StatusUnauthorized {
			t.Errorf("anonymous request with a spoofed %s = %d, want 401", e.userHeader, anon.status)
		}
		if r := b.login(); r.status != 200 {
			t.Fatalf("login: %d", r.status)
		}
		seen := dashboardSaw(t, b.do("GET", "/", nil, map[string]string{e.userHeader: "admin@example.com", e.groupsHeader: "admins"}))
		if got := seen.Values(e.userHeader); len(got) != 1 || got[0] != e.userEmail {
			t.Errorf("session with a spoofed %s: the dashboard saw %q, want only %q", e.userHeader, got, e.userEmail)
		}
		if slices.Contains(groupsOf(strings.Join(seen.Values(e.groupsHeader), ",")), "admins") {
			t.Errorf("session with a spoofed %s: the dashboard saw %q", e.groupsHeader, seen.Values(e.groupsHeader))
		}
	})
}

// TestCheckServerGRPC is flow 6 with the gRPC ext_authz provider
// (checkServer.protocol: grpc): the gateway calls the check-server's
// Authorization/Check service as istiod configures it.
func TestCheckServerGRPC(t *testing.T) {
	e := newEnv(t, "check-server", func(spec map[string]any) {
		spec["checkServer"] = map[string]any{"protocol": "grpc"}
	})
	t.Run("6g_session_delegated", func(t *testing.T) { e.flowLogin(t) })
	t.Run("6g_no_session", func(t *testing.T) { e.flowNoSession(t) })
	t.Run("6g_bearer_verified", func(t *testing.T) { e.flowMachineTokens(t) })
	t.Run("6g_spoofed_identity_headers", func(t *testing.T) { e.flowSpoofedIdentity(t) })
}

// Flow 1: newEnv already ran `oauth2-proxy --config-test` and started both
// programs with the emitted configs (it fails the test otherwise); here the
// pins and the issuer are checked.
func (e *env) flowStart(t *testing.T) {
	dep := e.r.find(t, "apps", "Deployment", strOr(e.spec()["oauth2Proxy"].(map[string]any), "namespace", "oauth2-proxy"), "oauth2-proxy")
	if img, _ := workload(t, dep, "oauth2-proxy").Container["image"].(string); img != versions.OAuth2ProxyImage {
		t.Errorf("the emitted oauth2-proxy image is %q; the e2e binary is %s (internal/versions)", img, versions.OAuth2ProxyImage)
	}
	out, code := run(e.ctx, readyTimeout, binary(t, "oauth2-proxy"), []string{"--version"}, nil)
	if code != 0 || !strings.Contains(out, versions.OAuth2Proxy) {
		t.Errorf("bin/oauth2-proxy --version = %q (exit %d), want %s: run make upstream", out, code, versions.OAuth2Proxy)
	}
	out, code = run(e.ctx, readyTimeout, binary(t, "dex"), []string{"version"}, nil)
	if code != 0 || !strings.Contains(out, versions.Dex) {
		t.Errorf("bin/dex version = %q (exit %d), want %s: run make upstream", out, code, versions.Dex)
	}
	out, code = run(e.ctx, readyTimeout, binary(t, "oauth2-proxy"), append(slices.Clone(e.o2pArgs), "--config-test"), e.o2pEnv)
	if code != 0 {
		t.Errorf("oauth2-proxy --config-test: exit %d\n%s", code, out)
	}
	var disc struct {
		Issuer string `json:"issuer"`
	}
	if err := getJSON(e.ctx, http.DefaultClient, e.issuerURL+"/.well-known/openid-configuration", &disc); err != nil || disc.Issuer != e.issuerURL {
		t.Errorf("Dex discovery: issuer %q (%v), want the AuthConfig's %q", disc.Issuer, err, e.issuerURL)
	}
}

// Flow 2: start → Dex's local login form → callback → session cookie; the
// protected request reaches the dashboard with the identity headers.
func (e *env) flowLogin(t *testing.T) {
	b := e.browser(t)
	resp := b.login()
	if resp.status != 200 {
		t.Fatalf("after login, GET / = %d %.300s, want 200 from the dashboard; hops:\n%s", resp.status, resp.body, b.hops())
	}
	if !b.hasCookie(e.cookieName) {
		t.Errorf("no session cookie %q after login (cookies: %v)", e.cookieName, b.cookieNames())
	}
	seen := dashboardSaw(t, resp)
	if got := seen.Get(e.userHeader); got != e.userEmail {
		t.Errorf("the dashboard saw %s: %q, want the user's email %q (headers: %v)", e.userHeader, got, e.userEmail, seen)
	}
	t.Logf("the dashboard saw %s: %q, %s: %q", e.userHeader, seen.Get(e.userHeader), e.groupsHeader, seen.Get(e.groupsHeader))
	if got := seen.Get(e.groupsHeader); !slices.Contains(groupsOf(got), testGroup) {
		t.Errorf("the dashboard saw %s: %q, want it to hold %q", e.groupsHeader, got, testGroup)
	}
	// A user header the client sends is overwritten by the verified claim.
	spoof := b.do("GET", "/", nil, map[string]string{e.userHeader: "admin@example.com"})
	if got := dashboardSaw(t, spoof).Get(e.userHeader); got != e.userEmail {
		t.Errorf("with a spoofed %s the dashboard saw %q, want the user's email %q", e.userHeader, got, e.userEmail)
	}
	// The session is usable for API calls too.
	api := b.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json"})
	if api.status != 200 || dashboardSaw(t, api).Get(e.userHeader) != e.userEmail {
		t.Errorf("GET /api/whoami with the session = %d %s, want 200 with %s", api.status, api.body, e.userHeader)
	}
}

// Flow 3: without a session an API request gets 401 (not a redirect), a
// browser navigation is sent to sign in, and Dex's pages are reachable.
func (e *env) flowNoSession(t *testing.T) {
	b := e.browser(t)
	api := b.do("GET", "/api/v1/namespaces", nil, map[string]string{"Accept": "application/json"})
	if api.status != http.StatusUnauthorized || api.header.Get("Location") != "" {
		t.Errorf("API request without a session = %d (Location %q), want 401 without a redirect", api.status, api.header.Get("Location"))
	}
	nav := b.do("GET", "/", nil, nil)
	switch {
	case nav.status == http.StatusFound || nav.status == http.StatusSeeOther:
		loc, _ := url.Parse(nav.header.Get("Location"))
		if loc == nil || !(strings.HasPrefix(loc.Path, "/oauth2/") || strings.HasPrefix(loc.Path, "/dex/")) {
			t.Errorf("browser navigation redirects to %q, want the sign-in (/oauth2/start or Dex)", nav.header.Get("Location"))
		}
	case nav.status == http.StatusForbidden && strings.Contains(nav.body, "/oauth2/start"):
		// oauth2-proxy's sign-in page (skip_provider_button = false): its
		// button starts the login; Envoy passes it to the browser as the deny.
	default:
		t.Errorf("browser navigation without a session = %d %.200s, want a redirect to sign in or the sign-in page", nav.status, nav.body)
	}
	if strings.Contains(nav.body, `"headers"`) {
		t.Errorf("browser navigation without a session reached the dashboard")
	}
	dex := b.do("GET", "/dex/.well-known/openid-configuration", nil, nil)
	var disc struct {
		Issuer string `json:"issuer"`
	}
	if dex.status != 200 || json.Unmarshal([]byte(dex.body), &disc) != nil || disc.Issuer != e.issuerURL {
		t.Errorf("GET /dex/.well-known/openid-configuration through the front = %d %.200s, want 200 with issuer %q", dex.status, dex.body, e.issuerURL)
	}
}

// Flow 4: /logout and /authservice/logout reach /oauth2/sign_out, the
// cookie is cleared, the next request is refused.
func (e *env) flowLogout(t *testing.T) {
	for _, c := range []struct{ method, path string }{{"GET", "/logout"}, {"GET", "/authservice/logout"}, {"POST", "/logout"}} {
		t.Run(c.method+strings.ReplaceAll(c.path, "/", "_"), func(t *testing.T) {
			b := e.browser(t)
			if resp := b.login(); resp.status != 200 || !b.hasCookie(e.cookieName) {
				t.Fatalf("login before logout: %d, cookie %v", resp.status, b.cookieNames())
			}
			first := b.do(c.method, c.path, url.Values{}, nil)
			if first.status != http.StatusFound {
				t.Errorf("%s %s answered %d, want 302 (a browser caches a 301 and would skip the gateway on the next logout)", c.method, c.path, first.status)
			}
			b.follow(first)
			if !slices.ContainsFunc(b.visited, func(u string) bool { return strings.HasPrefix(u, "/oauth2/sign_out") }) {
				t.Errorf("%s %s did not reach /oauth2/sign_out; hops:\n%s", c.method, c.path, b.hops())
			}
			if b.hasCookie(e.cookieName) {
				t.Errorf("the session cookie %q is still set after %s", e.cookieName, c.path)
			}
			next := b.do("GET", "/", nil, nil)
			if next.status == 200 {
				t.Errorf("after logout GET / = 200 (%s), want it refused", next.body)
			}
			api := b.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json"})
			if api.status != http.StatusUnauthorized {
				t.Errorf("after logout GET /api/whoami = %d, want 401", api.status)
			}
		})
	}
}

// Flow 5: bearer tokens from Dex's password grant and from a machine issuer
// are accepted; tampered, expired, foreign-audience and foreign-key tokens
// are refused.
func (e *env) flowMachineTokens(t *testing.T) {
	b := e.browser(t)
	bearer := func(tok string) response {
		return b.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json", "Authorization": "Bearer " + tok})
	}
	t.Run("dex_password_grant", func(t *testing.T) {
		tok, err := loopback.PasswordGrant(e.ctx, b, "/dex/token", e.clientID, e.userEmail)
		if err != nil {
			t.Fatalf("%v\nhops:\n%s", err, b.hops())
		}
		got := bearer(tok)
		if got.status != 200 || dashboardSaw(t, got).Get(e.userHeader) != e.userEmail {
			t.Errorf("Dex ID token as bearer = %d %.300s, want 200 with %s: %s", got.status, got.body, e.userHeader, e.userEmail)
		}
	})
	const sub = "system:serviceaccount:e2e:robot"
	machine := func(claims map[string]any) map[string]any { return e.issuer.Fresh(10*time.Minute, claims) }
	good := e.issuer.Token(t, machine(map[string]any{"sub": sub, "aud": "e2e-machines"}))
	t.Run("email_verified_true", func(t *testing.T) {
		got := bearer(e.issuer.Token(t, machine(map[string]any{"sub": sub, "aud": "e2e-machines", "email_verified": true})))
		if got.status != 200 || dashboardSaw(t, got).Get(e.userHeader) != sub {
			t.Errorf("machine token with email_verified: true = %d %.300s, want 200 with %s", got.status, got.body, sub)
		}
	})
	t.Run("machine_issuer", func(t *testing.T) {
		got := bearer(good)
		if got.status != 200 || dashboardSaw(t, got).Get(e.userHeader) != sub {
			t.Errorf("machine token = %d %.300s, want 200 with %s: %s", got.status, got.body, e.userHeader, sub)
		}
		// The token has no groups claim: a groups header the client sends
		// must not reach the dashboard, nor a spoofed user header.
		spoofed := b.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json",
			"Authorization": "Bearer " + good, e.userHeader: "admin@example.com", e.groupsHeader: "admins"})
		seen := dashboardSaw(t, spoofed)
		if got := seen.Get(e.userHeader); got != sub {
			t.Errorf("machine token with a spoofed %s: the dashboard saw %q, want %q", e.userHeader, got, sub)
		}
		if got := seen.Values(e.groupsHeader); len(got) > 0 {
			t.Errorf("machine token without groups and a spoofed %s: the dashboard saw %q, want none", e.groupsHeader, got)
		}
	})
	for name, tok := range map[string]string{
		"tampered":         testissuer.Tamper(t, good, "sub", "system:serviceaccount:kube-system:admin"),
		"expired":          e.issuer.Token(t, machine(map[string]any{"sub": sub, "aud": "e2e-machines", "iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()})),
		"foreign_audience": e.issuer.Token(t, machine(map[string]any{"sub": sub, "aud": "someone-else"})),
		"foreign_key":      testissuer.Sign(t, testissuer.Foreign(t, e.issuer.Signer), machine(map[string]any{"sub": sub, "aud": "e2e-machines"}), nil),
		"unknown_issuer":   e.issuer.Token(t, machine(map[string]any{"iss": "http://127.0.0.1:1/not-trusted", "sub": sub, "aud": "e2e-machines"})),
		"garbage":          "not-a-jwt",
		// issue 25: refused on the bearer path as oauth2-proxy refuses the login.
		"email_unverified":        e.issuer.Token(t, machine(map[string]any{"sub": sub, "aud": "e2e-machines", "email_verified": false})),
		"email_unverified_string": e.issuer.Token(t, machine(map[string]any{"sub": sub, "aud": "e2e-machines", "email_verified": "false"})),
	} {
		t.Run("refuses_"+name, func(t *testing.T) {
			got := bearer(tok)
			if got.status != http.StatusUnauthorized && got.status != http.StatusForbidden {
				t.Errorf("%s token = %d %.300s, want 401 or 403", name, got.status, got.body)
			}
		})
	}
}

// ---- a browser without a browser ----

type response struct {
	status int
	header http.Header
	body   string
	path   string
}

type browser struct {
	t       testing.TB
	e       *env
	c       *http.Client
	base    *url.URL
	visited []string
	trail   []string
	// others are hosts beside the front the browser may visit (an
	// external IdP's login pages).
	others map[string]bool
}

func (e *env) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(e.frontURL)
	return &browser{t: t, e: e, base: base, c: &http.Client{
		Jar: jar, Timeout: httpTimeout,
		Transport:     &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends one request to the front (a path, or an absolute URL that must be
// on the front: the browser can reach nothing else, as in a cluster).
func (b *browser) do(method, target string, form url.Values, hdr map[string]string) response {
	b.t.Helper()
	u, err := b.base.Parse(target)
	if err != nil {
		b.t.Fatalf("bad URL %q: %v", target, err)
	}
	if u.Host != b.base.Host && !b.others[u.Host] {
		b.t.Fatalf("the browser was sent to %s, which is not the public URL %s; hops:\n%s", u, b.base, b.hops())
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	ctx, cancel := context.WithTimeout(b.e.ctx, httpTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, u.String(), body)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("User-Agent", "meshauth-e2e")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	b.visited = append(b.visited, u.RequestURI())
	b.trail = append(b.trail, method+" "+u.RequestURI()+" → "+resp.Status+" "+resp.Header.Get("Location"))
	return response{status: resp.StatusCode, header: resp.Header, body: string(rb), path: u.RequestURI()}
}

// follow follows redirects (GET after 302/303, as browsers do), at most 15.
func (b *browser) follow(r response) response {
	b.t.Helper()
	for i := 0; i < 15 && r.status >= 300 && r.status < 400; i++ {
		loc := r.header.Get("Location")
		if loc == "" {
			return r
		}
		next, _ := url.Parse(r.path)
		r = b.do("GET", next.ResolveReference(mustURL(b.t, loc)).String(), nil, nil)
	}
	return r
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("bad URL %q", s)
	}
	return u
}

// Visit makes the browser a loopback.Browser: every hop on the front and in
// the trail, redirects followed.
func (b *browser) Visit(_ context.Context, method, target string, form url.Values) (loopback.Page, error) {
	r := b.follow(b.do(method, target, form, nil))
	return loopback.Page{URL: mustURL(b.t, r.path), Status: r.status, Header: r.header, Body: r.body}, nil
}

// login walks oauth2-proxy's start → Dex's local login form → callback
// (loopback.Login) and returns the response to the page it lands on (rd=/ →
// the dashboard).
func (b *browser) login() response {
	b.t.Helper()
	p, err := loopback.Login(b.e.ctx, b, b.e.userEmail)
	if err != nil {
		b.t.Fatalf("%v\nhops:\n%s", err, b.hops())
	}
	return response{status: p.Status, header: p.Header, body: p.Body, path: p.URL.RequestURI()}
}

func (b *browser) hops() string { return "  " + strings.Join(b.trail, "\n  ") }

func (b *browser) cookieNames() []string {
	var n []string
	for _, c := range b.c.Jar.Cookies(b.base) {
		n = append(n, c.Name)
	}
	return n
}

// hasCookie: oauth2-proxy splits a large session into name_0, name_1, ….
func (b *browser) hasCookie(name string) bool {
	return slices.ContainsFunc(b.cookieNames(), func(n string) bool { return n == name || n == name+"_0" })
}

// dashboardSaw decodes the echo of the dashboard stand-in.
func dashboardSaw(t testing.TB, r response) http.Header {
	t.Helper()
	var echo struct {
		Headers http.Header `json:"headers"`
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &echo) != nil || echo.Headers == nil {
		t.Errorf("not the dashboard's echo: %d %.300s", r.status, r.body)
		return http.Header{}
	}
	return echo.Headers
}

// Flow 7: a wrong AuthConfig is refused by validation, every problem with
// its field path, and render writes nothing — so nothing can start.
func TestValidationRefusesWrongAuthConfig(t *testing.T) {
	requireBinaries(t, "authconfig-fn")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fnBin := binary(t, "authconfig-fn")
	iss := &testissuer.Issuer{URL: "http://127.0.0.1:1", JWKSURI: "http://127.0.0.1:1/keys"}

	// The loopback AuthConfig itself is valid (the control).
	good := loopbackAuthConfig(8080, 5556, iss, "oauth2-proxy")
	if out, code := validate(t, ctx, fnBin, good); code != 0 {
		t.Fatalf("the loopback AuthConfig does not validate (exit %d):\n%s", code, out)
	}

	bad := loopbackAuthConfig(8080, 5556, iss, "oauth2-proxy")
	spec := bad["spec"].(map[string]any)
	// The callback is not under publicURL: Dex would send the code elsewhere.
	spec["oauth2Proxy"].(map[string]any)["redirectURL"] = "http://evil.example.com/oauth2/callback"
	// A second, independent mistake: every problem is reported at once.
	spec["identityHeaders"].(map[string]any)["user"].(map[string]any)["header"] = "kubeflow userid"
	want := []string{"spec.oauth2Proxy.redirectURL", "spec.identityHeaders.user.header"}

	out, code := validate(t, ctx, fnBin, bad)
	if code == 0 {
		t.Fatalf("authconfig-fn validate accepted a redirect URL outside publicURL:\n%s", out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("authconfig-fn validate does not name %s:\n%s", w, out)
		}
	}
	r, err := renderAuthConfig(t, ctx, bad)
	if err == nil {
		t.Fatalf("authconfig-fn render accepted the wrong AuthConfig and wrote %d objects", len(r.objects))
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("authconfig-fn render does not name %s: %v", w, err)
		}
	}
}

func validate(t testing.TB, ctx context.Context, fnBin string, ac map[string]any) (string, int) {
	t.Helper()
	b, err := yaml.Marshal(ac)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "authconfig.yaml")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return run(ctx, 30*time.Second, fnBin, []string{"validate", "-f", p}, nil)
}

// groupsOf reads a groups header: a comma-separated list (check-server,
// oauth2-proxy's X-Auth-Request-Groups) or base64 of a JSON list (Envoy's
// claim_to_headers for a list claim, the RequestAuthentication path).
func groupsOf(h string) []string {
	if b, err := base64.StdEncoding.DecodeString(h); err == nil {
		var l []string
		if json.Unmarshal(b, &l) == nil {
			return l
		}
	}
	var out []string
	for _, g := range strings.Split(h, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

// TestGatewayAPI runs flows 2–5 and 8 with gateway.api: gateway-api: the gateway serves the xDS
// istiod generates from the emitted HTTPRoutes and targetRefs policies on a Kubernetes Gateway
// (docs/gateway-api.md), with the real Dex and oauth2-proxy behind it.
func TestGatewayAPI(t *testing.T) {
	e := newEnv(t, "oauth2-proxy", gatewayAPIMode)
	if n := len(e.r.all("networking.istio.io", "VirtualService", "")); n > 0 {
		t.Errorf("gateway.api: gateway-api: %d VirtualServices emitted, want HTTPRoutes only", n)
	}
	e.walk(t, oauth2ProxyFlows)
}

// TestGatewayAPICheckServer is TestGatewayAPI with authorizer: check-server.
func TestGatewayAPICheckServer(t *testing.T) {
	e := newEnv(t, "check-server", gatewayAPIMode)
	e.walk(t, checkServerFlows)
}

func gatewayAPIMode(spec map[string]any) {
	spec["gateway"] = map[string]any{"api": "gateway-api"}
}
