package e2e

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"meshauth.dev/meshauth/internal/loopback"
)

// TestBrowser walks a person's path in headless Chromium over TLS at the
// AuthConfig's public host name: the real Dex login form, the real
// oauth2-proxy session cookies, the gateway on istiod's xDS for the
// emitted objects. Each flow checks what the person sees (the page's text and URL)
// and what the dashboard got. docs/e2e.md lists the flows.
func TestBrowser(t *testing.T) {
	be := newBrowserEnv(t, "oauth2-proxy")
	t.Run("login_deep_link_and_reload", be.flowLoginDeepLink)
	t.Run("logout_link_then_password_again", be.flowLogout)
	t.Run("back_after_logout_hides_the_app", be.flowBackAfterLogout)
	t.Run("expired_id_token_refreshed", be.flowRefresh)
	t.Run("many_groups_split_cookies", be.flowManyGroups)
	t.Run("secure_cookie_not_sent_over_http", be.flowSecureCookie)
	t.Run("cross_site_link_keeps_session", be.flowCrossSiteLink)
	t.Run("cross_site_post_without_session", be.flowCrossSitePost)
}

// TestBrowserCheckServer walks the session flows with authorizer:
// check-server, the bundled ext_authz service in front of oauth2-proxy: the
// cookie session, its refresh and the logout must hold through it too.
func TestBrowserCheckServer(t *testing.T) {
	be := newBrowserEnv(t, "check-server")
	t.Run("login_deep_link_and_reload", be.flowLoginDeepLink)
	t.Run("expired_id_token_refreshed", be.flowRefresh)
	t.Run("logout_link_then_password_again", be.flowLogout)
	t.Run("cross_site_post_without_session", be.flowCrossSitePost)
}

// TestBrowserGatewayAPI is a person's login, refresh and logout with gateway.api: gateway-api: the routes
// are the emitted HTTPRoutes, the logout redirect a Gateway API RequestRedirect to the public
// scheme, host and port (docs/gateway-api.md), the policies attached by targetRefs.
func TestBrowserGatewayAPI(t *testing.T) {
	be := newBrowserEnv(t, "oauth2-proxy", gatewayAPIMode)
	t.Run("login_deep_link_and_reload", be.flowLoginDeepLink)
	t.Run("expired_id_token_refreshed", be.flowRefresh)
	t.Run("logout_link_then_password_again", be.flowLogout)
}

const signedIn = "Signed in as "

// login opens deep (a path on the public URL), expects Dex's login form,
// types the password and expects to land on deep, signed in as email.
func (be *browserEnv) login(p *person, deep, email string) {
	p.t.Helper()
	p.open(be.publicURL + deep)
	be.expectPasswordForm(p)
	p.run("type the password into Dex's form",
		chromedp.WaitVisible(chromedp.ID("submit-login")),
		chromedp.SendKeys(chromedp.ID("login"), email),
		chromedp.SendKeys(chromedp.ID("password"), loopback.Password),
		chromedp.Click(chromedp.ID("submit-login")))
	be.expectApp(p, deep, email)
}

// expectPasswordForm waits for Dex's login form, reached through the
// front. oauth2-proxy first shows its sign-in page (skip_provider_button is
// false, as in Kubeflow): the person clicks "Sign in with Dex" there.
func (be *browserEnv) expectPasswordForm(p *person) {
	p.t.Helper()
	const signInButton = `form[action="/oauth2/start"] button`
	dex := func(u, text string) bool {
		return strings.HasPrefix(u, be.publicURL+"/dex/auth") && strings.Contains(text, "Password") &&
			strings.Contains(text, "Log in")
	}
	p.waitFor("the sign-in page or Dex's login form", func(u, text string) bool {
		return dex(u, text) || strings.Contains(text, "Sign in with Dex")
	})
	if strings.Contains(p.text(), "Sign in with Dex") {
		p.run("click Sign in with Dex", chromedp.Click(chromedp.CSS(signInButton)))
	}
	p.waitFor("Dex's login form asking for the password", func(u, text string) bool {
		return dex(u, text) && p.readyState() == "complete"
	})
}

// expectApp waits for the dashboard page at deep, signed in as email.
func (be *browserEnv) expectApp(p *person, deep, email string) {
	p.t.Helper()
	p.waitFor("the dashboard at "+deep+" signed in as "+email, func(u, text string) bool {
		return u == be.publicURL+deep && strings.Contains(text, signedIn+email)
	})
}

// upstreamGot fails unless the dashboard got a GET of uri with the user's
// identity since mark; it returns that request.
func (be *browserEnv) upstreamGot(t *testing.T, mark int, uri, email string) upstreamRequest {
	t.Helper()
	seen := be.dash.since(mark)
	for i := len(seen) - 1; i >= 0; i-- {
		if r := seen[i]; r.method == "GET" && r.uri == uri {
			if r.user != email {
				t.Errorf("the dashboard got GET %s with %s %q, want %q", uri, be.userHeader, r.user, email)
			}
			return r
		}
	}
	t.Fatalf("the dashboard got no GET %s (it got %v)", uri, seen)
	return upstreamRequest{}
}

// splitCookieRE matches the suffix of a split session cookie (name_0, …).
var splitCookieRE = regexp.MustCompile(`^_[0-9]+$`)

// sessionCookies are the names of the session cookies the browser holds
// (not oauth2-proxy's name_csrf).
func (be *browserEnv) sessionCookies(p *person) []string {
	var n []string
	for _, c := range p.cookies(be.publicURL + "/") {
		if c.Name == be.cookieName || splitCookieRE.MatchString(strings.TrimPrefix(c.Name, be.cookieName)) {
			n = append(n, c.Name)
		}
	}
	return n
}

// Deep link → Dex's form → the password → back on the deep link with the
// identity; the session cookie is what the AuthConfig says; a reload keeps
// the session without Dex.
func (be *browserEnv) flowLoginDeepLink(t *testing.T) {
	p := be.chrome.person(t)
	const deep = "/notebook/e2e/lab?file=analysis.ipynb"
	m := be.dash.mark()
	be.login(p, deep, be.userEmail)
	got := be.upstreamGot(t, m, deep, be.userEmail)
	if !slices.Contains(groupsOf(got.groups), testGroup) {
		t.Errorf("the dashboard got %s %q, want it to hold %q", be.groupsHeader, got.groups, testGroup)
	}
	if !strings.Contains(p.text(), testGroup) {
		t.Errorf("the page does not show the group %q:\n%s", testGroup, p.text())
	}
	cs := p.cookies(be.publicURL + "/")
	var session bool
	for _, c := range cs {
		if c.Name != be.cookieName {
			continue
		}
		session = true
		if !c.Secure || string(c.SameSite) != "Lax" || strings.TrimPrefix(c.Domain, ".") != browserPublicHost || !c.HTTPOnly {
			t.Errorf("the session cookie is %s; the AuthConfig says Secure, SameSite=Lax, HttpOnly, domain %s", cookieSummary([]*network.Cookie{c}), browserPublicHost)
		}
	}
	if !session {
		t.Errorf("the browser holds no session cookie %q: %s", be.cookieName, cookieSummary(cs))
	}

	m = be.dash.mark()
	p.run("reload", chromedp.Reload())
	be.expectApp(p, deep, be.userEmail)
	be.upstreamGot(t, m, deep, be.userEmail)
}

// The dashboard's logout link → /logout → oauth2-proxy's sign-out → the
// session is gone: the next deep link asks for the password again.
func (be *browserEnv) flowLogout(t *testing.T) {
	p := be.chrome.person(t)
	be.login(p, "/", be.userEmail)
	m := be.logout(p)
	if n := be.sessionCookies(p); len(n) > 0 {
		t.Errorf("after logout the browser still holds the session cookies %v", n)
	}
	p.open(be.publicURL + "/pipelines/run/42")
	be.expectPasswordForm(p)
	be.noIdentitySince(t, m, "after logout")
}

// logout clicks the dashboard's logout link and waits for the sign-in; it
// returns the dashboard's mark from then on.
func (be *browserEnv) logout(p *person) int {
	p.t.Helper()
	p.run("click the logout link", chromedp.Click(chromedp.ID("logout")))
	be.expectPasswordForm(p)
	return be.dash.mark()
}

// noIdentitySince fails for every request the dashboard got with an identity since mark.
func (be *browserEnv) noIdentitySince(t *testing.T, mark int, when string) {
	t.Helper()
	for _, r := range be.dash.since(mark) {
		if r.user != "" {
			t.Errorf("%s the dashboard got %s %s with %s %q", when, r.method, r.uri, be.userHeader, r.user)
		}
	}
}

// After logout, the browser's back button does not show the app again
// (neither from the network nor from the browser's caches).
func (be *browserEnv) flowBackAfterLogout(t *testing.T) {
	p := be.chrome.person(t)
	const deep = "/volumes/details/private"
	be.login(p, deep, be.userEmail)
	m := be.logout(p)
	p.run("press back", chromedp.NavigateBack())
	p.waitFor("the page after back to finish loading", func(u, text string) bool {
		return p.readyState() == "complete"
	})
	if text := p.text(); strings.Contains(text, signedIn) {
		t.Errorf("after logout, back shows the app again at %s:\n%.400s", p.url(), text)
	}
	be.noIdentitySince(t, m, "after logout and back")
}

// A session whose ID token has expired is refreshed (oauth2-proxy redeems
// its refresh token at Dex) without the person seeing an error or the
// password form — twice, so the refreshed session must have reached the
// browser (Dex rotates refresh tokens): the browser's session cookie
// changes, and where the gateway passes the ID token on (authorizer
// oauth2-proxy) the dashboard gets a newer one.
func (be *browserEnv) flowRefresh(t *testing.T) {
	p := be.chrome.person(t)
	const deep = "/katib/experiment/mnist"
	m := be.dash.mark()
	be.login(p, deep, be.userEmail)
	// The ID token expires at most its lifetime after the login landed.
	exp := time.Now().Add(dexIDTokenLifetime)
	tok := be.upstreamGot(t, m, deep, be.userEmail).bearer
	if _, e, ok := jwtTimes(tok); ok {
		exp = e
	}
	cookie := be.sessionValue(p)
	for round := 1; round <= 2; round++ {
		waitUntil(t, p.ctx, exp.Add(time.Second), dexIDTokenLifetime+pageTimeout)
		m = be.dash.mark()
		p.run("reload after the ID token expired", chromedp.Reload())
		be.expectApp(p, deep, be.userEmail)
		next := be.upstreamGot(t, m, deep, be.userEmail).bearer
		if c := be.sessionValue(p); c == cookie {
			t.Fatalf("round %d: after the ID token expired at %s the browser still holds the same session cookie: the refreshed session did not reach it", round, exp.Format(time.TimeOnly))
		} else {
			cookie = c
		}
		if tok != "" {
			_, nexp, ok := jwtTimes(next)
			if !ok || !nexp.After(exp) {
				t.Fatalf("round %d: after the ID token expired at %s the dashboard got a token expiring %s, want a refreshed one", round, exp.Format(time.TimeOnly), nexp.Format(time.TimeOnly))
			}
			exp = nexp
		} else {
			exp = time.Now().Add(dexIDTokenLifetime) // refreshed during the reload
		}
	}
}

// sessionValue is the session the browser holds: its session cookies' values.
func (be *browserEnv) sessionValue(p *person) string {
	var v []string
	names := be.sessionCookies(p)
	for _, c := range p.cookies(be.publicURL + "/") {
		if slices.Contains(names, c.Name) {
			v = append(v, c.Name+"="+c.Value)
		}
	}
	return strings.Join(v, ";")
}

// A user in many groups: the session is split into name_0, name_1, … and
// still logs in, with every group reaching the dashboard.
func (be *browserEnv) flowManyGroups(t *testing.T) {
	p := be.chrome.person(t)
	const deep = "/models/serving"
	m := be.dash.mark()
	be.login(p, deep, manyGroupsEmail)
	got := be.upstreamGot(t, m, deep, manyGroupsEmail)
	if g := groupsOf(got.groups); len(g) != manyGroupsCount {
		t.Errorf("the dashboard got %d groups in %s, want %d", len(g), be.groupsHeader, manyGroupsCount)
	}
	n := be.sessionCookies(p)
	if !slices.Contains(n, be.cookieName+"_0") || !slices.Contains(n, be.cookieName+"_1") {
		t.Errorf("the session of a user in %d groups is in the cookies %v, want it split into %s_0, %s_1, …", manyGroupsCount, n, be.cookieName, be.cookieName)
	}
	m = be.dash.mark()
	p.run("reload", chromedp.Reload())
	be.expectApp(p, deep, manyGroupsEmail)
	be.upstreamGot(t, m, deep, manyGroupsEmail)
}

// The session cookie is Secure: a plain-http request to the same host does
// not carry it (the page shows the cookies that server got; a control
// cookie proves the browser does send this host's cookies over http).
func (be *browserEnv) flowSecureCookie(t *testing.T) {
	p := be.chrome.person(t)
	be.login(p, "/", be.userEmail)
	p.open(be.plainURL + "/")
	p.waitFor("the plain-http page listing the cookies it got", func(u, text string) bool {
		return strings.HasPrefix(u, be.plainURL) && strings.Contains(text, "plain http cookies:") && strings.Contains(text, "e2e_plain_control")
	})
	if text := p.text(); strings.Contains(text, be.cookieName) {
		t.Errorf("the session cookie travelled over plain http to %s: %s", be.plainURL, text)
	}
}

// A link from another site opens the deep link signed in (SameSite=Lax
// sends the cookie on a top-level navigation; strict would not).
func (be *browserEnv) flowCrossSiteLink(t *testing.T) {
	p := be.chrome.person(t)
	be.login(p, "/", be.userEmail)
	const deep = "/notebook/e2e/shared"
	p.open(be.otherURL + "/link?to=" + deep)
	p.waitFor("the other site's page", func(u, text string) bool { return strings.Contains(text, "another site") })
	m := be.dash.mark()
	p.run("click the link on the other site", chromedp.Click(chromedp.ID("deep")))
	be.expectApp(p, deep, be.userEmail)
	be.upstreamGot(t, m, deep, be.userEmail)
}

// A POST from another site to an API route does not carry the session: the
// API answers 401 and the dashboard never gets the POST. The same POST from
// the dashboard's own page does reach it (the control).
func (be *browserEnv) flowCrossSitePost(t *testing.T) {
	p := be.chrome.person(t)
	be.login(p, "/", be.userEmail)
	const api = "/api/workgroup/delete"
	m := be.dash.mark()
	status := p.eval(`fetch("` + api + `", {method: "POST", body: "delete=control"}).then(r => String(r.status))`)
	if status != "200" || !be.upstreamPosted(m, api, be.userEmail) {
		t.Fatalf("control: a same-site POST to %s answered %s; the dashboard got %v", api, status, be.dash.since(m))
	}
	m = be.dash.mark()
	p.open(be.otherURL + "/post?to=" + api)
	p.waitFor("the answer to the other site's POST", func(u, text string) bool {
		return u == be.publicURL+api && p.readyState() == "complete"
	})
	if text := p.text(); strings.Contains(text, be.userEmail) {
		t.Errorf("the cross-site POST was answered with the session: %.300s", text)
	}
	for _, r := range be.dash.since(m) {
		if r.method == "POST" {
			t.Errorf("the cross-site POST reached the dashboard: %s %s with %s %q", r.method, r.uri, be.userHeader, r.user)
		}
	}
}

func (be *browserEnv) upstreamPosted(m int, uri, email string) bool {
	return slices.ContainsFunc(be.dash.since(m), func(r upstreamRequest) bool {
		return r.method == "POST" && r.uri == uri && r.user == email
	})
}

func (p *person) readyState() string { return p.eval(`document.readyState`) }

// eval evaluates a JavaScript expression (a promise is awaited) to a string.
func (p *person) eval(js string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, pageTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", js, err)
	}
	return s
}

// waitUntil waits for the clock to pass at (a condition on time itself,
// e.g. an ID token's expiry), failing after max.
func waitUntil(t *testing.T, ctx context.Context, at time.Time, max time.Duration) {
	t.Helper()
	d := time.Until(at)
	if d > max {
		t.Fatalf("waiting until %s is longer than %s", at.Format(time.TimeOnly), max)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
		t.Fatalf("waiting until %s: %v", at.Format(time.TimeOnly), ctx.Err())
	}
}
