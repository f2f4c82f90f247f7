package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"meshauth.dev/meshauth/checkserver/pathmatch"
	"meshauth.dev/meshauth/internal/rawhttp"
)

// staticPrefix is a public prefix the dashboard itself serves (its assets,
// as Kubeflow's dashboard serves /static/): what a trick under it escapes
// to is the dashboard's echo too, so the test sees what got through.
const staticPrefix = "/static/"

// pathTricks (issue 22) are request targets under the public prefix that
// some normalisation an upstream or framework applies turns into a path
// outside it: percent-decoding (%2F %5C %2e, double encoding), "\" as "/",
// dot segments, ";" parameters, duplicate slashes, case. Sent as written.
var pathTricks = []string{
	"/static/..%2Fjupyter/", "/static/%2F../jupyter/", "/static/..%5Cjupyter/", "/static/..%5cjupyter/",
	"/static/..;/jupyter/", "/static/..;x=1/jupyter/", "/static/a;/../../jupyter/", "/static/..%3B/jupyter/",
	"/static/%2e%2e/jupyter/", "/static/.%2e/jupyter/", "/static/%2E./jupyter/", "/static/%2e%2e%2fjupyter/",
	`/static/..\jupyter/`, `/static\..\jupyter/`, "/static/../jupyter/", "/static//../jupyter/", "/static/x/..%2F..%2Fjupyter/",
	"/static/%252e%252e/jupyter/", "/static/%252F..%252Fjupyter/", "/static/..%c0%afjupyter/", "/static/..%ef%bc%8fjupyter/",
	"/static%2F..%2Fjupyter/", "/%73tatic/..%2Fjupyter/", "//static/../jupyter/", "/STATIC/..%2Fjupyter/",
	"/static/%2e%2e/%2e%2e/jupyter/?x=/static/", "/static/..%2F?/static/", "/static/#/../../jupyter/",
	"/static/%u002e%u002e/jupyter/", "/static/..%00/jupyter/", "/static/..%09/jupyter/",
}

// generatedTricks pairs tokens a normalisation may turn into a separator or a
// dot segment, as segments and run together, under the public prefix: 450
// more targets, sent anonymously.
func generatedTricks() []string {
	tokens := []string{"..", ".", "%2e%2e", ".%2E", "%2F", "%2f", "%5C", `\`, ";", "..;", "%3B", "%252F", "%2e", "", "x"}
	var out []string
	for _, a := range tokens {
		for _, b := range tokens {
			out = append(out, staticPrefix+a+"/"+b+"/jupyter/", staticPrefix+a+b+"jupyter/")
		}
	}
	return out
}

// plainPublic are plain paths under the public prefix: served without login.
var plainPublic = []string{"/static/", "/static/app.css", "/static/js/main.js?v=..%2F1", "/static/a.b/c-d_e~f/"}

// TestPublicPathsUnderEveryNormalization: the public-path tricks under
// the mesh's other pathNormalization settings (the flows above run with
// the emitted mesh config's), for both authorizers: the decision must not
// depend on how the cluster normalises.
func TestPublicPathsUnderEveryNormalization(t *testing.T) {
	for _, norm := range []string{"NONE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES"} {
		for _, authorizer := range []string{"oauth2-proxy", "check-server"} {
			t.Run(norm+"/"+authorizer, func(t *testing.T) {
				e := newEnvWith(t, authorizer, envOptions{pathNormalization: norm})
				e.flowPublicPathTricks(t)
			})
		}
	}
}

// flowPublicPathTricks: without a verified identity a request reaches the
// dashboard only on a plain path under a public prefix — checked on what
// the dashboard received, for every trick and with every kind of credential
// that does not authenticate (none, a non-Bearer Authorization, an empty or
// broken bearer). The plain public paths are served; with a session a
// path under the prefix that is not plain reaches it as the signed-in user.
func (e *env) flowPublicPathTricks(t *testing.T) {
	public := pathmatch.NewMatcher(e.publicPaths())
	unauthenticated := map[string]http.Header{
		"anonymous":       {},
		"basic":           {"Authorization": {"Basic ZTJlOnBhc3N3b3Jk"}},
		"empty bearer":    {"Authorization": {"Bearer "}},
		"bearer garbage":  {"Authorization": {"Bearer not.a.token"}},
		"lower-case auth": {"Authorization": {"bearer x.y.z"}},
	}
	for name, hdr := range unauthenticated {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			for _, target := range append(append([]string{}, pathTricks...), plainPublic...) {
				r := e.raw(t, target, hdr)
				got, echoed := echoedTarget(r)
				if echoed && !public.Match(got) {
					t.Errorf("%s %s: the dashboard served %q without a verified identity (%d)", name, target, got, r.Status)
				}
			}
			if name != "anonymous" {
				return
			}
			for _, target := range generatedTricks() {
				if got, echoed := echoedTarget(e.raw(t, target, hdr)); echoed && !public.Match(got) {
					t.Errorf("anonymous %s: the dashboard served %q without a verified identity", target, got)
				}
			}
			for _, target := range plainPublic {
				if r := e.raw(t, target, hdr); r.Status != http.StatusOK {
					t.Errorf("the public path %s = %d %.200s, want the dashboard's 200", target, r.Status, r.Body)
				}
			}
		})
	}
	t.Run("session", func(t *testing.T) {
		b := e.browser(t)
		if r := b.login(); r.status != 200 {
			t.Fatalf("login: %d", r.status)
		}
		hdr := http.Header{"Cookie": {b.cookieHeader()}, "Accept": {"application/json"}}
		// Not plain, so authenticated: the session's identity reaches the
		// dashboard. (oauth2-proxy answers an encoded dot segment such as
		// "..%2F" with a 301 of its own, a deny: not a path to test a
		// session on.)
		for _, target := range []string{"/static/..;/jupyter/", "/static/a%20b.css", "/jupyter/"} {
			r := e.raw(t, target, hdr)
			var echo struct {
				Headers http.Header `json:"headers"`
			}
			if r.Status != 200 || json.Unmarshal([]byte(r.Body), &echo) != nil || echo.Headers.Get(e.userHeader) != e.userEmail {
				t.Errorf("with a session %s = %d %.200s, want the dashboard as %s", target, r.Status, r.Body, e.userEmail)
			}
		}
	})
}

// flowLogoutHost (issue 22): the logout redirect points at the public URL
// whatever Host or absolute-form target the client sends.
func (e *env) flowLogoutHost(t *testing.T) {
	b := e.browser(t)
	if r := b.login(); r.status != 200 {
		t.Fatalf("login: %d", r.status)
	}
	front, _ := url.Parse(e.frontURL)
	type scenario struct{ target, host string }
	tests := map[string]scenario{
		"Host header":          {target: "/logout", host: "evil.example"},
		"legacy path":          {target: "/authservice/logout", host: "evil.example:8443"},
		"absolute form":        {target: "http://evil.example/logout", host: front.Host},
		"absolute form, https": {target: "https://evil.example/authservice/logout", host: "evil.example"},
	}
	want := e.frontURL + "/oauth2/sign_out?rd="
	for name, tc := range tests {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			r := e.rawTo(t, tc.target, http.Header{"Host": {tc.host}, "Cookie": {b.cookieHeader()}})
			if r.Status != http.StatusFound || !strings.HasPrefix(r.Header.Get("Location"), want) {
				t.Errorf("GET %s (Host %s) = %d Location %q, want 302 to %s…", tc.target, tc.host, r.Status, r.Header.Get("Location"), want)
			}
		})
	}
}

func (e *env) publicPaths() []string {
	var out []string
	for _, p := range e.spec()["publicPaths"].([]any) {
		out = append(out, p.(string))
	}
	return out
}

// raw sends target as written to the front with the front's Host.
func (e *env) raw(t *testing.T, target string, hdr http.Header) rawhttp.Response {
	t.Helper()
	h := hdr.Clone()
	h.Set("Host", strings.TrimPrefix(e.frontURL, "http://"))
	return e.rawTo(t, target, h)
}

func (e *env) rawTo(t *testing.T, target string, hdr http.Header) rawhttp.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, httpTimeout)
	defer cancel()
	r, err := rawhttp.Do(ctx, strings.TrimPrefix(e.frontURL, "http://"), "GET", target, hdr)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return r
}

// echoedTarget is the request-target the dashboard's echo received, if the
// response is the echo's.
func echoedTarget(r rawhttp.Response) (string, bool) {
	var echo struct {
		Target *string `json:"target"`
	}
	if json.Unmarshal([]byte(r.Body), &echo) != nil || echo.Target == nil {
		return "", false
	}
	return *echo.Target, true
}

// cookieHeader is the Cookie header the browser sends to the front.
func (b *browser) cookieHeader() string {
	var parts []string
	for _, c := range b.c.Jar.Cookies(b.base) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}
