package loopback

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fakeStack answers like oauth2-proxy in front of Dex: the sign-in
// redirects to Dex's form (an HTML-escaped relative action), the form post
// with the right password goes through the callback, which sets the
// session; /dex/token is the password grant.
func fakeStack(t *testing.T, form string) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/start", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dex/auth/local?state=s1", http.StatusFound)
	})
	mux.HandleFunc("GET /dex/auth/local", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(form))
	})
	mux.HandleFunc("POST /dex/auth/local/login", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("state") != "s1" || r.PostFormValue("login") != "user@example.com" || r.PostFormValue("password") != Password {
			http.Error(w, "Invalid Email Address and password", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, "/oauth2/callback?code=c1", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /oauth2/callback", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "v1", Path: "/"})
		http.Redirect(w, r, "/", http.StatusFound)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err != nil || c.Value != "v1" {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		w.Write([]byte("dashboard"))
	})
	mux.HandleFunc("POST /dex/token", func(w http.ResponseWriter, r *http.Request) {
		err := r.ParseForm()
		f := r.PostForm
		if err != nil || f.Get("grant_type") != "password" || f.Get("client_id") != "oauth2-proxy" ||
			f.Get("client_secret") != ClientSecret || f.Get("username") != "user@example.com" || f.Get("password") != Password ||
			!strings.Contains(f.Get("scope"), "openid") {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"id_token": "a.b.c"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func fakeClient(t *testing.T, srv *httptest.Server) (Client, *cookiejar.Jar) {
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(srv.URL)
	return Client{HTTP: &http.Client{Jar: jar, Timeout: 10 * time.Second}, Base: base}, jar
}

const dexForm = `<html><form method="post" action="/dex/auth/local/login?back=&amp;state=s1"><input name="login"><input type="password" name="password"></form></html>`

func TestLogin(t *testing.T) {
	srv := fakeStack(t, dexForm)
	b, jar := fakeClient(t, srv)
	p, err := Login(context.Background(), b, "user@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != 200 || p.Body != "dashboard" || p.URL.Path != "/" {
		t.Errorf("landed on %s: %d %q, want the dashboard at /", p.URL, p.Status, p.Body)
	}
	if cs := jar.Cookies(b.Base); len(cs) != 1 || cs[0].Value != "v1" {
		t.Errorf("cookies after the login: %v, want the session", cs)
	}
	if _, err := Login(context.Background(), b, "someone@example.com"); err != nil {
		// Landing on the error page is not the walk's business: the caller checks the session.
		t.Errorf("a wrong user: %v", err)
	}
}

func TestLoginNoForm(t *testing.T) {
	b, _ := fakeClient(t, fakeStack(t, `<html>an error page, no form</html>`))
	if _, err := Login(context.Background(), b, "user@example.com"); err == nil || !strings.Contains(err.Error(), "did not reach Dex's login form: 200") {
		t.Errorf("no login form: %v", err)
	}
}

func TestPasswordGrant(t *testing.T) {
	b, _ := fakeClient(t, fakeStack(t, dexForm))
	tok, err := PasswordGrant(context.Background(), b, "/dex/token", "oauth2-proxy", "user@example.com")
	if err != nil || tok != "a.b.c" {
		t.Errorf("PasswordGrant = %q, %v; want the ID token", tok, err)
	}
	if _, err := PasswordGrant(context.Background(), b, "/dex/token", "another-client", "user@example.com"); err == nil ||
		!strings.Contains(err.Error(), `client "another-client" = 401`) || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("a refused grant: %v, want the status and Dex's answer", err)
	}
}
