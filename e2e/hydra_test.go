package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"meshauth.dev/meshauth/internal/loopback"
)

// Hydra clients of the e2e: oauth2-proxy's, another app of the same IdP
// (its tokens must be refused), and a batch job using client credentials.
const (
	hydraOtherClient    = "e2e-other-app"
	hydraOtherRedirect  = "http://127.0.0.1:1/other-app/callback" // never reached: the flow stops at the redirect
	hydraMachineClient  = "e2e-batch"
	hydraMachineSecret  = "e2e-batch-secret-0123456789"
	hydraMachineAud     = "e2e-gateway-machines"
	hydraSessionTTL     = "5s" // the oauth2-proxy client's token lifespans in the refresh flows
	hydraSessionTTLTime = 5 * time.Second
)

// hydraAuthConfig is an AuthConfig with no Dex: the generic profile against
// Hydra, the unverified-email switch, the IdP's ID-token lifetime, RP-initiated
// logout and Hydra as a machine issuer for client-credentials tokens.
func hydraAuthConfig(frontPort int, h *hydra, extra func(spec map[string]any)) map[string]any {
	public := "http://" + hostPort(frontPort)
	spec := map[string]any{
		"publicURL": public,
		"oidc": map[string]any{
			"provider":             "generic",
			"issuerURL":            h.public,
			"allowUnverifiedEmail": true,
			"idTokenLifetime":      hydraSessionTTL,
		},
		"oauth2Proxy": loopbackOAuth2Proxy(),
		"identityHeaders": map[string]any{
			"user":   map[string]any{"header": "kubeflow-userid"},
			"groups": map[string]any{"header": "kubeflow-groups"},
		},
		"machineIssuers": []any{map[string]any{
			"name":      "hydra-machines",
			"issuer":    h.public,
			"audiences": []any{hydraMachineAud},
			"userClaim": "client_id",
		}},
		"logout": map[string]any{"endSessionURL": h.public + "/oauth2/sessions/logout"},
	}
	if extra != nil {
		extra(spec)
	}
	return map[string]any{"apiVersion": "meshauth.dev/v1alpha1", "kind": "AuthConfig",
		"metadata": map[string]any{"name": "e2e-hydra"}, "spec": spec}
}

// loopbackOAuth2Proxy is the oauth2Proxy block of every e2e AuthConfig:
// explicit client id, cookie name and secret refs (test values by these
// refs), the cookie not secure (plain http on loopback).
func loopbackOAuth2Proxy() map[string]any {
	return map[string]any{
		"clientID":        "e2e-oauth2-proxy",
		"clientSecretRef": map[string]any{"name": "e2e-oauth2-proxy", "key": "client-secret"},
		"cookieSecretRef": map[string]any{"name": "e2e-oauth2-proxy", "key": "cookie-secret"},
		"cookie":          map[string]any{"name": "e2e_session", "secure": false},
	}
}

// newHydraEnv boots Hydra (with the clients), renders the AuthConfig, starts
// oauth2-proxy from the rendered output and serves the front.
func newHydraEnv(t *testing.T, extra func(spec map[string]any)) (*env, *hydra) {
	requireBinaries(t, "authconfig-fn", "oauth2-proxy", "hydra")
	ctx, cancel := context.WithTimeout(context.Background(), envTimeout)
	t.Cleanup(cancel)
	lg := newLogs(t)
	e := &env{t: t, ctx: ctx, lg: lg, userEmail: hydraEmail}
	h := startHydra(t, ctx, lg)

	frontL := listen(t)
	frontPort := frontL.Addr().(*net.TCPAddr).Port
	e.frontURL = "http://" + hostPort(frontPort)
	e.issuerURL = h.public
	e.ac = hydraAuthConfig(frontPort, h, extra)
	e.readIntent()

	h.client(t, ctx, map[string]any{
		"client_id": e.clientID, "client_secret": loopback.ClientSecret,
		"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
		"scope": "openid email profile offline_access", "redirect_uris": []string{e.frontURL + "/oauth2/callback"},
		// oauth2-proxy sends the secret in the form on refresh (and falls
		// back to it on redeem): a client_secret_basic-only client could
		// log in once but never refresh.
		"token_endpoint_auth_method": "client_secret_post",
	})
	h.lifespans(t, ctx, e.clientID, hydraSessionTTL)
	h.client(t, ctx, map[string]any{
		"client_id": hydraOtherClient, "client_secret": loopback.ClientSecret,
		"grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
		"scope": "openid email", "redirect_uris": []string{hydraOtherRedirect}, "token_endpoint_auth_method": "client_secret_post",
	})
	h.client(t, ctx, map[string]any{
		"client_id": hydraMachineClient, "client_secret": hydraMachineSecret,
		"grant_types": []string{"client_credentials"}, "audience": []string{hydraMachineAud},
	})

	r, err := renderAuthConfig(t, ctx, e.ac)
	if err != nil {
		t.Fatalf("the Hydra AuthConfig does not render: %v", err)
	}
	e.r = r
	registry := map[string]string{}
	e.startOAuth2Proxy(registry)
	if e.spec()["authorizer"] == "check-server" {
		requireBinaries(t, "check-server")
		e.startCheckServer(registry)
	}
	e.serveGateway(frontL, registry)
	return e, h
}

// hydraBrowser may also visit Hydra and its login app, as a browser visits
// a corporate IdP's pages.
func (e *env) hydraBrowser(t testing.TB, h *hydra) *browser {
	b := e.browser(t)
	b.others = map[string]bool{urlHost(t, h.public): true, urlHost(t, h.ui.url): true}
	return b
}

var formChallenge = regexp.MustCompile(`name="challenge" value="([^"]*)"`)

// hydraLogin walks /oauth2/start → Hydra → its login page (the form, or
// nothing when Hydra remembers the user) → consent → callback → rd=/.
func (b *browser) hydraLogin(h *hydra) response {
	b.t.Helper()
	r := b.follow(b.do("GET", "/oauth2/start?rd=%2F", nil, nil))
	if r.status == 200 && strings.Contains(r.body, `name="password"`) {
		m := formChallenge.FindStringSubmatch(r.body)
		if m == nil {
			b.t.Fatalf("Hydra's login page has no challenge: %.300s", r.body)
		}
		r = b.follow(b.do("POST", h.ui.url+"/login", url.Values{"challenge": {m[1]}, "login": {hydraUser}, "password": {hydraPassword}}, nil))
	}
	return r
}

func newJar() http.CookieJar {
	j, _ := cookiejar.New(nil)
	return j
}

// TestHydraProvider runs the user flows through the real oauth2-proxy and the
// front against Hydra, with an AuthConfig that has no Dex.
func TestHydraProvider(t *testing.T) {
	e, h := newHydraEnv(t, nil)
	bearer := func(b *browser, tok string) response {
		return b.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json", "Authorization": "Bearer " + tok})
	}

	t.Run("login_page_not_error", func(t *testing.T) {
		// A user without an IdP session is shown the login page. prompt=none
		// (what meshauth used to write) gets login_required from Hydra.
		b := e.hydraBrowser(t, h)
		start := b.do("GET", "/oauth2/start?rd=%2F", nil, nil)
		loc := start.header.Get("Location")
		if strings.Contains(loc, "prompt=none") {
			t.Errorf("oauth2-proxy sends prompt=none to a corporate IdP: %s", loc)
		}
		page := b.follow(start)
		if page.status != 200 || !strings.Contains(page.body, `name="password"`) {
			t.Fatalf("a user without a session did not reach Hydra's login page: %d %.300s\nhops:\n%s", page.status, page.body, b.hops())
		}
		withNone := mustURL(t, loc)
		q := withNone.Query()
		q.Set("prompt", "none")
		withNone.RawQuery = q.Encode()
		nb := e.hydraBrowser(t, h)
		got := nb.do("GET", withNone.String(), nil, nil)
		for i := 0; i < 5 && got.status/100 == 3 && !strings.Contains(got.header.Get("Location"), "/oauth2/callback"); i++ {
			got = nb.do("GET", mustURL(t, withNone.String()).ResolveReference(mustURL(t, got.header.Get("Location"))).String(), nil, nil)
		}
		if !strings.Contains(got.header.Get("Location"), "error=login_required") {
			t.Errorf("with prompt=none Hydra answered %d %s, expected error=login_required (the old bug)", got.status, got.header.Get("Location"))
		}
	})

	var session *browser
	t.Run("login_identity_groups", func(t *testing.T) {
		b := e.hydraBrowser(t, h)
		r := b.hydraLogin(h)
		if r.status != 200 {
			t.Fatalf("after login GET / = %d %.300s\nhops:\n%s", r.status, r.body, b.hops())
		}
		seen := dashboardSaw(t, r)
		if got := seen.Get(e.userHeader); got != hydraEmail {
			t.Errorf("%s = %q, want the (unverified) email %q", e.userHeader, got, hydraEmail)
		}
		// One format: json-base64, Envoy's encoding of a list claim.
		raw, err := base64.StdEncoding.DecodeString(seen.Get(e.groupsHeader))
		var groups []string
		if err != nil || json.Unmarshal(raw, &groups) != nil || !slices.Equal(groups, hydraGroups) {
			t.Errorf("%s = %q, want base64 of %q", e.groupsHeader, seen.Get(e.groupsHeader), hydraGroups)
		}
		session = b
	})

	t.Run("refresh_outlives_id_token", func(t *testing.T) {
		if session == nil {
			t.Skip("no session")
		}
		// The ID token lives 5s, cookie.refresh is derived as 2.5s: after the
		// first token expired, requests still pass and carry a fresh token.
		first := forwardedExp(t, dashboardSaw(t, session.do("GET", "/", nil, nil)))
		pollUntil(t, e.ctx, first.Add(time.Second), func() {
			r := session.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json"})
			if r.status != 200 {
				t.Fatalf("GET /api/whoami during the session = %d %s (the session must outlive the ID token)", r.status, r.body)
			}
			if exp := forwardedExp(t, dashboardSaw(t, r)); time.Until(exp) <= 0 {
				t.Fatalf("the gateway got an expired ID token (exp %s): oauth2-proxy did not refresh", exp)
			}
		})
	})

	t.Run("other_client_token_refused", func(t *testing.T) {
		tok := h.codeFlowIDToken(t, e.ctx, hydraOtherClient, loopback.ClientSecret, hydraOtherRedirect)
		// Envoy's jwt_authn answers a verified token whose audience is not
		// allowed with 403, not 401 (JwtAudienceNotAllowed).
		if r := bearer(e.browser(t), tok); r.status != http.StatusForbidden || !strings.Contains(r.body, "Audiences in Jwt are not allowed") {
			t.Errorf("an ID token Hydra minted for %s = %d %s, want 403 \"Audiences in Jwt are not allowed\" (audiences pinned to the AuthConfig's clients)", hydraOtherClient, r.status, r.body)
		}
	})

	t.Run("client_credentials_machine", func(t *testing.T) {
		tok := h.clientCredentials(t, e.ctx, hydraMachineClient, hydraMachineSecret, hydraMachineAud)
		r := bearer(e.browser(t), tok)
		if r.status != 200 {
			t.Fatalf("a client-credentials token = %d %s, want 200", r.status, r.body)
		}
		if got := dashboardSaw(t, r).Get(e.userHeader); got != hydraMachineClient {
			t.Errorf("%s = %q for the machine token, want the client id %q", e.userHeader, got, hydraMachineClient)
		}
	})

	t.Run("logout_ends_idp_session", func(t *testing.T) {
		b := e.hydraBrowser(t, h)
		if r := b.hydraLogin(h); r.status != 200 {
			t.Fatalf("login: %d\nhops:\n%s", r.status, b.hops())
		}
		// A second login with the IdP session still alive asks nothing.
		dropCookie(b, e.cookieName)
		asked := h.ui.askedCount()
		if r := b.hydraLogin(h); r.status != 200 || h.ui.askedCount() != asked {
			t.Fatalf("relogin with a live Hydra session: %d, asked %d more times\nhops:\n%s", r.status, h.ui.askedCount()-asked, b.hops())
		}
		out := b.follow(b.do("GET", "/logout", nil, nil))
		if !slices.ContainsFunc(b.visited, func(u string) bool { return strings.Contains(u, "/oauth2/sessions/logout") }) {
			t.Errorf("logout did not reach Hydra's end-session endpoint; hops:\n%s", b.hops())
		}
		if out.status != 200 {
			t.Errorf("logout ended at %d %.200s\nhops:\n%s", out.status, out.body, b.hops())
		}
		asked = h.ui.askedCount()
		page := b.follow(b.do("GET", "/oauth2/start?rd=%2F", nil, nil))
		if !strings.Contains(page.body, `name="password"`) || h.ui.askedCount() != asked+1 {
			t.Errorf("after logout the next login did not ask again: %d %.200s\nhops:\n%s", page.status, page.body, b.hops())
		}
	})
}

// TestHydraRefreshRefusedOrBroken shows what the refresh check prevents: the
// old fixed 59m refresh with Hydra's 5s ID tokens is refused at render time,
// and the same stack run anyway forwards an expired ID token, which the
// gateway answers with 401 "Jwt is expired" (Envoy allows 60 s of skew).
func TestHydraRefreshRefusedOrBroken(t *testing.T) {
	requireBinaries(t, "authconfig-fn")
	ctx, cancel := context.WithTimeout(context.Background(), envTimeout)
	defer cancel()
	bad := hydraAuthConfig(1, &hydra{public: "http://127.0.0.1:2"}, func(s map[string]any) {
		s["oauth2Proxy"].(map[string]any)["cookie"].(map[string]any)["refresh"] = "59m"
	})
	out, code := validate(t, ctx, binPath("authconfig-fn"), bad)
	if code == 0 || !strings.Contains(out, "spec.oauth2Proxy.cookie.refresh") || !strings.Contains(out, "idTokenLifetime") {
		t.Errorf("a 59m refresh against 5s ID tokens: validate exit %d\n%s\nwant it refused with the fix", code, out)
	}

	t.Run("59m_refresh_forwards_expired_tokens", func(t *testing.T) {
		t.Setenv("E2E_MUTATE", `cookie_refresh = "2.5s"=>cookie_refresh = "59m"`)
		e, h := newHydraEnv(t, nil)
		b := e.hydraBrowser(t, h)
		if r := b.hydraLogin(h); r.status != 200 {
			t.Fatalf("login: %d\nhops:\n%s", r.status, b.hops())
		}
		first := forwardedExp(t, dashboardSaw(t, b.do("GET", "/", nil, nil)))
		pollUntil(t, e.ctx, first.Add(time.Second), func() {})
		r := b.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json"})
		exp := forwardedExp(t, dashboardSaw(t, r))
		if time.Until(exp) > 0 {
			t.Fatalf("without a refresh the forwarded token is still valid (exp %s)?", exp)
		}
		t.Logf("without the fix: oauth2-proxy still answers 200 and forwards an ID token expired %s ago; Envoy's jwt_authn answers 401 \"Jwt is expired\" once its 60 s skew has passed", time.Since(exp).Round(time.Second))
	})
	// The refreshed session is a new cookie on the allowed check; a provider
	// without headersToDownstreamOnAllow: [set-cookie] (meshauth before, and
	// any hand-written one) keeps the browser on the old cookie, whose
	// refresh token Hydra rotated away: the next refresh fails, 401.
	t.Run("refreshed_cookie_dropped_by_the_gateway", func(t *testing.T) {
		t.Setenv("E2E_MUTATE", `headersToDownstreamOnAllow:(\s*)- set-cookie=>headersToDownstreamOnAllow:${1}- x-dropped`)
		e, h := newHydraEnv(t, nil)
		b := e.hydraBrowser(t, h)
		if r := b.hydraLogin(h); r.status != 200 {
			t.Fatalf("login: %d\nhops:\n%s", r.status, b.hops())
		}
		first := forwardedExp(t, dashboardSaw(t, b.do("GET", "/", nil, nil)))
		status := 200
		pollUntil(t, e.ctx, first.Add(time.Second), func() {
			if status == 200 {
				status = b.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json"}).status
			}
		})
		if status != http.StatusUnauthorized {
			t.Fatalf("with the refreshed cookie dropped, the session still works (%d): the flow above cannot tell", status)
		}
		t.Logf("without set-cookie on allow: 401 once the rotated refresh token was reused")
	})
}

// forwardedExp is the exp of the ID token the dashboard received.
func forwardedExp(t testing.TB, seen http.Header) time.Time {
	t.Helper()
	claims, err := forwardedToken(seen)
	if err != nil {
		t.Fatalf("the dashboard got no ID token: %v (headers %v)", err, seen)
	}
	exp, _ := claims["exp"].(float64)
	return time.Unix(int64(exp), 0)
}

// pollUntil calls f every 250ms until the deadline passes (a bounded poll:
// the condition is the clock passing a token's expiry).
func pollUntil(t testing.TB, ctx context.Context, deadline time.Time, f func()) {
	t.Helper()
	if time.Until(deadline) > 2*hydraSessionTTLTime {
		t.Fatalf("deadline %s is further than the test's token lifetime", time.Until(deadline))
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		f()
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-tick.C:
		}
	}
	f()
}

// dropCookie forgets the oauth2-proxy session but keeps the IdP's cookies.
func dropCookie(b *browser, name string) {
	b.c.Jar.SetCookies(b.base, []*http.Cookie{{Name: name, Value: "", Path: "/", MaxAge: -1}})
}

// TestHydraCheckServer: with authorizer check-server and the user id taken
// from preferred_username, the same Hydra user gets the same user id and
// groups (comma-joined, the check-server's format) through the cookie path
// (oauth2-proxy's X-Auth-Request-Email carries the claim) and the bearer
// path (the check-server verifies the ID token itself).
func TestHydraCheckServer(t *testing.T) {
	e, h := newHydraEnv(t, func(s map[string]any) {
		s["authorizer"] = "check-server"
		delete(s, "machineIssuers") // the login issuer's machine audiences go in oidc.audiences with check-server
		s["identityHeaders"].(map[string]any)["user"].(map[string]any)["claim"] = "preferred_username"
	})
	b := e.hydraBrowser(t, h)
	r := b.hydraLogin(h)
	if r.status != 200 {
		t.Fatalf("login through the check-server: %d\nhops:\n%s", r.status, b.hops())
	}
	cookie := dashboardSaw(t, r)
	want := strings.Join(hydraGroups, ",")
	if cookie.Get(e.userHeader) != hydraUser || cookie.Get(e.groupsHeader) != want {
		t.Errorf("cookie path: %s=%q %s=%q, want %q and %q", e.userHeader, cookie.Get(e.userHeader), e.groupsHeader, cookie.Get(e.groupsHeader), hydraUser, want)
	}
	tok := h.codeFlowIDToken(t, e.ctx, e.clientID, loopback.ClientSecret, e.frontURL+"/oauth2/callback")
	br := e.browser(t).do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json", "Authorization": "Bearer " + tok})
	if br.status != 200 {
		t.Fatalf("bearer path with the user's ID token: %d %s", br.status, br.body)
	}
	bearer := dashboardSaw(t, br)
	if bearer.Get(e.userHeader) != cookie.Get(e.userHeader) || bearer.Get(e.groupsHeader) != cookie.Get(e.groupsHeader) {
		t.Errorf("one person, two identities: cookie %q/%q, bearer %q/%q", cookie.Get(e.userHeader), cookie.Get(e.groupsHeader), bearer.Get(e.userHeader), bearer.Get(e.groupsHeader))
	}
	other := h.codeFlowIDToken(t, e.ctx, hydraOtherClient, loopback.ClientSecret, hydraOtherRedirect)
	if r := e.browser(t).do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json", "Authorization": "Bearer " + other}); r.status != http.StatusUnauthorized {
		t.Errorf("check-server: another client's ID token = %d, want 401", r.status)
	}
}
