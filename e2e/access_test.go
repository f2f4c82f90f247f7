package e2e

import (
	"net/http"
	"strings"
	"testing"

	"meshauth.dev/meshauth/internal/testissuer"
)

// TestAccessRules walks the access-rule flows (spec.access, docs/access.md)
// through the real Dex, oauth2-proxy, check-server and the gateway on
// istiod's xDS, under both authorizers: one environment each, at a host
// name (access_env_test.go).
func TestAccessRules(t *testing.T) {
	for _, authorizer := range []string{"oauth2-proxy", "check-server"} {
		t.Run(authorizer, func(t *testing.T) {
			t.Parallel()
			e := newAccessEnv(t, authorizer, "")
			e.walk(t, accessFlows)
		})
	}
}

// TestAccessRulesGatewayAPI is TestAccessRules with gateway.api:
// gateway-api: the same rules hold when the policies and classifiers attach
// to a Kubernetes Gateway by targetRefs.
func TestAccessRulesGatewayAPI(t *testing.T) {
	for _, authorizer := range []string{"oauth2-proxy", "check-server"} {
		t.Run(authorizer, func(t *testing.T) {
			t.Parallel()
			e := newAccessEnv(t, authorizer, "", gatewayAPIMode)
			if n := len(e.r.all("networking.istio.io", "VirtualService", "")); n > 0 {
				t.Fatalf("gateway.api: gateway-api: %d VirtualServices emitted, want HTTPRoutes only", n)
			}
			e.walk(t, accessFlows)
		})
	}
}

// accessFlows are walked by both authorizers.
var accessFlows = []flow{
	{"groups_per_app", (*env).flowAccessGroups},
	{"denied_xhr_is_403", (*env).flowAccessXHR},
	{"public_rule_and_escapes", (*env).flowAccessPublic},
	{"machines_rule", (*env).flowAccessMachines},
	{"machine_only_host", (*env).flowAccessMachineHost},
	{"shared_session_subdomain", (*env).flowAccessSubdomain},
	{"path_tricks", (*env).flowAccessTricks},
	{"unnamed_host", (*env).flowAccessUnnamedHost},
}

// access is one expectation: person at path is let through (rule "") or
// refused by rule, which needs ruleNeed[rule].
type access struct {
	path, rule string
}

// ruleNeed is what each group or claim rule of accessSpec needs.
var ruleNeed = map[string]string{"app-a": needGroup, "pipelines": needGroup, "admin": needGroup, "finance": needClaim}

// flowAccessGroups: each person reaches the apps of their groups and the
// signed-in default paths, and gets the rule's 403 — never a redirect to
// sign in again — from the others; a group "a,admin" or "not-admin" is not
// the group admin; the claim rule reads the verified email.
func (e *env) flowAccessGroups(t *testing.T) {
	table := []struct {
		who  accessPerson
		want []access
	}{
		{personA, []access{{"/app-a/", ""}, {"/app-a/runs/1", ""}, {"/pipeline/", "pipelines"}, {"/finance/", ""}, {"/", ""}}},
		{personB, []access{{"/pipeline/", ""}, {"/pipeline/runs", ""}, {"/app-a/", "app-a"}, {"/finance/", "finance"}}},
		{personNone, []access{{"/app-a/", "app-a"}, {"/pipeline/", "pipelines"}, {"/admin/", "admin"}, {"/finance/", "finance"},
			{"/", ""}, {"/notebooks/", ""}, {"/app-ab/", ""}, {"/pipelines/", ""}}},
		{personAdmin, []access{{"/admin/", ""}, {"/admin/users", ""}, {"/app-a/", "app-a"}}},
		{personComma, []access{{"/admin/", "admin"}, {"/admin/users", "admin"}, {"/", ""}}},
	}
	for _, tc := range table {
		t.Run(strings.Split(tc.who.email, "@")[0], func(t *testing.T) {
			b := e.signIn(t, tc.who)
			for _, a := range tc.want {
				uri := tagged(a.path)
				r := b.do("GET", uri, nil, nil)
				what := tc.who.email + " GET " + a.path
				if a.rule != "" {
					e.expectRuleDenied(t, what, fromBrowser(r), uri, a.rule, ruleNeed[a.rule])
					continue
				}
				if seen := dashboardSaw(t, r); seen.Get(e.userHeader) != tc.who.email {
					t.Errorf("%s: the dashboard saw %s %q, want %s", what, e.userHeader, seen.Get(e.userHeader), tc.who.email)
				}
			}
			// A 403 leaves the session alone: no sign-out, no login loop.
			if seen := dashboardSaw(t, b.do("GET", "/", nil, nil)); seen.Get(e.userHeader) != tc.who.email {
				t.Errorf("after the denials %s is no longer signed in: %v", tc.who.email, seen)
			}
		})
	}
}

// flowAccessXHR: a denied API call with a session is the rule's 403, not a
// redirect a script would follow to the IdP.
func (e *env) flowAccessXHR(t *testing.T) {
	b := e.signIn(t, personNone)
	xhr := map[string]string{"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"}
	for _, p := range []struct{ path, rule string }{{"/pipeline/apis/v2beta1/runs", "pipelines"}, {"/app-a/api/items", "app-a"}} {
		uri := tagged(p.path)
		e.expectRuleDenied(t, "XHR "+p.path, b.get(uri, xhr), uri, p.rule, needGroup)
	}
	// The control: the same XHR where no rule stands in the way.
	if r := b.do("GET", "/api/workgroup/env-info", nil, xhr); dashboardSaw(t, r).Get(e.userHeader) != personNone.email {
		t.Errorf("an allowed XHR did not reach the dashboard as %s", personNone.email)
	}
}

// flowAccessPublic: a public rule's prefix answers without a sign-in, on
// the hosts it names; a path under it that escapes to a protected prefix
// is not answered anonymously.
func (e *env) flowAccessPublic(t *testing.T) {
	for _, host := range []string{accessHost, accessNotebooks} {
		for _, target := range []string{"/kserve/", "/kserve/v1/models/iris:predict", "/kserve/a.b/c-d_e~f/"} {
			r := e.rawAt(t, host, target, http.Header{"Accept": {"application/json"}})
			got, echoed := echoedTarget(r)
			if r.Status != 200 || !echoed || got != target {
				t.Errorf("anonymous %s%s = %d %.200s, want the dashboard's echo of it", host, target, r.Status, r.Body)
			}
		}
	}
	escapes := []string{
		"/kserve/..%2Fpipeline/", "/kserve/../pipeline/", "/kserve/..;/pipeline/", "/kserve/%2e%2e/pipeline/",
		"/kserve/..%5Cpipeline/", `/kserve/..\pipeline/`, "/kserve/%2e%2e%2fadmin/", "/kserve/..%252Fapp-a/",
		"/kserve//../batch/", "/kserve/x/..%2F..%2Ffinance/", "/KSERVE/../pipeline/", "/kserve/..%3B/pipeline/",
	}
	// What the dashboard may receive of one anonymously is a path that
	// reads only as a public one (the gateway's own normalisation may have
	// resolved it there, as Envoy resolves "/kserve//../batch/" to
	// "/kserve/batch/").
	for _, target := range escapes {
		r := e.rawAt(t, accessHost, target, http.Header{"Accept": {"application/json"}})
		if got, echoed := echoedTarget(r); echoed && !onlyPublic(got) {
			t.Errorf("anonymous %s: the dashboard received %q (%d)", target, got, r.Status)
		}
	}
	// Another host than the rule names: not public.
	for _, host := range []string{accessMachineHost, "other.e2e.test"} {
		if r := e.rawAt(t, host, "/kserve/", http.Header{"Accept": {"application/json"}}); fromRaw(r).echoed() {
			t.Errorf("anonymous /kserve/ on %s reached the dashboard: the rule names %s and %s only", host, accessHost, accessNotebooks)
		}
	}
}

// flowAccessMachines: the machines+claim rule admits the named issuer's
// token with the claim, and nothing else: not the issuer's token with
// another value or without the claim, not the login issuer's ID token,
// not a session; the machines rule without a claim admits the issuer's
// token and refuses the login issuer's for being one.
func (e *env) flowAccessMachines(t *testing.T) {
	b := e.signIn(t, personNone)
	idToken := e.loginIDToken(t, b, personNone)
	anon := e.hostBrowser(t)
	for _, c := range []struct{ path, claim string }{{"/batch/jobs", accessRepo}, {"/jobs/nightly", ""}} {
		claims := map[string]any{}
		if c.claim != "" {
			claims["repository"] = c.claim
		}
		if seen := dashboardSaw(t, anon.do("GET", c.path, nil, bearerHdr(e.machineToken(t, claims)))); seen.Get(e.userHeader) != accessMachine {
			t.Errorf("the machine token %v at %s: the dashboard saw %s %q, want %s", claims, c.path, e.userHeader, seen.Get(e.userHeader), accessMachine)
		}
	}
	for _, c := range []struct {
		name, path, rule, need string
		b                      *browser
		hdr                    map[string]string
	}{
		{"another repository", "/batch/jobs", "batch", needClaim, anon, bearerHdr(e.machineToken(t, map[string]any{"repository": "e2e-org/other"}))},
		{"no repository claim", "/batch/jobs", "batch", needClaim, anon, bearerHdr(e.machineToken(t, nil))},
		{"repository list without the value", "/batch/jobs", "batch", needClaim, anon,
			bearerHdr(e.machineToken(t, map[string]any{"repository": []any{"e2e-org/other", "e2e-org/models,x"}}))},
		{"the login issuer's token", "/batch/jobs", "batch", needMachine, anon, bearerHdr(idToken)},
		{"a session", "/batch/jobs", "batch", needMachine, b, map[string]string{"Accept": "text/html"}},
		{"the login issuer's token", "/jobs/nightly", "jobs", needMachine, anon, bearerHdr(idToken)},
		{"a session", "/jobs/nightly", "jobs", needMachine, b, map[string]string{"Accept": "text/html"}},
	} {
		uri := tagged(c.path)
		e.expectRuleDenied(t, c.name+" at "+c.path, c.b.get(uri, c.hdr), uri, c.rule, c.need)
	}
}

// loginIDToken is the ID token of b's session (p's): oauth2-proxy's auth
// endpoint (routed by the gateway under /oauth2/) answers a valid session
// with it in Authorization, as it answers the gateway's checks.
func (e *env) loginIDToken(t *testing.T, b *browser, p accessPerson) string {
	t.Helper()
	r := b.do("GET", "/oauth2/auth", nil, nil)
	tok, ok := strings.CutPrefix(r.header.Get("Authorization"), "Bearer ")
	if r.status != http.StatusAccepted || !ok {
		t.Fatalf("GET /oauth2/auth with the session = %d, Authorization %q: no ID token", r.status, r.header.Get("Authorization"))
	}
	claims, err := testissuer.Payload(tok)
	if err != nil || claims["iss"] != e.issuerURL || claims["email"] != p.email {
		t.Fatalf("the session's ID token: %v %v, want one of %s for %s", claims, err, e.issuerURL, p.email)
	}
	return tok
}

// flowAccessMachineHost: on the machine-only host no one signs in: a
// session cookie alone is refused (401/403, never a redirect to sign in),
// the login issuer's token too; the machine token with the ci rule's claim
// is let through.
func (e *env) flowAccessMachineHost(t *testing.T) {
	b := e.signIn(t, personNone)
	cookie := b.cookieHeader()
	idToken := e.loginIDToken(t, b, personNone)
	for name, hdr := range map[string]http.Header{
		"session cookie, navigation": {"Cookie": {cookie}, "Accept": {"text/html"}},
		"session cookie, API":        {"Cookie": {cookie}, "Accept": {"application/json"}},
		"nothing":                    {"Accept": {"text/html"}},
		"login issuer token":         {"Authorization": {"Bearer " + idToken}},
		"login issuer token, cookie": {"Authorization": {"Bearer " + idToken}, "Cookie": {cookie}},
	} {
		uri := tagged("/v1/models")
		r := fromRaw(e.rawAt(t, accessMachineHost, uri, hdr))
		if r.status != http.StatusUnauthorized && r.status != http.StatusForbidden || r.location != "" || r.echoed() ||
			strings.Contains(r.body, "/oauth2/start") || strings.Contains(r.body, `name="password"`) {
			t.Errorf("%s on %s = %d (Location %q) %.200s, want 401 or 403 without a sign-in", name, accessMachineHost, r.status, r.location, r.body)
			continue
		}
		e.expectMachineHostRefusal(t, name, r, uri)
	}
	good := e.machineToken(t, map[string]any{"repository": accessRepo})
	r := e.rawAt(t, accessMachineHost, "/v1/models", http.Header{"Authorization": {"Bearer " + good}})
	if seen := dashboardSaw(t, response{status: r.Status, body: r.Body}); seen.Get(e.userHeader) != accessMachine {
		t.Errorf("the machine token on %s: the dashboard saw %s %q, want %s", accessMachineHost, e.userHeader, seen.Get(e.userHeader), accessMachine)
	}
	uri := tagged("/v1/models")
	other := e.machineToken(t, map[string]any{"repository": "e2e-org/other"})
	e.expectRuleDenied(t, "a machine token of another repository on "+accessMachineHost,
		fromRaw(e.rawAt(t, accessMachineHost, uri, http.Header{"Authorization": {"Bearer " + other}})), uri, "ci", needClaim)
}

// expectMachineHostRefusal: the refusal is the machine-only host's —
// check-server's 401 or its "this host takes machine tokens only" 403; under
// oauth2-proxy a DENY on the machine-host mark (the access policy) or on
// the missing token (require-jwt).
func (e *env) expectMachineHostRefusal(t *testing.T, what string, r reply, uri string) {
	t.Helper()
	if e.spec()["authorizer"] == "check-server" {
		if r.status == http.StatusUnauthorized && r.body == "unauthorized\n" || strings.HasPrefix(r.body, "forbidden: this host takes machine tokens only") {
			return
		}
		t.Errorf("%s: %d %q, want check-server's 401 or its machine-only 403", what, r.status, r.body)
		return
	}
	if r.status != http.StatusForbidden || r.body != "RBAC: access denied" {
		t.Errorf("%s: %d %q, want the gateway's 403 \"RBAC: access denied\"", what, r.status, r.body)
		return
	}
	// The first DENY rule that holds answers: the ci rule's (it takes every
	// path of the host), the host's own, or require-jwt's.
	ids := append(e.accessPolicyRules(t, machineHostMark, ""), e.accessPolicyRules(t, ruleMark("ci"), needMachine)...)
	ids = append(ids, "ns[istio-system]-policy[istio-ingressgateway-require-jwt]-rule[0]")
	e.expectDeniedBy(t, what, uri, ids)
}

const machineHostMark = "meshauth_machine_host_"

// flowAccessSubdomain: signed in at the publicURL, the same browser reaches
// the subdomain that shares the session as the same person (the cookie's
// domain covers it), and its rules hold there; the machine-only host never
// gets the cookie; a browser without the session is sent to sign in there.
func (e *env) flowAccessSubdomain(t *testing.T) {
	b := e.signIn(t, personNone)
	nb := e.urlAt(accessNotebooks, "/notebook/e2e/lab")
	if !hasCookieFor(b, nb, e.cookieName) {
		t.Fatalf("after login the browser sends no %s to %s (cookies for it: %v)", e.cookieName, nb, b.c.Jar.Cookies(mustURL(t, nb)))
	}
	if hasCookieFor(b, e.urlAt(accessMachineHost, "/"), e.cookieName) {
		t.Errorf("the browser sends the session cookie to the machine-only host %s", accessMachineHost)
	}
	r := b.do("GET", nb, nil, nil)
	if seen := dashboardSaw(t, r); seen.Get(e.userHeader) != personNone.email {
		t.Errorf("%s with the session: the dashboard saw %s %q, want %s", nb, e.userHeader, seen.Get(e.userHeader), personNone.email)
	}
	uri := tagged("/pipeline/")
	e.expectRuleDenied(t, "the subdomain's /pipeline/", b.get(e.urlAt(accessNotebooks, uri), nil), uri, "pipelines", needGroup)
	anon := e.hostBrowser(t, accessNotebooks).do("GET", nb, nil, nil)
	if fromBrowser(anon).echoed() || anon.status == 200 {
		t.Errorf("%s without a session = %d %.200s, want it refused or sent to sign in", nb, anon.status, anon.body)
	}
}

// hasCookieFor: the jar sends a cookie name (or its first split part) to u.
func hasCookieFor(b *browser, u, name string) bool {
	for _, c := range b.c.Jar.Cookies(mustURL(b.t, u)) {
		if c.Name == name || c.Name == name+"_0" {
			return true
		}
	}
	return false
}

// flowAccessUnnamedHost: a Host the AuthConfig names nowhere (the gateway's
// address) is routed like the named ones, so the rule limited to the
// machine-only host (ci: a machine token of the repository) holds there
// too: the session that reaches / on the publicURL's host is refused, the
// right machine token passes.
func (e *env) flowAccessUnnamedHost(t *testing.T) {
	cookie := e.signIn(t, personNone).cookieHeader()
	hdr := http.Header{"Cookie": {cookie}, "Accept": {"application/json"}}
	if r := fromRaw(e.rawAt(t, accessHost, tagged("/"), hdr)); !r.echoed() {
		t.Fatalf("the session on %s: %d %.200s, want the dashboard", accessHost, r.status, r.body)
	}
	uri := tagged("/")
	e.expectRuleDenied(t, "the session with an unnamed Host", fromRaw(e.rawAt(t, "127.0.0.1", uri, hdr)), uri, "ci", needMachine)
	good := e.machineToken(t, map[string]any{"repository": accessRepo})
	if r := fromRaw(e.rawAt(t, "127.0.0.1", tagged("/"), http.Header{"Authorization": {"Bearer " + good}})); !r.echoed() {
		t.Errorf("the ci machine token with an unnamed Host: %d %.200s, want the dashboard", r.status, r.body)
	}
}
