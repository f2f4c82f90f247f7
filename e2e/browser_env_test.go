package e2e

// The browser environment: the same real Dex and oauth2-proxy and the same
// front as the plain e2e, but as a person meets them — over TLS, at the
// AuthConfig's public host name (Chromium maps it to 127.0.0.1), with the
// cookie Secure, and an HTML dashboard with a logout link. What it changes
// beyond overrides_test.go's table:
//
// | what                         | e2e (loopback)                 | browser env                                   | why |
// |------------------------------|--------------------------------|-----------------------------------------------|-----|
// | publicURL                    | http://127.0.0.1:<port>        | https://kubeflow.meshauth-e2e.test:<port>     | a real host name; Secure cookies |
// | cookie secure / domains      | false / none                   | true / [the public host]                      | what an https install sets |
// | cookie refresh               | the default 59m                | 2s                                            | the refresh flow, within seconds |
// | the front's listener         | plain http                     | TLS with a test CA generated in Go            | https |
// | Dex expiry.idTokens          | Dex's default 24h              | 6s                                            | an expired ID token, within seconds |
// | Dex staticPasswords          | Kubeflow's user                | + a user in many groups                       | split session cookies (_0, _1, …) |
// | the dashboard                | a JSON echo                    | an HTML page with the identity and a logout link, JSON under /api/ | what a person sees |
// | other listeners              | none                           | plain http on the public host; another site   | Secure and SameSite flows |

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"meshauth.dev/meshauth/internal/loopback"
	"meshauth.dev/meshauth/internal/testissuer"
)

const (
	// browserPublicHost is the AuthConfig's public host. otherSite is another
	// registrable domain (another site for SameSite), also on 127.0.0.1.
	browserPublicHost = "kubeflow.meshauth-e2e.test"
	otherSite         = "elsewhere.other-e2e.example"

	dexIDTokenLifetime   = 6 * time.Second
	browserCookieRefresh = "2s"

	manyGroupsEmail = "many-groups@example.com"
	manyGroupsCount = 60
)

// manyGroups are the groups of the many-groups user: enough to push the
// session past one 4 KB cookie.
func manyGroups() []any {
	var g []any
	// oauth2-proxy compresses the session: names that repeat would fit in
	// one cookie, so each carries a hash (deterministic, not compressible).
	for i := range manyGroupsCount {
		sum := sha256.Sum256([]byte(strconv.Itoa(i)))
		g = append(g, fmt.Sprintf("e2e-team-%02d-%x", i, sum[:12]))
	}
	return g
}

// browserAuthConfig is the loopback AuthConfig made public: https at the
// public host, cookie Secure, SameSite lax and the cookie domain explicit.
// Dex's issuer stays the in-cluster-style loopback URL oauth2-proxy redeems
// at; the browser reaches Dex only through the front's /dex/ route.
func browserAuthConfig(frontPort, dexPort int, iss *testissuer.Issuer, authorizer string) map[string]any {
	ac := loopbackAuthConfig(frontPort, dexPort, iss, authorizer)
	spec := ac["spec"].(map[string]any)
	spec["publicURL"] = "https://" + net.JoinHostPort(browserPublicHost, strconv.Itoa(frontPort))
	spec["oauth2Proxy"].(map[string]any)["cookie"] = map[string]any{
		"name": "e2e_session", "secure": true, "sameSite": "lax",
		"domains": []any{browserPublicHost}, "refresh": browserCookieRefresh,
	}
	return ac
}

// browserDexConfig sets the short ID-token lifetime and adds the
// many-groups user (the password is the same test password).
func browserDexConfig(cfg map[string]any) {
	exp, _ := cfg["expiry"].(map[string]any)
	if exp == nil {
		exp = map[string]any{}
		cfg["expiry"] = exp
	}
	exp["idTokens"] = dexIDTokenLifetime.String()
	users, _ := cfg["staticPasswords"].([]any)
	cfg["staticPasswords"] = append(users, map[string]any{
		"email": manyGroupsEmail, "hash": loopback.PasswordHash, "username": "many-groups",
		"userID": "e2e-many-groups", "groups": manyGroups(),
	})
}

// browserEnv is the environment plus the browser's view of it.
type browserEnv struct {
	*env
	pki       *testPKI
	dash      *htmlDashboard
	publicURL string // https://<public host>:<port>
	plainURL  string // http://<public host>:<another port>: a plain-http server on the same host
	otherURL  string // https://<other site>:<port>
	chrome    *chrome
}

func newBrowserEnv(t *testing.T, authorizer string, mods ...func(spec map[string]any)) *browserEnv {
	chromiumBin(t) // skip before booting anything when there is no browser
	pki := newTestPKI(t, browserPublicHost, otherSite)
	be := &browserEnv{pki: pki}
	be.dash = &htmlDashboard{}
	be.env = newEnvWith(t, authorizer, envOptions{
		authConfig: browserAuthConfig,
		dexConfig:  browserDexConfig,
		dashboard:  be.dash,
		frontListener: func(l net.Listener) net.Listener {
			return tls.NewListener(l, pki.serverTLS)
		},
		specMods: mods,
	})
	be.dash.userHeader, be.dash.groupsHeader = be.userHeader, be.groupsHeader
	be.publicURL = be.spec()["publicURL"].(string)

	// A plain-http server on the public host: a Secure cookie must never reach it.
	pl := listen(t)
	serve(t, be.lg, "plain-http", pl, http.HandlerFunc(plainCookieProbe))
	be.plainURL = "http://" + net.JoinHostPort(browserPublicHost, strconv.Itoa(pl.Addr().(*net.TCPAddr).Port))

	// Another site, over TLS with the same test certificate.
	ol := tls.NewListener(listen(t), pki.serverTLS)
	serve(t, be.lg, "other-site", ol, otherSitePages(be.publicURL))
	be.otherURL = "https://" + net.JoinHostPort(otherSite, strconv.Itoa(ol.Addr().(*net.TCPAddr).Port))

	be.chrome = startChrome(t, be.ctx, be.lg, pki, []string{browserPublicHost, otherSite})
	return be
}

// ---- the dashboard a person sees ----

// upstreamRequest is one request the dashboard got, as the flows check it.
type upstreamRequest struct {
	method, uri  string
	user, groups string
	bearer       string // the Authorization bearer token, as the gateway passed it
	cookies      []string
}

// htmlDashboard stands in for the dashboard: HTML pages showing the identity
// headers and a logout link (the dashboard's own "/logout"), JSON under
// /api/; it records every request it gets.
type htmlDashboard struct {
	userHeader, groupsHeader string
	mu                       sync.Mutex
	seen                     []upstreamRequest
}

func (d *htmlDashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := upstreamRequest{method: r.Method, uri: r.URL.RequestURI(),
		user: r.Header.Get(d.userHeader), groups: r.Header.Get(d.groupsHeader),
		bearer: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}
	for _, c := range r.Cookies() {
		req.cookies = append(req.cookies, c.Name)
	}
	d.mu.Lock()
	d.seen = append(d.seen, req)
	d.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/api/") {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "user": req.user})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html><head><title>e2e dashboard</title></head><body>
<h1>e2e dashboard</h1>
<p>Signed in as <b id="user">%s</b></p>
<p>Groups: <span id="groups">%s</span></p>
<p>Page: <span id="page">%s</span></p>
<p><a id="logout" href="/logout">Sign out</a></p>
</body></html>`, html.EscapeString(req.user), html.EscapeString(strings.Join(groupsOf(req.groups), ", ")), html.EscapeString(req.uri))
}

// mark and since let a flow look at what the dashboard got after a point.
func (d *htmlDashboard) mark() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}

func (d *htmlDashboard) since(m int) []upstreamRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]upstreamRequest(nil), d.seen[m:]...)
}

// ---- the other listeners ----

// plainCookieProbe shows which cookies a plain-http request to the public
// host carries. Its first answer sets a control cookie and reloads, so the
// page proves the browser does send this host's (non-Secure) cookies here.
func plainCookieProbe(w http.ResponseWriter, r *http.Request) {
	var names []string
	for _, c := range r.Cookies() {
		names = append(names, c.Name)
	}
	if _, err := r.Cookie("e2e_plain_control"); err != nil && r.URL.Query().Get("again") == "" {
		http.SetCookie(w, &http.Cookie{Name: "e2e_plain_control", Value: "1", Path: "/"})
		http.Redirect(w, r, "/?again=1", http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>plain http</title><p>plain http cookies: <span id="cookies">%s</span></p>`,
		html.EscapeString(strings.Join(names, " ")))
}

// otherSitePages is another site: a link to a deep link of the dashboard and
// a form that POSTs to one of its API routes (auto-submitted).
func otherSitePages(public string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /link", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>another site</title><p>another site</p><a id="deep" href="%s">open the notebook</a>`,
			html.EscapeString(public+r.URL.Query().Get("to")))
	})
	mux.HandleFunc("GET /post", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>another site</title><p>another site</p>
<form id="f" method="POST" action="%s"><input name="delete" value="everything"></form>
<script>document.getElementById("f").submit()</script>`, html.EscapeString(public+r.URL.Query().Get("to")))
	})
	return mux
}

// jwtTimes reads iat and exp of a JWT the gateway passed on (verified there).
func jwtTimes(tok string) (iat, exp time.Time, ok bool) {
	c, err := testissuer.Payload(tok)
	if err != nil {
		return
	}
	i, _ := c["iat"].(float64)
	x, _ := c["exp"].(float64)
	if x == 0 {
		return
	}
	return time.Unix(int64(i), 0), time.Unix(int64(x), 0), true
}
