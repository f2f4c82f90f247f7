package e2e

// Ory Hydra v2.3.0 (OpenID-certified) as a corporate IdP beside Dex: started
// from bin/hydra with in-memory storage on 127.0.0.1, ID and access tokens of
// 60 s, refresh tokens, aud = the client id, JWT access tokens (so a
// client-credentials token is a JWT the gateway can verify). Its login,
// consent and logout steps are hydraUI below, which accepts them through
// Hydra's admin API as a corporate login page would.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"meshauth.dev/meshauth/internal/daemon"
	"meshauth.dev/meshauth/internal/testissuer"
)

// The Hydra user: an email the IdP has not verified (email_verified: false,
// as for a Keycloak user an admin created) and groups and roles claims.
const (
	hydraUser     = "jane"
	hydraPassword = "hydra-password-1234"
	hydraEmail    = "jane@corp.example"
	hydraTTL      = "60s" // the IdP's token lifetime (ttl.id_token, ttl.access_token)
)

var hydraGroups = []string{"ml-team", "e2e-team"}

type hydra struct {
	public, admin string // base URLs
	ui            *hydraUI
	proc          *proc
}

// hydraUI is the login/consent/logout app Hydra redirects the browser to.
// It counts how often it had to ask for the password (a remembered login
// skips the form).
type hydraUI struct {
	url   string // where Hydra sends the browser
	admin string
	lg    *logs
	mu    sync.Mutex
	asked int
}

func (u *hydraUI) askedCount() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.asked
}

func (u *hydraUI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.lg.printf("hydra-ui", "%s %s", r.Method, r.URL.Path)
	ctx := r.Context()
	switch {
	case r.URL.Path == "/login" && r.Method == http.MethodGet:
		ch := r.URL.Query().Get("login_challenge")
		var req struct {
			Skip    bool   `json:"skip"`
			Subject string `json:"subject"`
		}
		if err := u.adminJSON(ctx, "GET", "/admin/oauth2/auth/requests/login?login_challenge="+url.QueryEscape(ch), nil, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if req.Skip {
			// Hydra remembers the user: no form, as with an IdP session.
			u.accept(w, r, "login", ch, map[string]any{"subject": req.Subject})
			return
		}
		u.mu.Lock()
		u.asked++
		u.mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><body><h1>Corp sign-in</h1><form method="post" action="/login">`+
			`<input type="hidden" name="challenge" value="%s"><input name="login"><input type="password" name="password">`+
			`</form></body></html>`, html.EscapeString(ch))
	case r.URL.Path == "/login" && r.Method == http.MethodPost:
		if r.PostFormValue("login") != hydraUser || r.PostFormValue("password") != hydraPassword {
			http.Error(w, "wrong user or password", http.StatusUnauthorized)
			return
		}
		u.accept(w, r, "login", r.PostFormValue("challenge"), map[string]any{"subject": hydraUser, "remember": true, "remember_for": 3600})
	case r.URL.Path == "/consent":
		ch := r.URL.Query().Get("consent_challenge")
		var req struct {
			Scopes    []string `json:"requested_scope"`
			Audiences []string `json:"requested_access_token_audience"`
		}
		if err := u.adminJSON(ctx, "GET", "/admin/oauth2/auth/requests/consent?consent_challenge="+url.QueryEscape(ch), nil, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		u.accept(w, r, "consent", ch, map[string]any{
			"grant_scope": req.Scopes, "grant_access_token_audience": req.Audiences,
			"remember": true, "remember_for": 3600,
			"session": map[string]any{"id_token": map[string]any{
				"email": hydraEmail, "email_verified": false, "preferred_username": hydraUser,
				"groups": hydraGroups, "roles": []string{"viewer"},
			}},
		})
	case r.URL.Path == "/logout":
		u.accept(w, r, "logout", r.URL.Query().Get("logout_challenge"), nil)
	case r.URL.Path == "/logged-out":
		fmt.Fprintln(w, "signed out of corp")
	default:
		http.NotFound(w, r)
	}
}

// accept accepts a login, consent or logout challenge through the admin API
// and sends the browser where Hydra says.
func (u *hydraUI) accept(w http.ResponseWriter, r *http.Request, flow, challenge string, body map[string]any) {
	var out struct {
		RedirectTo string `json:"redirect_to"`
	}
	path := fmt.Sprintf("/admin/oauth2/auth/requests/%s/accept?%s_challenge=%s", flow, flow, url.QueryEscape(challenge))
	if err := u.adminJSON(r.Context(), "PUT", path, body, &out); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, out.RedirectTo, http.StatusFound)
}

func (u *hydraUI) adminJSON(ctx context.Context, method, path string, body, out any) error {
	return callJSON(ctx, method, u.admin+path, body, out)
}

// callJSON sends body as JSON and decodes a 2xx answer into out.
func callJSON(ctx context.Context, method, target string, body, out any) error {
	return callJSONTimeout(ctx, httpTimeout, method, target, body, out)
}

func callJSONTimeout(ctx context.Context, timeout time.Duration, method, target string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s %s", method, target, resp.Status, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// startHydra runs bin/hydra with in-memory storage; Hydra must be told its
// ports, so a port taken between the probe and Hydra's bind is retried.
func startHydra(t *testing.T, ctx context.Context, lg *logs) *hydra {
	t.Helper()
	bin := binary(t, "hydra")
	uiL := listen(t)
	uiURL := "http://" + uiL.Addr().String()
	ui := &hydraUI{lg: lg, url: uiURL}
	serve(t, lg, "hydra-ui", uiL, ui)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		pub, adm := freePort(t), freePort(t)
		h := &hydra{public: "http://" + hostPort(pub), admin: "http://" + hostPort(adm), ui: ui}
		ui.admin = h.admin
		cfg := fmt.Sprintf(`dsn: memory
serve:
  public: {host: 127.0.0.1, port: %d}
  admin: {host: 127.0.0.1, port: %d}
urls:
  self: {issuer: %s, public: %s}
  login: %s/login
  consent: %s/consent
  logout: %s/logout
  post_logout_redirect: %s/logged-out
secrets:
  system: [e2e-hydra-system-secret-0123456789]
ttl: {id_token: %s, access_token: %s, refresh_token: 720h}
strategies: {access_token: jwt}
log: {level: info, leak_sensitive_values: false}
`, pub, adm, h.public, h.public, uiURL, uiURL, uiURL, uiURL, hydraTTL, hydraTTL)
		path := filepath.Join(t.TempDir(), "hydra.yml")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		p := start(t, ctx, lg, "hydra", bin, []string{"serve", "all", "--dev", "-c", path}, nil)
		wctx, cancel := context.WithTimeout(ctx, readyTimeout)
		lastErr = daemon.WaitHTTP(wctx, p.Proc, h.admin+"/health/ready", 200)
		if lastErr == nil {
			// Hydra creates its signing keys (RSA 4096) on the first JWKS
			// request, gives up when that request is cancelled, and may
			// drop the connection after its 10 s write timeout on a busy
			// machine: requests without a client timeout, again until the
			// keys exist (bounded by readyTimeout).
			for lastErr = errors.New("no JWKS"); lastErr != nil && wctx.Err() == nil && !p.Exited(); {
				lastErr = callJSONTimeout(wctx, readyTimeout, "GET", h.public+"/.well-known/jwks.json", nil, &struct{}{})
			}
		}
		if lastErr == nil {
			lastErr = daemon.WaitHTTP(wctx, p.Proc, h.public+"/.well-known/openid-configuration", 200)
		}
		cancel()
		if lastErr == nil {
			h.proc = p
			return h
		}
		p.Stop(stopTimeout)
		if !p.Exited() || !strings.Contains(p.log.String(), "address already in use") {
			break
		}
	}
	t.Fatalf("hydra did not start: %v", lastErr)
	return nil
}

// client registers an OAuth2 client through the admin API.
func (h *hydra) client(t testing.TB, ctx context.Context, c map[string]any) {
	t.Helper()
	if err := callJSON(ctx, "POST", h.admin+"/admin/clients", c, nil); err != nil {
		t.Fatalf("registering Hydra client %v: %v", c["client_id"], err)
	}
}

// lifespans shortens one client's token lifetimes, so a test sees a token
// expire without waiting the IdP's 60 s.
func (h *hydra) lifespans(t testing.TB, ctx context.Context, clientID, d string) {
	t.Helper()
	body := map[string]any{}
	for _, k := range []string{"authorization_code_grant_id_token_lifespan", "authorization_code_grant_access_token_lifespan",
		"refresh_token_grant_id_token_lifespan", "refresh_token_grant_access_token_lifespan"} {
		body[k] = d
	}
	if err := callJSON(ctx, "PUT", h.admin+"/admin/clients/"+clientID+"/lifespans", body, nil); err != nil {
		t.Fatalf("setting lifespans of %s: %v", clientID, err)
	}
}

// clientCredentials gets a machine token (a JWT access token) for audience.
func (h *hydra) clientCredentials(t testing.TB, ctx context.Context, id, secret, audience string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "audience": {audience}}
	req, _ := http.NewRequestWithContext(ctx, "POST", h.public+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := doJSON(req, &out); err != nil || out.AccessToken == "" {
		t.Fatalf("client credentials for %s: %v", id, err)
	}
	return out.AccessToken
}

// codeFlowIDToken logs the Hydra user in for another client (the code flow
// a different app of the same IdP runs) and returns its ID token.
func (h *hydra) codeFlowIDToken(t testing.TB, ctx context.Context, id, secret, redirect string) string {
	t.Helper()
	jar := newJar()
	c := &http.Client{Jar: jar, Timeout: httpTimeout, Transport: &http.Transport{Proxy: nil},
		CheckRedirect: func(r *http.Request, _ []*http.Request) error {
			if strings.HasPrefix(r.URL.String(), redirect) {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	auth := h.public + "/oauth2/auth?" + url.Values{"client_id": {id}, "response_type": {"code"}, "scope": {"openid email"},
		"redirect_uri": {redirect}, "state": {"other-app-state-123"}}.Encode()
	resp, err := c.Get(auth)
	if err != nil {
		t.Fatalf("other client's authorization request: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == 200 && strings.Contains(string(body), `name="password"`) {
		m := formChallenge.FindStringSubmatch(string(body))
		if m == nil {
			t.Fatalf("no challenge in the login form: %s", body)
		}
		resp, err = c.PostForm(resp.Request.URL.ResolveReference(mustURL(t, "/login")).String(),
			url.Values{"challenge": {html.UnescapeString(m[1])}, "login": {hydraUser}, "password": {hydraPassword}})
		if err != nil {
			t.Fatalf("other client's login: %v", err)
		}
		resp.Body.Close()
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("other client's authorization ended at %d %s, no code", resp.StatusCode, resp.Header.Get("Location"))
	}
	// client_secret_post, as oauth2-proxy authenticates (the e2e's
	// clients are registered for it).
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
		"client_id": {id}, "client_secret": {secret}}
	req, _ := http.NewRequestWithContext(ctx, "POST", h.public+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out struct {
		IDToken string `json:"id_token"`
	}
	if err := doJSON(req, &out); err != nil || out.IDToken == "" {
		t.Fatalf("other client's code exchange: %v", err)
	}
	return out.IDToken
}

func doJSON(req *http.Request, out any) error {
	resp, err := (&http.Client{Timeout: httpTimeout, Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s %s: %s %s", req.Method, req.URL, resp.Status, b)
	}
	return json.Unmarshal(b, out)
}

// urlHost is host:port of a URL.
func urlHost(t testing.TB, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("bad URL %q", raw)
	}
	return u.Host
}

var errNoToken = errors.New("no bearer token forwarded")

// forwardedToken is the ID token the gateway forwarded to the dashboard.
func forwardedToken(seen http.Header) (map[string]any, error) {
	tok, ok := strings.CutPrefix(seen.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, errNoToken
	}
	return testissuer.Payload(tok)
}
